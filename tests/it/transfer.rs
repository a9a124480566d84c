//! Export and import (`settings.export`, `settings.import`): a file
//! restores every webhook, the campaign's settings and the switches in a
//! fresh profile, its secrets sign as before, and a file that is wrong in
//! any way is refused with nothing changed and an error naming the record.

use autohook::limits::{MAX_PBKDF2_ITERATIONS, MAX_WEBHOOKS};
use autohook::{standard_signature, SecretKey, Transmit};
use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::common::{header, status, Sim};

const SECRET: &str = "whsec_c2lnbmluZyBzZWNyZXQgb2YgdGhlIGV4cG9ydA==";
const TOKEN: &str = "Bearer credential-token-42";
const PASSPHRASE: &str = "correct horse battery";

fn ok(sim: &mut Sim, message: Value) -> Value {
    let answer = sim.ask(message.clone());
    assert_eq!(answer["ok"], true, "{message} → {answer}");
    answer["value"].clone()
}

/// A profile with a signed webhook carrying a credential header and most
/// settings changed, a plain one, a configured campaign and changed switches.
fn configured() -> Sim {
    let mut sim = Sim::new(1);
    sim.webhook(json!({
        "name": "Signed", "url": "https://signed.test/hook?x=1", "secret": SECRET, "method": "PUT",
        "headers": {"Authorization": TOKEN, "X-Team": {"value": "blue", "secret": false}}, "events": ["message_sent", "milestone"],
        "retrySchedule": [500], "timeoutMs": 5000, "ratePerMinute": 7, "autoDisableAfter": 3,
        "filters": {"match": "any", "conditions": ["data.message != skip"]},
    }));
    sim.webhook(json!({"name": "Plain", "url": "https://plain.test/in", "preset": "slack", "enabled": false}));
    ok(
        &mut sim,
        json!({"type": "campaign.configure", "settings": {
            "phrases": ["hello", "there"], "order": "sequential", "intervalMinSeconds": 5, "intervalMaxSeconds": 9, "dailyLimit": 0,
            "sendBy": "button", "includeText": false, "schedule": {"cron": "0 9 * * 1-5", "stopAfterMessages": 3},
        }}),
    );
    ok(&mut sim, json!({"type": "settings.set", "enabled": false}));
    ok(&mut sim, json!({"type": "notifications.set", "dailyLimit": true, "failing": false}));
    sim
}

/// Everything an import may change, as the pages see it, without what a
/// profile assigns itself (ids, times, stats, health).
fn state(sim: &mut Sim) -> Value {
    let mut webhooks = ok(sim, json!({"type": "webhooks.list"}));
    for webhook in webhooks.as_array_mut().unwrap() {
        let id = webhook["id"].as_str().unwrap().to_string();
        webhook["secret"] = ok(sim, json!({"type": "webhooks.revealSecret", "id": id}))["secret"].clone();
        for volatile in ["id", "createdAt", "updatedAt", "stats", "health"] {
            webhook.as_object_mut().unwrap().remove(volatile);
        }
    }
    json!({
        "webhooks": webhooks,
        "campaign": ok(sim, json!({"type": "campaign.get"}))["settings"],
        "settings": ok(sim, json!({"type": "settings.get"})),
        "notifications": ok(sim, json!({"type": "notifications.get"})),
    })
}

/// [`configured`]'s export with its secrets: made once, as each costs
/// PBKDF2's 600,000 rounds.
fn encrypted_export() -> String {
    static FILE: OnceLock<String> = OnceLock::new();
    FILE.get_or_init(|| export(&mut configured(), Some(PASSPHRASE))).clone()
}

fn export(sim: &mut Sim, passphrase: Option<&str>) -> String {
    let message = match passphrase {
        Some(passphrase) => json!({"type": "settings.export", "includeSecrets": true, "passphrase": passphrase}),
        None => json!({"type": "settings.export", "includeSecrets": false}),
    };
    ok(sim, message).to_string()
}

fn import(sim: &mut Sim, data: impl Into<Value>, passphrase: Option<&str>, mode: &str) -> Value {
    sim.ask(json!({"type": "settings.import", "data": data.into(), "passphrase": passphrase, "mode": mode}))
}

