//! Where batches, acting on replies and import/export meet the rest:
//! the edge cases an adversarial review of #16 found, each once a defect.

use autohook::{Control, DeliveryState, HeldEvents, Selectors, Status, WebhookInput};
use serde_json::{json, Value};

use crate::common::{response, status, Sim, NOON};

const MINUTE: u64 = 60_000;

fn input(v: Value) -> WebhookInput {
    serde_json::from_value(v).unwrap()
}

/// A batch holding a reply-sourced message_sent is acted on: the loop the
/// issue forbids ("replies to deliveries of such events are never acted on").
#[test]
fn a_batch_carrying_a_reply_sourced_message_is_not_acted_on() {
    let mut sim = Sim::at(5, NOON);
    sim.webhook(json!({"url": "https://h.test/", "actOnReplies": true, "events": ["message_sent"],
        "batch": {"maxEvents": 2, "maxWaitSeconds": 1}}));
    let selectors = Selectors { input: "#msg".into(), button: None };
    sim.engine.set_campaign_target(7, "http://127.0.0.1:8080/chat", selectors).unwrap();
    let settings = json!({"phrases": ["one"], "order": "sequential", "intervalMinSeconds": 60, "intervalMaxSeconds": 60, "dailyLimit": 0});
    sim.engine.configure_campaign(serde_json::from_value(settings).unwrap(), NOON).unwrap();
    sim.engine.control_campaign(Control::Start, sim.now).unwrap();
    // A workflow that answers every delivery with a reply.
    let typed = sim.run_until(NOON.plus(10 * MINUTE), |_| response(200, r#"{"autohook": {"reply": "pong"}}"#));
    // Each phrase may earn a pong; a pong never earns another.
    let (pongs, ones) = (typed.iter().filter(|t| *t == "pong").count(), typed.iter().filter(|t| *t == "one").count());
    assert!(pongs > 0 && pongs <= ones, "a reply answered a reply: typed {typed:?}");
    let answered = sim.engine.deliveries().filter(|d| d.state == DeliveryState::Delivered);
    let from_replies: Vec<_> = answered.filter(|d| d.batch.iter().any(|e| e.data.get("source") == Some(&json!("reply")))).collect();
    assert!(!from_replies.is_empty(), "the workflow saw its own pongs");
    for delivery in from_replies {
        assert_eq!(delivery.reply_action.as_deref(), Some("not acted on: reply to a reply"), "{delivery:?}");
    }
}

/// Turning batching off (with the template it then needs) closes the open
/// batch and sends it with a template only checked against single events.
#[test]
fn turning_batching_off_sends_the_open_batch_s_events_one_by_one_with_the_new_template() {
    let mut sim = Sim::new(1);
    let id = sim.webhook(json!({"url": "https://h.test/", "preset": "custom", "template": "{\"n\": {{count}}}",
        "batch": {"maxEvents": 10, "maxWaitSeconds": 60}}));
    for n in 0..3 {
        sim.engine.emit("message_sent", json!({"message": format!("m{n}")}), sim.now).unwrap();
    }
    sim.engine.update_webhook(&id, input(json!({"batch": null, "template": "{\"kind\": \"{{event}}\"}"})), sim.now).unwrap();
    let sent = sim.run(|_| status(200));
    let failed: Vec<_> = sim.engine.deliveries().filter(|d| d.reason.is_some()).map(|d| d.reason.clone()).collect();
    assert_eq!(sent.len(), 3, "the 3 batched events go one request each, as the webhook now sends; log: {failed:?}");
    for (_, transmit) in &sent {
        assert_eq!(transmit.request.body.as_deref(), Some("{\"kind\": \"message_sent\"}"));
    }
}

/// The 256 KB cap is checked when an event joins, against the settings
/// then; a change of preset that keeps `batch` leaves an open batch that is
/// then sent over the cap.
#[test]
fn a_batch_past_256_kb_under_changed_settings_is_refused_not_sent() {
    let mut sim = Sim::new(1);
    let id = sim.webhook(json!({"url": "https://h.test/", "preset": "slack", "batch": {"maxEvents": 100, "maxWaitSeconds": 60}}));
    let big = "x".repeat(4000);
    for n in 0..90 {
        sim.engine.emit("message_sent", json!({"message": format!("{n}{big}")}), sim.now).unwrap();
    }
    sim.engine.update_webhook(&id, input(json!({"preset": "raw"})), sim.now).unwrap();
    let sent = sim.run(|_| status(200));
    for (_, t) in &sent {
        let len = t.request.body.as_ref().map_or(0, |b| b.len());
        assert!(len <= 256 * 1024, "a request of {len} bytes was sent, over the 256 KB cap");
    }
}

/// Events that joined an open batch while the webhook was auto-disabled
/// are sent although the user turned it on with "discard held events".
#[test]
fn discarding_held_events_discards_the_batch_gathered_meanwhile_too() {
    let mut sim = Sim::new(1);
    let id = sim.webhook(json!({"url": "https://h.test/", "retrySchedule": [], "autoDisableAfter": 1,
        "batch": {"maxEvents": 2, "maxWaitSeconds": 3600}}));
    sim.emit("message_sent");
    sim.emit("message_sent");
    let t = sim.transmits();
    assert_eq!(t.len(), 1);
    sim.respond(&t[0], status(500));
    assert!(sim.engine.webhook(&id).unwrap().health.auto_disabled);
    sim.emit("error"); // held: joins a new open batch
    sim.engine.set_webhook_enabled(&id, true, HeldEvents::Discard, sim.now).unwrap();
    let sent = sim.run(|_| status(200));
    assert!(sent.is_empty(), "an event raised while held was sent despite Discard: {} request(s)", sent.len());
}

/// An export "without secrets" carries the service URLs whose path or
/// query *is* the credential (Slack, Discord, Telegram bot token), which the
/// log redacts.
#[test]
fn an_export_without_secrets_leaves_out_urls_that_hold_credentials() {
    let mut sim = Sim::new(1);
    sim.webhook(json!({"name": "tg", "url": "https://api.telegram.org/bot123456:AAHsecretTOKENvalue/sendMessage", "preset": "telegram", "chatId": "1"}));
    sim.webhook(json!({"name": "slack", "url": "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX", "preset": "slack"}));
    let file = sim.ask(json!({"type": "settings.export", "includeSecrets": false}))["value"].to_string();
    assert!(!file.contains("AAHsecretTOKENvalue"), "Telegram bot token in clear in a no-secrets export");
    assert!(!file.contains("XXXXsecretXXXX"), "Slack webhook secret path in clear in a no-secrets export");
}

/// A no-secrets file whose record (matched by id) points elsewhere
/// imports with this profile's Authorization header and secret kept: the
/// tampering the encrypted format refuses carries credentials to a new URL.
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

#[test]
fn turning_batching_off_near_the_outbox_limit_sends_the_batch_whole_rather_than_drop_events() {
    let mut sim = Sim::new(1);
    let a = sim.webhook(
        json!({"name": "a", "url": "https://a.test/", "events": ["message_sent"], "batch": {"maxEvents": 100, "maxWaitSeconds": 3600}}),
    );
    sim.webhook(json!({"name": "b", "url": "https://b.test/", "events": ["error"]}));
    for _ in 0..5 {
        sim.emit("message_sent");
    }
    for _ in 0..9_998 {
        sim.emit("error");
    }
    sim.engine.update_webhook(&a, input(json!({"batch": null})), sim.now).unwrap();
    let a_all = sim.engine.deliveries().filter(|d| d.webhook_id == a).count();
    assert_eq!(a_all, 1, "one batch, as gathered");
    let batch = sim.engine.deliveries().find(|d| d.webhook_id == a).unwrap();
    assert_eq!((batch.state, batch.batch.len()), (DeliveryState::Pending, 5));
}

#[test]
fn a_reply_too_long_once_redacted_is_ignored_and_the_campaign_control_still_runs() {
    let mut sim = Sim::at(5, NOON);
    sim.webhook(json!({"url": "https://h.test/", "actOnReplies": true, "headers": {"X-Api-Key": "abcdef12"}}));
    let selectors = Selectors { input: "#msg".into(), button: None };
    sim.engine.set_campaign_target(7, "http://127.0.0.1:8080/chat", selectors).unwrap();
    let settings =
        json!({"phrases": ["one", "two"], "order": "sequential", "intervalMinSeconds": 60, "intervalMaxSeconds": 60, "dailyLimit": 0});
    sim.engine.configure_campaign(serde_json::from_value(settings).unwrap(), NOON).unwrap();
    sim.engine.control_campaign(Control::Start, sim.now).unwrap();
    let text = "abcdef12".repeat(250);
    let body = json!({"autohook": {"reply": text, "campaign": "pause"}}).to_string();
    let t = sim.transmits();
    assert_eq!(t.len(), 1);
    sim.respond(&t[0], response(200, &body));
    let action = sim.engine.deliveries().find_map(|d| d.reply_action.clone());
    assert_eq!(*sim.engine.campaign().status(), Status::Paused, "{action:?}");
    assert!(action.as_deref().unwrap().contains("ignored: reply is 2500 characters once its credentials are redacted"), "{action:?}");
}
