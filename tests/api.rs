//! The message API as pages use it: requests in, `{ok, value | error}` out.

use autohook::api::{handle, reply, Reply, Sender};
use autohook::engine::{Engine, Outcome};
use autohook::time::Millis;
use serde_json::{json, Value};

const NOW: Millis = Millis(1_700_000_000_000);

fn ask_as(engine: &mut Engine, sender: Sender, message: Value) -> Value {
    let result = handle(engine, message, sender, NOW, &[9; 32]).map(|reply| match reply {
        Reply::Now(value) => value,
        Reply::AfterDelivery(id) => json!({ "after": id }),
    });
    reply(result)
}

fn ask(engine: &mut Engine, message: Value) -> Value {
    ask_as(engine, Sender::ExtensionPage, message)
}

fn content() -> Sender {
    Sender::ContentScript { tab_id: 4, url: "https://chat.test/room/1".into() }
}

fn header<'a>(request: &'a Value, name: &str) -> Option<&'a str> {
    request["headers"].as_array()?.iter().find(|pair| pair[0] == name).and_then(|pair| pair[1].as_str())
}

#[test]
fn content_scripts_may_read_and_change_nothing() {
    let mut engine = Engine::new([1; 16]);
    for kind in ["webhooks.list", "events.emit", "webhooks.revealSecret", "deliveries.list", "campaign.get", "campaign.start", "campaign.configure"] {
        let answer = ask_as(&mut engine, content(), json!({"type": kind}));
        assert_eq!(answer["error"]["code"], "not_allowed", "{kind}");
        assert_eq!(answer["error"]["message"], format!("{kind} is only accepted from the extension's own pages"));
    }
}

#[test]
fn preview_signs_with_the_stored_secret_when_editing_and_names_bad_fields() {
    let mut engine = Engine::new([1; 16]);
    let created = ask(&mut engine, json!({"type": "webhooks.create", "webhook": {"url": "https://h.test/in", "secret": "s3cret"}}));
    let id = created["value"]["id"].clone();

    let preview = ask(&mut engine, json!({"type": "webhooks.preview", "id": id, "webhook": {"method": "PUT"}, "event": "milestone"}));
    let request = &preview["value"];
    assert_eq!(request["method"], "PUT");
    assert_eq!(header(request, "X-AutoHook-Event"), Some("milestone"));
    assert!(header(request, "webhook-signature").unwrap().starts_with("v1,"));
    let body: Value = serde_json::from_str(request["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"]["milestone"], "100_messages");
    assert!(!preview.to_string().contains("s3cret"), "the preview never shows the secret");

    let unsigned = ask(&mut engine, json!({"type": "webhooks.preview", "webhook": {"url": "https://h.test/"}}));
    assert_eq!(header(&unsigned["value"], "webhook-signature"), None);
    let bad = ask(&mut engine, json!({"type": "webhooks.preview", "webhook": {"url": "https://h.test/", "headers": {"Host": "x"}}}));
    assert_eq!(bad["error"]["field"], "headers");
}

#[test]
fn reveal_returns_the_stored_secret_to_extension_pages() {
    let mut engine = Engine::new([1; 16]);
    let created = ask(&mut engine, json!({"type": "webhooks.create", "webhook": {"url": "https://h.test/in", "secret": "s3cret"}}));
    let revealed = ask(&mut engine, json!({"type": "webhooks.revealSecret", "id": created["value"]["id"]}));
    assert_eq!(revealed["value"]["secret"], "s3cret");
}

#[test]
fn summary_counts_the_last_day_by_outcome_and_lists_the_newest_five() {
    let mut engine = Engine::new([1; 16]);
    ask(&mut engine, json!({"type": "webhooks.create", "webhook": {"url": "https://h.test/in", "retrySchedule": []}}));
    let stale = Millis(NOW.0 - 25 * 60 * 60 * 1000);
    for (at, status) in [(stale, 200), (NOW, 200), (NOW, 200), (NOW, 500)] {
        engine.emit("message_sent", json!({}), at).unwrap();
        engine.take_changes();
        engine.changes_saved(u64::MAX);
        let transmit = engine.poll_transmit(at).unwrap();
        engine.handle_response(transmit.attempt, Outcome::Response { status, retry_after: None, body: String::new() }, at);
    }
    let summary = ask(&mut engine, json!({"type": "stats.summary"}));
    assert_eq!(summary["value"]["delivered24h"], 2);
    assert_eq!(summary["value"]["failed24h"], 1);
    assert_eq!(summary["value"]["latest"].as_array().unwrap().len(), 4);
    assert_eq!(summary["value"]["latest"][0]["status"], 500);
}