/// The one request an event to the webhook named `name` makes.
fn deliver(sim: &mut Sim, name: &str) -> Transmit {
    let id = ok(sim, json!({"type": "webhooks.list"})).as_array().unwrap().iter().find(|w| w["name"] == name).unwrap()["id"].clone();
    ok(sim, json!({"type": "webhooks.setEnabled", "id": id, "enabled": true}));
    ok(sim, json!({"type": "settings.set", "enabled": true}));
    sim.emit("message_sent");
    let transmits = sim.transmits();
    assert_eq!(transmits.len(), 1, "{transmits:?}");
    transmits.into_iter().next().unwrap()
}

fn verifies(transmit: &Transmit, secret: &str) -> bool {
    let key = SecretKey::parse(secret).unwrap();
    let timestamp = header(transmit, "webhook-timestamp").unwrap().parse().unwrap();
    let body = transmit.request.body.as_deref().unwrap().as_bytes();
    header(transmit, "webhook-signature")
        == Some(standard_signature(&key, header(transmit, "webhook-id").unwrap(), timestamp, body).as_str())
}

#[test]
fn an_export_with_secrets_restores_everything_in_a_fresh_profile_and_its_secret_signs_the_same() {
    let mut source = configured();
    let file = encrypted_export();
    assert!(!file.contains(SECRET) && !file.contains("c2lnbmluZyBzZWNyZXQ") && !file.contains("credential-token"), "in clear: {file}");
    let parsed: Value = serde_json::from_str(&file).unwrap();
    assert_eq!((&parsed["format"], &parsed["version"]), (&json!("autohook-export"), &json!(1)));
    assert_eq!(parsed["webhooks"][0]["secret"], json!({"encrypted": true}));
    assert_eq!(parsed["webhooks"][0]["url"], json!({"encrypted": true}), "its query value is a credential");
    assert_eq!(parsed["webhooks"][0]["headers"], json!([["Authorization", {"encrypted": true}], ["X-Team", "blue", false]]));
    assert_eq!(parsed["secrets"]["iterations"], 600_000);
    assert!(parsed["campaign"].get("status").is_none() && parsed.get("target").is_none(), "settings only: {}", parsed["campaign"]);

    let mut fresh = Sim::new(2);
    let summary = ok(&mut fresh, json!({"type": "settings.import", "data": file, "passphrase": PASSPHRASE, "mode": "merge"}));
    assert_eq!(summary["created"], json!(["Signed", "Plain"]));
    assert_eq!(summary["withoutSecrets"], json!([]));
    assert_eq!(state(&mut fresh), state(&mut source));

    let transmit = deliver(&mut fresh, "Signed");
    assert!(verifies(&transmit, SECRET), "a receiver holding the exported secret verifies");
    assert_eq!(header(&transmit, "Authorization"), Some(TOKEN));
}

#[test]
fn without_secrets_they_are_marked_omitted_and_a_webhook_with_nothing_to_take_them_from_is_imported_off() {
    let mut source = configured();
    // A URL with a query value is a credential, and one a fresh profile has
    // no way to take (see the test below): this one has none.
    let id = ok(&mut source, json!({"type": "webhooks.list"}))[0]["id"].clone();
    ok(&mut source, json!({"type": "webhooks.update", "id": id, "changes": {"url": "https://signed.test/hook"}}));
    let file = export(&mut source, None);
    let parsed: Value = serde_json::from_str(&file).unwrap();
    assert_eq!(parsed["webhooks"][0]["secret"], json!({"omitted": true}));
    assert_eq!(parsed["webhooks"][0]["headers"], json!([["Authorization", {"omitted": true}], ["X-Team", "blue", false]]));
    assert!(parsed.get("secrets").is_none() && !file.contains("credential-token"));

    // Where it came from, the same webhooks keep their own credentials.
    let before = state(&mut source);
    let summary = ok(&mut source, json!({"type": "settings.import", "data": file, "mode": "replace"}));
    assert_eq!(summary["unchanged"], json!(["Signed", "Plain"]));
    assert_eq!(state(&mut source), before);

    // A fresh profile gets the webhook without them, turned off, saying why.
    let mut fresh = Sim::new(2);
    let summary = ok(&mut fresh, json!({"type": "settings.import", "data": file, "mode": "merge"}));
    assert_eq!(summary["withoutSecrets"], json!(["Signed"]));
    let listed = ok(&mut fresh, json!({"type": "webhooks.list"}));
    let signed = &listed[0];
    assert_eq!((&signed["enabled"], &signed["hasSecret"]), (&json!(false), &json!(false)));
    assert_eq!(signed["headers"], json!([{"name": "X-Team", "value": "blue", "secret": false}]));
    assert!(signed["disabledReason"].as_str().unwrap().contains("without its secret"));
}

