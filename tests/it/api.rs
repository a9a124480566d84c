//! The message API as pages use it: requests in, `{ok, value | error}` out.

use autohook::{Millis, Output, Sender};
use serde_json::{json, Value};

use crate::common::{ask, json_header, status, Sim, RANDOM, START};

fn content() -> Sender {
    Sender::ContentScript { tab_id: 4, url: "https://chat.test/room/1".into() }
}

#[test]
fn content_scripts_may_read_and_change_nothing() {
    let mut sim = Sim::new(1);
    for kind in
        ["webhooks.list", "events.emit", "webhooks.revealSecret", "deliveries.list", "campaign.get", "campaign.start", "campaign.configure"]
    {
        let answer = sim.ask_as(content(), json!({"type": kind}));
        assert_eq!(answer["error"]["code"], "not_allowed", "{kind}");
        assert_eq!(answer["error"]["message"], format!("{kind} is only accepted from the extension's own pages"));
    }
}

#[test]
fn pages_read_the_catalog_and_content_scripts_do_not() {
    let mut sim = Sim::new(1);
    let catalog = sim.ask(json!({"type": "catalog.get", "requestId": "c1"}));
    assert_eq!(catalog["ok"], true);
    let value = &catalog["value"];
    let telegram = value["presets"].as_array().unwrap().iter().find(|p| p["name"] == "telegram").unwrap();
    assert_eq!(
        (&telegram["label"], &telegram["needs"], &telegram["sendsEnvelope"]),
        (&json!("Telegram"), &json!(["chatId"]), &json!(false))
    );
    assert_eq!(telegram["limits"], json!([{"field": "text", "max": 4096, "unit": "utf16"}]));
    assert_eq!(value["limits"]["webhook"]["timeoutMs"], json!({"min": 1000, "max": 120000}));
    assert!(value["errorCodes"].as_array().unwrap().contains(&json!("invalid_input")));
    // Every event the catalog lists can be previewed, and the subscribable ones are a webhook's defaults.
    let created = sim.ask(json!({"type": "webhooks.create", "webhook": {"url": "https://h.test/in"}}));
    let subscribable: Vec<&Value> =
        value["events"].as_array().unwrap().iter().filter(|e| e["subscribable"] == true).map(|e| &e["name"]).collect();
    assert_eq!(created["value"]["events"].as_array().unwrap().iter().collect::<Vec<_>>(), subscribable);
    for event in value["events"].as_array().unwrap() {
        let preview = sim.ask(json!({"type": "webhooks.preview", "webhook": {"url": "https://h.test/"}, "event": event["name"]}));
        assert_eq!(preview["ok"], true, "{event}");
    }
    assert_eq!(sim.ask(json!({"type": "catalog.get", "requestId": "c1"})), catalog, "read-only: a repeat runs again");
    let refused = sim.ask_as(content(), json!({"type": "catalog.get"}));
    assert_eq!(refused["error"]["code"], "not_allowed", "a content script needs none of it");
}

#[test]
fn preview_signs_with_the_stored_secret_when_editing_and_names_bad_fields() {
    let mut sim = Sim::new(1);
    let created = sim.ask(json!({"type": "webhooks.create", "webhook": {"url": "https://h.test/in", "secret": "s3cret"}}));
    let id = created["value"]["id"].clone();

    let preview = sim.ask(json!({"type": "webhooks.preview", "id": id, "webhook": {"method": "PUT"}, "event": "milestone"}));
    let request = &preview["value"];
    assert_eq!(request["method"], "PUT");
    assert_eq!(json_header(request, "X-AutoHook-Event"), Some("milestone"));
    assert!(json_header(request, "webhook-signature").unwrap().starts_with("v1,"));
    let body: Value = serde_json::from_str(request["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"]["milestone"], "100_messages");
    assert!(!preview.to_string().contains("s3cret"), "the preview never shows the secret");

    let unsigned = sim.ask(json!({"type": "webhooks.preview", "webhook": {"url": "https://h.test/"}}));
    assert_eq!(json_header(&unsigned["value"], "webhook-signature"), None);
    let bad = sim.ask(json!({"type": "webhooks.preview", "webhook": {"url": "https://h.test/", "headers": {"Host": "x"}}}));
    assert_eq!(bad["error"]["field"], "headers");
}