#[test]
fn presets_are_checked_on_their_fields_and_shape_the_body() {
    let mut engine = Engine::new([1; 16]);
    let create = |engine: &mut Engine, webhook: Value| ask(engine, json!({"type": "webhooks.create", "webhook": webhook}));
    let url = "https://hooks.slack.test/services/T/B/x";
    assert_eq!(create(&mut engine, json!({"url": url, "preset": "hipchat"}))["error"]["field"], "preset");
    assert_eq!(create(&mut engine, json!({"url": url, "preset": "telegram"}))["error"]["field"], "chatId");
    assert_eq!(create(&mut engine, json!({"url": url, "preset": "slack", "method": "GET"}))["error"]["field"], "method");
    assert_eq!(ask(&mut engine, json!({"type": "webhooks.list"}))["value"], json!([]));

    let slack = create(&mut engine, json!({"url": url, "preset": "slack"}));
    assert_eq!(slack["value"]["preset"], "slack");
    let preview = ask(&mut engine, json!({"type": "webhooks.preview", "id": slack["value"]["id"], "webhook": {}, "event": "campaign_paused"}));
    let body: Value = serde_json::from_str(preview["value"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["text"], "Campaign paused after 25 messages today");
    assert_eq!(body["blocks"][0]["type"], "section");
}

#[test]
fn the_picker_sets_the_target_of_its_own_tab_only() {
    let mut engine = Engine::new([1; 16]);
    let answer = ask_as(&mut engine, content(), json!({"type": "campaign.setTarget", "input": "#compose", "button": "button.send"}));
    assert_eq!(answer["value"]["target"], json!({"tabId": 4, "site": "https://chat.test", "input": "#compose", "button": "button.send"}));
    let answer = ask_as(&mut engine, content(), json!({"type": "campaign.setTarget", "tabId": 9, "url": "https://evil.test/", "input": "#x"}));
    assert_eq!(answer["error"]["code"], "bad_request");
    let remembered = ask(&mut engine, json!({"type": "campaign.get", "url": "https://chat.test/room/2"}));
    assert_eq!(remembered["value"]["remembered"], json!({"input": "#compose", "button": "button.send"}));
    assert_eq!(remembered["value"]["target"]["tabId"], 4);
}

#[test]
fn campaign_requests_drive_the_campaign_and_name_bad_fields() {
    let mut engine = Engine::new([1; 16]);
    let refused = ask(&mut engine, json!({"type": "campaign.start"}));
    assert_eq!((refused["error"]["code"].as_str(), refused["error"]["field"].as_str()), (Some("invalid_input"), Some("phrases")));
    let configured = ask(&mut engine, json!({"type": "campaign.configure", "settings": {"phrases": ["hi", "hello"], "intervalMinSeconds": 2, "intervalMaxSeconds": 3}}));
    assert_eq!(configured["value"]["settings"]["phrases"], json!(["hi", "hello"]));
    let refused = ask(&mut engine, json!({"type": "campaign.start"}));
    assert_eq!(refused["error"]["field"], "target");
    ask(&mut engine, json!({"type": "campaign.setTarget", "tabId": 3, "url": "http://127.0.0.1:5000/", "input": "textarea"}));
    let started = ask(&mut engine, json!({"type": "campaign.start"}));
    assert_eq!(started["value"]["status"], "running");
    let refused = ask(&mut engine, json!({"type": "campaign.resume"}));
    assert_eq!(refused["error"], json!({"code": "campaign_state", "message": "the campaign is running, so it cannot resume", "field": null}));
    assert_eq!(ask(&mut engine, json!({"type": "campaign.pause"}))["value"]["status"], "paused");
    assert_eq!(ask(&mut engine, json!({"type": "campaign.stop"}))["value"]["status"], "idle");
}