/// An export "without secrets" carries the service URLs whose path or
/// query *is* the credential (Slack, Discord, Telegram bot token), which the
/// log redacts.
/// (Once a defect: found by an adversarial review of #16.)
#[test]
fn an_export_without_secrets_leaves_out_urls_that_hold_credentials() {
    let mut sim = Sim::new(1);
    sim.webhook(json!({"name": "tg", "url": "https://api.telegram.org/bot123456:AAHsecretTOKENvalue/sendMessage", "preset": "telegram", "chatId": "1"}));
    sim.webhook(json!({"name": "slack", "url": "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX", "preset": "slack"}));
    let file = sim.ask(json!({"type": "settings.export", "includeSecrets": false}))["value"].to_string();
    assert!(!file.contains("AAHsecretTOKENvalue"), "Telegram bot token in clear in a no-secrets export");
    assert!(!file.contains("XXXXsecretXXXX"), "Slack webhook secret path in clear in a no-secrets export");
}

/// Credentials by where they come from, whatever they are called: a
/// custom header and a query value are left out of an export without
/// secrets. The file imports back where it came from with them kept; a
/// fresh profile has no URL to give the webhook and is told to export with
/// secrets, and the file with them moves it whole.
#[test]
fn a_custom_header_and_a_query_value_are_credentials_an_export_leaves_out() {
    let mut sim = Sim::new(1);
    sim.webhook(json!({"name": "api", "url": "https://h.test/in?pwd=hunter2-url", "headers": {"X-Api-Pass": "hunter2-header"}}));
    let file = ok(&mut sim, json!({"type": "settings.export", "includeSecrets": false}));
    assert!(!file.to_string().contains("hunter2"), "{file}");
    assert_eq!(
        (&file["webhooks"][0]["url"], &file["webhooks"][0]["headers"]),
        (&json!({"omitted": true}), &json!([["X-Api-Pass", {"omitted": true}]]))
    );
    let summary = ok(&mut sim, json!({"type": "settings.import", "data": file, "mode": "merge"}));
    assert_eq!(summary["unchanged"], json!(["api"]));
    let error = refused(&mut Sim::new(2), file, None, "merge");
    assert!(error["message"].as_str().unwrap().starts_with("webhooks[0].url: url was left out of the export"), "{error}");

    let file = export(&mut sim, Some(PASSPHRASE));
    assert!(!file.contains("hunter2"), "{file}");
    let mut fresh = Sim::new(2);
    ok(&mut fresh, json!({"type": "settings.import", "data": file, "passphrase": PASSPHRASE, "mode": "merge"}));
    fresh.emit("message_sent");
    let sent = fresh.transmits();
    assert_eq!(
        (sent[0].request.url.as_str(), header(&sent[0], "X-Api-Pass")),
        ("https://h.test/in?pwd=hunter2-url", Some("hunter2-header"))
    );
}