#[test]
fn reveal_returns_the_stored_secret_to_extension_pages() {
    let mut sim = Sim::new(1);
    let created = sim.ask(json!({"type": "webhooks.create", "webhook": {"url": "https://h.test/in", "secret": "s3cret"}}));
    let revealed = sim.ask(json!({"type": "webhooks.revealSecret", "id": created["value"]["id"]}));
    assert_eq!(revealed["value"]["secret"], "s3cret");
}

/// Pages see a webhook's URL and headers with every credential masked, as
/// the log does; Reveal gives them as stored; and the editor saves a
/// header it never showed by leaving its value out, which keeps it.
#[test]
fn pages_see_credentials_masked_until_reveal_and_an_unshown_header_is_kept() {
    let mut sim = Sim::new(1);
    let webhook = json!({
        "url": "https://h.test/in/0a1b2c3d4e5f6a7b8c9d?pwd=hunter2&text={{event}}",
        "headers": {"X-Api-Pass": "hunter2", "X-Team": {"value": "blue", "secret": false}, "Accept": "text/plain"},
    });
    let created = sim.ask(json!({"type": "webhooks.create", "webhook": webhook}))["value"].clone();
    assert!(!created.to_string().contains("hunter2") && !created.to_string().contains("0a1b2c3d4e5f6a7b8c9d"), "{created}");
    assert_eq!(created["url"], "https://h.test/in/••••?pwd=••••&text={{event}}");
    assert_eq!(created["urlHasSecrets"], true);
    assert_eq!(
        created["headers"],
        json!([
            {"name": "Accept", "value": "text/plain", "secret": false},
            {"name": "X-Api-Pass", "value": null, "secret": true},
            {"name": "X-Team", "value": "blue", "secret": false},
        ])
    );
    let preview = sim.ask(json!({"type": "webhooks.preview", "id": created["id"], "webhook": {}}));
    assert!(!preview.to_string().contains("hunter2"), "{preview}");
    assert_eq!(json_header(&preview["value"], "X-Api-Pass"), Some("•••• (X-Api-Pass)"));

    let revealed = sim.ask(json!({"type": "webhooks.revealSecret", "id": created["id"]}))["value"].clone();
    assert_eq!(
        revealed,
        json!({"secret": null, "url": "https://h.test/in/0a1b2c3d4e5f6a7b8c9d?pwd=hunter2&text={{event}}", "headers": {"X-Api-Pass": "hunter2"}})
    );

    // What the editor sends for a header it never revealed, and a URL it never revealed: nothing to change them.
    let changes = json!({"name": "renamed", "headers": {"X-Api-Pass": {"secret": true}, "X-Team": {"value": "red", "secret": false}}});
    let updated = sim.ask(json!({"type": "webhooks.update", "id": created["id"], "changes": changes}));
    assert_eq!(updated["value"]["headers"][1], json!({"name": "X-Team", "value": "red", "secret": false}), "{updated}");
    let revealed = sim.ask(json!({"type": "webhooks.revealSecret", "id": created["id"]}))["value"].clone();
    assert_eq!(revealed["headers"], json!({"X-Api-Pass": "hunter2"}));
    let missing = sim.ask(json!({"type": "webhooks.update", "id": created["id"], "changes": {"headers": {"X-New": {}}}}));
    assert_eq!((&missing["error"]["code"], &missing["error"]["field"]), (&json!("invalid_input"), &json!("headers")));
    assert_eq!(sim.ask(json!({"type": "webhooks.list"}))["value"][0], updated["value"], "a refused change changes nothing");
}

#[test]
fn summary_counts_the_last_day_by_outcome_and_lists_the_newest_five() {
    let mut sim = Sim::new(1);
    sim.ask(json!({"type": "webhooks.create", "webhook": {"url": "https://h.test/in", "retrySchedule": []}}));
    let stale = Millis(START.0 - 25 * 60 * 60 * 1000);
    for (at, code) in [(stale, 200), (START, 200), (START, 200), (START, 500)] {
        sim.engine.emit("message_sent", json!({}), at).unwrap();
        sim.engine.take_changes();
        sim.engine.changes_saved(u64::MAX);
        let Output::Transmit(transmit) = sim.engine.poll(at) else { panic!("a request is due") };
        sim.engine.handle_response(transmit.attempt, status(code), at);
    }
    let summary = sim.ask(json!({"type": "stats.summary"}));
    assert_eq!(summary["value"]["delivered24h"], 2);
    assert_eq!(summary["value"]["failed24h"], 1);
    assert_eq!(summary["value"]["latest"].as_array().unwrap().len(), 4);
    assert_eq!(summary["value"]["latest"][0]["status"], 500);
}