/// A file exported by AutoHook 1.0.0 (format 1), from before headers had a
/// switch: a header the old rules did not take for a credential is in
/// clear, as is its URL. It imports as it did, and what was in clear is
/// a credential here now: masked on the page and in the log.
#[test]
fn a_file_from_1_0_0_imports_and_its_headers_are_secret_by_default() {
    let file = json!({
        "format": "autohook-export", "version": 1, "exportedAt": "2026-11-23T00:00:00.000Z",
        "webhooks": [{
            "id": "wh_old", "name": "Old", "url": "https://old.test/in?pwd=clear-in-1.0", "method": "POST",
            "events": ["message_sent"], "headers": [["Authorization", {"omitted": true}], ["X-Api-Pass", "clear-in-1.0"], ["Accept", "*/*"]],
            "secret": null, "enabled": true, "retrySchedule": [1000], "timeoutMs": 10000, "ratePerMinute": 100,
            "autoDisableAfter": 20, "batch": null, "actOnReplies": false, "filters": null, "preset": "raw", "chatId": null, "template": null,
        }],
        "settings": {"enabled": true, "notifications": {"failing": true, "disabled": true, "campaignPaused": true, "dailyLimit": false}},
    });
    let mut fresh = Sim::new(2);
    let summary = ok(&mut fresh, json!({"type": "settings.import", "data": file, "mode": "merge"}));
    assert_eq!((&summary["created"], &summary["withoutSecrets"]), (&json!(["Old"]), &json!(["Old"])), "Authorization was left out");
    let listed = ok(&mut fresh, json!({"type": "webhooks.list"}))[0].clone();
    assert!(!listed.to_string().contains("clear-in-1.0"), "{listed}");
    assert_eq!(
        listed["headers"],
        json!([{"name": "Accept", "value": "*/*", "secret": false}, {"name": "X-Api-Pass", "value": null, "secret": true}])
    );
}

/// A no-secrets file whose record (matched by id) points elsewhere
/// imports with this profile's Authorization header and secret kept: the
/// tampering the encrypted format refuses carries credentials to a new URL.
/// (Once a defect: found by an adversarial review of #16.)
#[test]
fn a_no_secrets_record_pointed_elsewhere_gets_none_of_the_local_credentials() {
    let mut sim = Sim::new(1);
    sim.webhook(json!({"name": "api", "url": "https://good.test/hook", "headers": {"Authorization": "Bearer tok-123456"}}));
    let mut file = sim.ask(json!({"type": "settings.export", "includeSecrets": false}))["value"].clone();
    file["webhooks"][0]["url"] = json!("https://evil.test/collect");
    let answer = sim.ask(json!({"type": "settings.import", "data": file, "mode": "merge"}));
    assert_eq!(answer["ok"], true, "{answer}");
    sim.emit("message_sent");
    let t = sim.transmits();
    let leaked = t.iter().any(|t| {
        t.request.url.contains("evil.test") && t.request.headers.iter().any(|(n, v)| n == "Authorization" && v.contains("tok-123456"))
    });
    assert!(!leaked, "the local Authorization header was sent to the URL the file named");
}

/// Kept credentials are reattached only when nothing that decides where
/// they go or what they authorise changes. Each such field, changed alone
/// in a no-secrets file matched by id, leaves the webhook without its
/// secret and credential header, turned off, and the review names the
/// change and what to enter again; an unchanged record keeps them.
#[test]
fn an_import_reattaches_kept_credentials_only_when_nothing_that_directs_them_changes() {
    let local =
        json!({"name": "api", "url": "https://good.test/hook", "secret": SECRET, "headers": {"Authorization": TOKEN}, "preset": "raw"});
    let changes: [(&str, Value); 8] = [
        ("url", json!("https://evil.test/collect")),
        ("method", json!("PUT")),
        ("preset", json!("slack")),
        ("chatId", json!("-100999")),
        ("template", json!("{\"stolen\": true}")),
        ("headers", json!([["Authorization", {"omitted": true}], ["X-Forward-To", "evil"]])),
        // Switched to not secret, the kept value would show in the log and the next export.
        ("headers", json!([["Authorization", {"omitted": true}, false]])),
        ("actOnReplies", json!(true)),
    ];
    for (field, value) in changes {
        let mut sim = Sim::new(1);
        sim.webhook(local.clone());
        let mut file = sim.ask(json!({"type": "settings.export", "includeSecrets": false}))["value"].clone();
        file["webhooks"][0][field] = value;
        let summary = ok(&mut sim, json!({"type": "settings.import", "data": file, "mode": "merge"}));
        assert_eq!(
            summary["credentialsDropped"],
            json!([{"webhook": "api", "changes": [field], "reenter": ["secret", "header Authorization"]}]),
            "{field}"
        );
        let webhook = ok(&mut sim, json!({"type": "webhooks.list"}))[0].clone();
        assert_eq!((&webhook["enabled"], &webhook["hasSecret"]), (&json!(false), &json!(false)), "{field}: {webhook}");
        sim.emit("message_sent");
        assert!(sim.transmits().is_empty(), "{field}: nothing is sent until the user enters them again");
    }

    let mut sim = Sim::new(1);
    sim.webhook(local);
    let file = sim.ask(json!({"type": "settings.export", "includeSecrets": false}))["value"].clone();
    let summary = ok(&mut sim, json!({"type": "settings.import", "data": file, "mode": "merge"}));
    assert_eq!((&summary["credentialsDropped"], &summary["unchanged"]), (&json!([]), &json!(["api"])));
    sim.emit("message_sent");
    let sent = sim.transmits();
    assert_eq!(header(&sent[0], "Authorization"), Some(TOKEN), "the same record keeps its credentials");
}

/// A URL left out of a no-secrets file (it is the credential, as a Telegram
/// bot URL is) is never sent to another chat: a record that changes the
/// chat id is refused, naming the URL and the change.
#[test]
fn an_omitted_credential_url_is_not_kept_for_a_record_that_changes_where_it_posts() {
    let mut sim = Sim::new(1);
    let bot = "https://api.telegram.org/bot123456:AAHsecretTOKENvalue/sendMessage";
    sim.webhook(json!({"name": "tg", "url": bot, "preset": "telegram", "chatId": "1"}));
    let mut file = sim.ask(json!({"type": "settings.export", "includeSecrets": false}))["value"].clone();
    file["webhooks"][0]["chatId"] = json!("-100666");
    let error = refused(&mut sim, file, None, "merge");
    assert_eq!(error["field"], "data", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.starts_with("webhooks[0].url: url was left out") && message.contains("the file changes chatId"), "{error}");
}

/// (Once a defect: found by an adversarial review of #16.)
#[test]
fn a_slack_workflow_trigger_secret_is_hidden_in_the_log_and_left_out_of_an_export() {
    let mut sim = Sim::new(1);
    let token = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    sim.webhook(json!({"name": "wf", "url": format!("https://hooks.slack.com/triggers/T01234567/1234567890123/{token}")}));
    sim.emit("message_sent");
    let t = sim.transmits();
    sim.respond(&t[0], status(200));
    let logged = sim.engine.deliveries().next().unwrap().request.as_ref().unwrap().url.clone();
    let file = sim.ask(json!({"type": "settings.export", "includeSecrets": false}))["value"].to_string();
    assert!(!logged.contains(token), "log shows {logged}");
    assert!(!file.contains(token), "a no-secrets export carries it");
}

/// Stored settings that no longer parse may hold a URL that does not; its
/// credentials cannot be told from the rest, so the URL is one whole: the
/// pages see `••••` and an export without secrets leaves it out.
/// (Once a defect: found by an adversarial review of URL credentials.)
#[test]
fn an_unparsable_stored_url_is_masked_whole_and_left_out_of_an_export() {
    let mut sim = Sim::new(1);
    sim.webhook(json!({"name": "odd", "url": "https://h.test/in"}));
    let stored = "https://h.test:99999/in/ghp_0123456789abcdefXYZ?k";
    sim.edit_stored_webhooks(|list| list[0]["url"] = json!(stored));
    let listed = ok(&mut sim, json!({"type": "webhooks.list"}));
    assert_eq!((&listed[0]["url"], &listed[0]["urlHasSecrets"]), (&json!("••••"), &json!(true)), "{listed}");
    assert!(!listed.to_string().contains("ghp_"), "{listed}");

    let file = export(&mut sim, None);
    let parsed: Value = serde_json::from_str(&file).unwrap();
    assert_eq!(parsed["webhooks"][0]["url"], json!({"omitted": true}));
    assert!(!file.contains("ghp_"), "{file}");
}