#[test]
fn presets_are_checked_on_their_fields_and_shape_the_body() {
    let mut sim = Sim::new(1);
    let create = |sim: &mut Sim, webhook: Value| sim.ask(json!({"type": "webhooks.create", "webhook": webhook}));
    let url = "https://hooks.slack.test/services/T/B/x";
    assert_eq!(create(&mut sim, json!({"url": url, "preset": "hipchat"}))["error"]["field"], "preset");
    assert_eq!(create(&mut sim, json!({"url": url, "preset": "telegram"}))["error"]["field"], "chatId");
    assert_eq!(create(&mut sim, json!({"url": url, "preset": "slack", "method": "GET"}))["error"]["field"], "method");
    assert_eq!(sim.ask(json!({"type": "webhooks.list"}))["value"], json!([]));

    let slack = create(&mut sim, json!({"url": url, "preset": "slack"}));
    assert_eq!(slack["value"]["preset"], "slack");
    let preview = sim.ask(json!({"type": "webhooks.preview", "id": slack["value"]["id"], "webhook": {}, "event": "campaign_paused"}));
    let body: Value = serde_json::from_str(preview["value"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["text"], "Campaign paused after 25 messages today");
    assert_eq!(body["blocks"][0]["type"], "section");
}

/// Opens a pick in tab 4 on chat.test, as the popup's Pick input does, and returns its token.
fn begin_pick(sim: &mut Sim) -> String {
    let pick = sim.ask(json!({"type": "campaign.beginPick", "tabId": 4, "url": "https://chat.test/room/1"}));
    assert_eq!(pick["value"]["expiresAt"], START.0 + 5 * 60_000, "{pick}");
    pick["value"]["token"].as_str().unwrap().to_string()
}

#[test]
fn the_picker_sets_the_target_of_its_own_tab_only_with_the_token_of_the_pick_the_popup_started() {
    let mut sim = Sim::new(1);
    let token = begin_pick(&mut sim);
    assert_eq!(token.len(), 32, "128 random bits");
    let answer = sim.ask_as(content(), json!({"type": "campaign.setTarget", "token": token, "input": "#compose", "button": "button.send"}));
    assert_eq!(answer["value"]["target"], json!({"tabId": 4, "site": "https://chat.test", "input": "#compose", "button": "button.send"}));
    assert!(!answer.to_string().contains(&token), "the token is not echoed");
    assert_eq!(answer["value"].as_object().unwrap().len(), 1, "only the target: the phrases are not the page's to read");
    let answer = sim.ask_as(content(), json!({"type": "campaign.setTarget", "tabId": 9, "url": "https://evil.test/", "input": "#x"}));
    assert_eq!(answer["error"]["code"], "bad_request");
    let remembered = sim.ask(json!({"type": "campaign.get", "url": "https://chat.test/room/2"}));
    assert_eq!(remembered["value"]["remembered"], json!({"input": "#compose", "button": "button.send"}));
    assert_eq!(remembered["value"]["target"]["tabId"], 4);
}

/// A repeat is answered from memory only for the sender and the request
/// type that asked first: a content script repeating its setTarget id, or
/// asking campaign.get with it, once got the whole campaign (phrases,
/// schedule, lastError) from the page's kept marker.
#[test]
fn a_repeated_request_gets_exactly_its_first_answer_for_the_same_sender_and_type() {
    let mut sim = Sim::new(1);
    sim.ask(json!({"type": "campaign.configure", "settings": {"phrases": ["private phrase"]}}));
    let token = begin_pick(&mut sim);
    let set_target = json!({"type": "campaign.setTarget", "token": token, "input": "#compose", "requestId": "r-1"});
    let first = sim.ask_as(content(), set_target.clone());
    assert_eq!(first["value"].as_object().unwrap().len(), 1, "only the target: {first}");
    assert_eq!(sim.ask_as(content(), set_target), first, "the repeat: the same answer, not the campaign");

    let other_type = sim.ask_as(content(), json!({"type": "campaign.get", "requestId": "r-1"}));
    assert_eq!(other_type["error"]["code"], "not_allowed", "another type with that id is run, and refused: {other_type}");
    assert!(!other_type.to_string().contains("private phrase"));

    sim.ask(json!({"type": "settings.set", "enabled": false, "requestId": "r-2"}));
    let created = sim.ask(json!({"type": "webhooks.create", "webhook": {"url": "https://a.test/"}, "requestId": "r-2"}));
    assert!(created["value"]["id"].is_string(), "a page's request with another type's spent id runs: {created}");
    assert_eq!(sim.ask(json!({"type": "webhooks.list"}))["value"].as_array().unwrap().len(), 1);
}

#[test]
fn a_content_scripts_target_is_refused_without_a_matching_open_unexpired_unused_pick_token() {
    let mut sim = Sim::new(1);
    let set_target = |token: Option<&str>| {
        let mut message = json!({"type": "campaign.setTarget", "input": "#compose"});
        if let Some(token) = token {
            message["token"] = json!(token);
        }
        message
    };
    let refused = |answer: Value, message: &str| {
        assert_eq!(answer["error"], json!({"code": "not_allowed", "message": message, "field": "token"}), "{answer}");
    };
    let invalid = "token: no pick started from the popup for this tab has this token; press Pick input again";

    refused(
        sim.ask_as(content(), set_target(None)),
        "token: a web page may set the target only with the token of a pick started from the popup (Pick input)",
    );
    refused(sim.ask_as(content(), set_target(Some("guess"))), invalid);
    let token = begin_pick(&mut sim);
    refused(
        sim.ask_as(content(), set_target(None)),
        "token: a web page may set the target only with the token of a pick started from the popup (Pick input)",
    );
    refused(sim.ask_as(content(), set_target(Some(&token[1..]))), invalid);
    let other_tab = Sender::ContentScript { tab_id: 5, url: "https://chat.test/room/1".into() };
    refused(sim.ask_as(other_tab, set_target(Some(&token))), invalid);
    let other_site = Sender::ContentScript { tab_id: 4, url: "https://evil.test/".into() };
    refused(
        sim.ask_as(other_site, set_target(Some(&token))),
        "token: the pick was started on https://chat.test, but the tab is now on https://evil.test; press Pick input again",
    );
    let late = Millis(START.0 + 5 * 60_000);
    refused(
        ask(&mut sim.engine, set_target(Some(&token)), content(), late, &RANDOM),
        "token: the pick expired (5 minutes); press Pick input again",
    );
    assert_eq!(sim.ask(json!({"type": "campaign.get"}))["value"]["target"], Value::Null, "a refusal changes nothing");

    // Refusals did not use the token up; the right one in time is taken once.
    let just_in_time = Millis(START.0 + 5 * 60_000 - 1);
    assert_eq!(ask(&mut sim.engine, set_target(Some(&token)), content(), just_in_time, &RANDOM)["ok"], true);
    refused(sim.ask_as(content(), set_target(Some(&token))), invalid);
}

#[test]
fn only_extension_pages_may_begin_a_pick_and_only_on_a_web_page() {
    let mut sim = Sim::new(1);
    let begin = json!({"type": "campaign.beginPick", "tabId": 4, "url": "https://chat.test/room/1"});
    let answer = sim.ask_as(content(), begin);
    assert_eq!(answer["error"]["code"], "not_allowed");
    let answer = sim.ask(json!({"type": "campaign.beginPick", "tabId": 4, "url": "chrome://settings"}));
    assert_eq!((answer["error"]["code"].as_str(), answer["error"]["field"].as_str()), (Some("invalid_input"), Some("target")));
    let answer = sim.ask(json!({"type": "campaign.beginPick", "url": "https://chat.test/"}));
    assert_eq!(answer["error"]["code"], "bad_request");
}

#[test]
fn campaign_requests_drive_the_campaign_and_name_bad_fields() {
    let mut sim = Sim::new(1);
    let refused = sim.ask(json!({"type": "campaign.start"}));
    assert_eq!((refused["error"]["code"].as_str(), refused["error"]["field"].as_str()), (Some("invalid_input"), Some("phrases")));
    let configured = sim.ask(
        json!({"type": "campaign.configure", "settings": {"phrases": ["hi", "hello"], "intervalMinSeconds": 2, "intervalMaxSeconds": 3}}),
    );
    assert_eq!(configured["value"]["settings"]["phrases"], json!(["hi", "hello"]));
    let refused = sim.ask(json!({"type": "campaign.start"}));
    assert_eq!(refused["error"]["field"], "target");
    sim.ask(json!({"type": "campaign.setTarget", "tabId": 3, "url": "http://127.0.0.1:5000/", "input": "textarea"}));
    let started = sim.ask(json!({"type": "campaign.start"}));
    assert_eq!(started["value"]["status"], "running");
    let refused = sim.ask(json!({"type": "campaign.resume"}));
    assert_eq!(
        refused["error"],
        json!({"code": "campaign_state", "message": "the campaign is running, so it cannot resume", "field": null})
    );
    assert_eq!(sim.ask(json!({"type": "campaign.pause"}))["value"]["status"], "paused");
    assert_eq!(sim.ask(json!({"type": "campaign.stop"}))["value"]["status"], "idle");
}

#[test]
fn a_listed_webhook_shows_its_settings_and_whether_it_has_a_secret_never_the_secret() {
    let mut sim = Sim::new(1);
    let webhook = json!({
        "url": "https://h.test/in?text={{data.message | default:\"hi there\"}}", "secret": "s3cret",
        "headers": {"X-Team": "ops"}, "filters": {"match": "any", "conditions": ["event == error"]},
        "preset": "slack",
    });
    let created = sim.ask(json!({"type": "webhooks.create", "webhook": webhook}))["value"].clone();
    let listed = sim.ask(json!({"type": "webhooks.list"}))["value"][0].clone();
    assert_eq!(listed, created);
    assert!(!listed.to_string().contains("s3cret"), "{listed}");
    let mut keys: Vec<&str> = listed.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "actOnReplies", "autoDisableAfter", "batch", "chatId", "createdAt", "disabledReason", "enabled", "events", "filters",
            "hasSecret", "headers", "health", "id", "method", "name", "preset", "previousSecrets", "ratePerMinute", "retrySchedule",
            "stats", "template", "timeoutMs", "updatedAt", "url", "urlHasSecrets",
        ]
    );
    assert_eq!(listed["hasSecret"], true);
    assert_eq!(listed["url"], "https://h.test/in?text={{data.message | default:\"hi there\"}}", "the URL reads as typed");
    assert_eq!(listed["urlHasSecrets"], false, "a template is no credential");
    assert_eq!(listed["headers"], json!([{"name": "X-Team", "value": null, "secret": true}]));
    assert_eq!(listed["filters"], json!({"match": "any", "conditions": ["event == error"]}));
    assert_eq!((listed["method"].clone(), listed["preset"].clone()), (json!("POST"), json!("slack")));
    assert_eq!(listed["stats"], json!(autohook::Stats::default().view()), "stats come as their view, with derived rates");
    let cleared = sim.ask(json!({"type": "webhooks.update", "id": listed["id"], "changes": {"secret": ""}}));
    assert_eq!(cleared["value"]["hasSecret"], false);
}