/// A URL whose only credential is a bare query token or a token in its
/// host is left out of an export without secrets, and imports back.
/// (Once a defect: found by an adversarial review of URL credentials.)
#[test]
fn a_bare_query_token_or_a_host_token_leaves_the_url_out_of_an_export() {
    for url in ["https://h.test/hook?AbCdEf0123456789XyZ", "https://eo1a2b3c4d5e6f7a8b.m.pipedream.net/"] {
        let mut sim = Sim::new(1);
        sim.webhook(json!({"name": "bin", "url": url}));
        let file = export(&mut sim, None);
        let parsed: Value = serde_json::from_str(&file).unwrap();
        assert_eq!(parsed["webhooks"][0]["url"], json!({"omitted": true}), "{url}");
        assert!(!file.contains("AbCdEf0123456789XyZ") && !file.contains("eo1a2b3c4d5e6f7a8b"), "{file}");
        let summary = ok(&mut sim, json!({"type": "settings.import", "data": parsed, "mode": "merge"}));
        assert_eq!(summary["unchanged"], json!(["bin"]), "{summary}");
    }
}

/// A refused import: the error, and nothing changed.
fn refused(sim: &mut Sim, data: impl Into<Value>, passphrase: Option<&str>, mode: &str) -> Value {
    sim.persist();
    let before = state(sim);
    let answer = import(sim, data, passphrase, mode);
    assert_eq!(answer["ok"], false, "{answer}");
    assert_eq!(state(sim), before, "nothing changed");
    assert!(sim.engine.take_changes().is_empty(), "nothing to write");
    answer["error"].clone()
}

#[test]
fn a_wrong_passphrase_or_a_tampered_file_is_refused_with_nothing_changed() {
    let file = encrypted_export();
    let mut target = Sim::new(3);
    target.webhook(json!({"name": "Here", "url": "https://here.test/"}));
    target.persist();

    let error = refused(&mut target, file.clone(), Some("wrong passphrase"), "replace");
    assert_eq!((&error["code"], &error["field"]), (&json!("decrypt_failed"), &json!("passphrase")));
    assert_eq!(error["message"], "wrong passphrase, or the file was changed after it was exported");
    let error = refused(&mut target, file.clone(), None, "replace");
    assert_eq!((&error["code"], &error["field"]), (&json!("invalid_input"), &json!("passphrase")));

    let mut parsed: Value = serde_json::from_str(&file).unwrap();
    let ciphertext = parsed["secrets"]["ciphertext"].as_str().unwrap().to_string();
    let flipped = format!("{}{}", if ciphertext.starts_with('A') { "B" } else { "A" }, &ciphertext[1..]);
    parsed["secrets"]["ciphertext"] = json!(flipped);
    assert_eq!(refused(&mut target, parsed.to_string(), Some(PASSPHRASE), "replace")["code"], "decrypt_failed");

    // The credentials are bound to the rest of the file: pointing a webhook
    // with an Authorization header elsewhere fails as a wrong passphrase does.
    let mut tampered: Value = serde_json::from_str(&file).unwrap();
    tampered["webhooks"][0]["url"] = json!("https://attacker.test/");
    assert_eq!(refused(&mut target, tampered.to_string(), Some(PASSPHRASE), "replace")["code"], "decrypt_failed");
    assert_eq!(refused(&mut target, file[..file.len() / 2].to_string(), Some(PASSPHRASE), "replace")["code"], "invalid_import");

    // Keys in another order and other whitespace are no tampering.
    let reordered = serde_json::to_string_pretty(&reversed(serde_json::from_str(&file).unwrap())).unwrap();
    assert_eq!(import(&mut target, reordered, Some(PASSPHRASE), "replace")["ok"], true);
}

/// A file asking for more PBKDF2 rounds than an export uses is refused
/// before any are run: 10 million once stalled the worker for tens of
/// seconds. A refusal that ran them would make this test take that long.
#[test]
fn a_file_asking_for_more_than_a_million_pbkdf2_rounds_is_refused_before_any_work() {
    let mut target = Sim::new(3);
    for iterations in [MAX_PBKDF2_ITERATIONS + 1, 10_000_000, u32::MAX] {
        let mut parsed: Value = serde_json::from_str(&encrypted_export()).unwrap();
        parsed["secrets"]["iterations"] = json!(iterations);
        let error = refused(&mut target, parsed.to_string(), Some(PASSPHRASE), "replace");
        assert_eq!(error["code"], "invalid_import", "{error}");
        assert_eq!(
            error["message"],
            format!("not an AutoHook settings file: secrets: iterations must be 600000 to {MAX_PBKDF2_ITERATIONS}")
        );
    }
}

/// `value` with every object's keys in reverse order.
fn reversed(value: Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(fields.into_iter().rev().map(|(name, value)| (name, reversed(value))).collect()),
        Value::Array(items) => Value::Array(items.into_iter().map(reversed).collect()),
        other => other,
    }
}

#[test]
fn a_file_from_a_later_version_is_refused_with_a_clear_message() {
    let mut parsed: Value = serde_json::from_str(&export(&mut configured(), None)).unwrap();
    parsed["version"] = json!(2);
    let error = refused(&mut Sim::new(3), parsed, None, "merge");
    assert_eq!(error["code"], "unsupported_version");
    assert_eq!(
        error["message"],
        "this file is format version 2, from a later AutoHook; this one reads version 1: update AutoHook to import it"
    );
    for (data, message) in [
        (json!("not json"), "not an AutoHook settings file: expected ident at line 1 column 2"),
        (json!({"format": "other", "version": 1}), "not an AutoHook settings file: its format is not \"autohook-export\""),
        (json!("x".repeat(33 << 20)), "the file is 34603008 bytes; the limit is 33554432 bytes"),
    ] {
        let error = refused(&mut Sim::new(3), data, None, "merge");
        assert_eq!((&error["code"], &error["message"]), (&json!("invalid_import"), &json!(message)));
    }
}

fn file_with(webhooks: Vec<Value>) -> Value {
    json!({"format": "autohook-export", "version": 1, "exportedAt": "2026-11-23T00:00:00.000Z", "webhooks": webhooks})
}

/// A webhook record as an export holds it, from a fresh profile's settings.
fn record(name: &str, url: &str) -> Value {
    let mut sim = Sim::new(4);
    sim.webhook(json!({"name": name, "url": url}));
    let file: Value = serde_json::from_str(&export(&mut sim, None)).unwrap();
    file["webhooks"][0].clone()
}

#[test]
fn an_invalid_record_is_refused_by_the_rules_of_create_and_the_error_names_it() {
    let mut target = configured();
    let mut records: Vec<Value> = (0..4).map(|i| record(&format!("W{i}"), &format!("https://w{i}.test/"))).collect();
    records[3]["url"] = json!("ftp://w3.test/");
    let error = refused(&mut target, file_with(records.clone()), None, "merge");
    assert_eq!(error["code"], "invalid_input");
    assert!(error["message"].as_str().unwrap().starts_with("webhooks[3].url: "), "{error}");

    records[3]["url"] = json!("https://w3.test/");
    records[1]["timeoutMs"] = json!("soon");
    let error = refused(&mut target, file_with(records.clone()), None, "merge");
    assert_eq!(error["code"], "invalid_import");
    assert!(error["message"].as_str().unwrap().starts_with("webhooks[1]: invalid type: string \"soon\""), "{error}");

    records[1]["timeoutMs"] = json!(5000);
    records[2]["sparkles"] = json!(true);
    let error = refused(&mut target, file_with(records), None, "merge");
    assert_eq!(error["message"], "webhooks[2]: sparkles: not a webhook field this version of AutoHook knows");

    let mut file: Value = serde_json::from_str(&export(&mut configured(), None)).unwrap();
    file["campaign"]["intervalMinSeconds"] = json!(0);
    let error = refused(&mut target, file, None, "merge");
    assert!(error["message"].as_str().unwrap().starts_with("campaign.intervalMinSeconds: "), "{error}");
}