#[test]
fn a_malformed_request_is_refused_with_what_is_wrong() {
    let mut sim = Sim::new(1);
    for (message, expected) in [
        (json!("webhooks.list"), "invalid type: string \"webhooks.list\", expected internally tagged enum Request"),
        (json!({}), "missing field `type`"),
        (json!({"type": true}), "invalid type: boolean `true`, expected variant identifier"),
        (json!({"type": "webhooks.delete"}), "missing field `id`"),
        (json!({"type": "webhooks.delete", "id": "wh_1", "extra": 1}), "unknown field `extra`, expected `id`"),
        (json!({"type": "webhooks.delete", "id": 5}), "invalid type: integer `5`, expected a string"),
        (json!({"type": "settings.set", "enabled": "yes"}), "invalid type: string \"yes\", expected a boolean"),
    ] {
        let answer = sim.ask(message.clone());
        assert_eq!(answer["error"]["code"], "bad_request", "{message}");
        assert_eq!(answer["error"]["message"], format!("bad request: {expected}"), "{message}");
    }
    let unknown = sim.ask(json!({"type": "nope"}));
    assert!(
        unknown["error"]["message"].as_str().unwrap().starts_with("bad request: unknown variant `nope`, expected one of `webhooks.list`, "),
        "{unknown}"
    );
    // A request without fields ignores any it is given.
    assert_eq!(sim.ask(json!({"type": "webhooks.list", "extra": 1}))["ok"], true);
}