#[test]
fn the_webhook_limit_holds_for_the_file_and_for_what_a_merge_would_make() {
    let eleven: Vec<Value> = (0..=MAX_WEBHOOKS).map(|i| record(&format!("W{i}"), &format!("https://w{i}.test/"))).collect();
    let error = refused(&mut Sim::new(5), file_with(eleven.clone()), None, "replace");
    assert_eq!(
        (&error["code"], &error["message"]),
        (&json!("too_many_webhooks"), &json!("webhooks: the import would make 11 webhooks; at most 10"))
    );

    let mut target = Sim::new(5);
    for i in 0..6 {
        target.webhook(json!({"name": format!("Here{i}"), "url": format!("https://here{i}.test/")}));
    }
    let five = file_with(eleven[..5].to_vec());
    assert_eq!(refused(&mut target, five.clone(), None, "merge")["code"], "too_many_webhooks");
    let summary = ok(&mut target, json!({"type": "settings.import", "data": five, "mode": "replace"}));
    assert_eq!(summary["removed"].as_array().unwrap().len(), 6);
    assert_eq!(ok(&mut target, json!({"type": "webhooks.list"})).as_array().unwrap().len(), 5);
}

#[test]
fn merge_keeps_the_others_and_replace_deletes_them_matching_by_id_then_name_and_url() {
    let mut target = Sim::new(6);
    let kept = target.webhook(json!({"name": "Kept", "url": "https://kept.test/"}));
    let by_id = target.webhook(json!({"name": "Old name", "url": "https://id.test/"}));
    target.webhook(json!({"name": "Same", "url": "https://same.test/", "timeoutMs": 2000}));
    let mut renamed = record("New name", "https://id.test/");
    renamed["id"] = json!(by_id);
    let mut same = record("Same", "https://same.test/");
    same["timeoutMs"] = json!(9000);
    let file = file_with(vec![renamed, same, record("Added", "https://added.test/")]);

    target.persist();
    let dry = ok(&mut target, json!({"type": "settings.import", "data": file, "mode": "merge", "dryRun": true}));
    assert!(target.engine.take_changes().is_empty(), "a dry run changes nothing");
    let merged = ok(&mut target, json!({"type": "settings.import", "data": file, "mode": "merge"}));
    assert_eq!(dry, merged);
    assert_eq!((&merged["updated"], &merged["created"], &merged["removed"]), (&json!(["New name", "Same"]), &json!(["Added"]), &json!([])));
    let listed = ok(&mut target, json!({"type": "webhooks.list"}));
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Kept", "New name", "Same", "Added"]);
    assert_eq!(listed[1]["id"], by_id, "matched by id, updated in place");
    assert_eq!(listed[2]["timeoutMs"], 9000, "matched by name and URL");

    let replaced = ok(&mut target, json!({"type": "settings.import", "data": file, "mode": "replace"}));
    assert_eq!((&replaced["removed"], &replaced["unchanged"]), (&json!(["Kept"]), &json!(["New name", "Same", "Added"])));
    assert!(target.engine.webhook(&kept).is_err());
}

#[test]
fn an_export_with_secrets_needs_a_passphrase_of_eight_characters() {
    let mut sim = configured();
    for (message, text) in [
        (json!({"type": "settings.export", "includeSecrets": true}), "passphrase: needed to encrypt the secrets"),
        (
            json!({"type": "settings.export", "includeSecrets": true, "passphrase": "short"}),
            "passphrase: at least 8 characters are needed to encrypt secrets",
        ),
    ] {
        let answer = sim.ask(message);
        assert_eq!((&answer["error"]["field"], &answer["error"]["message"]), (&json!("passphrase"), &json!(text)));
    }
}

#[test]
fn an_import_is_stored_and_survives_a_restart() {
    let file = encrypted_export();
    let mut fresh = Sim::new(7);
    import(&mut fresh, file, Some(PASSPHRASE), "merge");
    let imported = state(&mut fresh);
    fresh.restart();
    assert_eq!(state(&mut fresh), imported);
    assert!(verifies(&deliver(&mut fresh, "Signed"), SECRET));
}
