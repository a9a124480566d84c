//! Secret rotation under the simulated clock: receivers holding the old or
//! the new secret both verify during the overlap, only the new one after
//! it, and the old secret leaves storage by itself when it expires.

use autohook::limits::REDACTED;
use autohook::{standard_signature, SecretKey, Sender, Transmit};
use serde_json::{json, Value};

use crate::common::{ask, header, hex_verifies, json_header, response, status, verifies, Sim, START};

const OLD: &str = "whsec_b2xkIHNlY3JldCBvZiB0aGUgd2ViaG9vaw==";
const HOUR_MS: u64 = 3_600_000;

/// Rotates `id`'s secret with fresh bytes `random`; the new secret.
fn rotate(sim: &mut Sim, id: &str, overlap_hours: f64, random: u8) -> String {
    let message = json!({"type": "webhooks.rotateSecret", "id": id, "overlapHours": overlap_hours});
    let answer = ask(&mut sim.engine, message, Sender::ExtensionPage, sim.now, &[random; 32]);
    answer["value"]["secret"].as_str().unwrap_or_else(|| panic!("rotated: {answer}")).to_string()
}

/// Emits one event and delivers it; the request sent.
fn deliver_one(sim: &mut Sim) -> Transmit {
    sim.emit("message_sent");
    let mut transmits = sim.transmits();
    assert_eq!(transmits.len(), 1);
    let transmit = transmits.remove(0);
    sim.respond(&transmit, status(204));
    transmit
}

fn signed_webhook(sim: &mut Sim) -> String {
    sim.webhook(json!({"url": "https://h.test/in", "secret": OLD}))
}

fn previous_secrets(sim: &mut Sim) -> Value {
    sim.ask(json!({"type": "webhooks.list"}))["value"][0]["previousSecrets"].clone()
}

#[test]
fn during_the_overlap_either_secret_verifies_and_after_it_only_the_new_one() {
    let mut sim = Sim::new(1);
    let id = signed_webhook(&mut sim);
    let new = rotate(&mut sim, &id, 2.0, 9);
    assert!(new.starts_with("whsec_") && new != OLD);

    let during = deliver_one(&mut sim);
    assert!(verifies(&during, OLD) && verifies(&during, &new), "{:?}", header(&during, "webhook-signature"));
    assert!(
        header(&during, "webhook-signature").unwrap().starts_with("v1,")
            && header(&during, "webhook-signature").unwrap().split(' ').count() == 2
    );
    assert!(hex_verifies(&during, &new) && !hex_verifies(&during, OLD), "the hex signature uses the new secret only");
    let key = SecretKey::parse(&new).unwrap();
    let first = header(&during, "webhook-signature").unwrap().split(' ').next().unwrap();
    let timestamp = header(&during, "webhook-timestamp").unwrap().parse().unwrap();
    let body = during.request.body.as_deref().unwrap().as_bytes();
    assert_eq!(first, standard_signature(&key, header(&during, "webhook-id").unwrap(), timestamp, body), "the new signature comes first");

    assert!(sim.advance(), "the old secret's expiry wakes the engine");
    assert_eq!(sim.now, START.plus(2 * HOUR_MS));
    let after = deliver_one(&mut sim);
    assert!(verifies(&after, &new) && !verifies(&after, OLD));
    assert_eq!(header(&after, "webhook-signature").unwrap().split(' ').count(), 1);
}

#[test]
fn expiry_removes_the_previous_secret_from_storage_with_no_other_input() {
    let mut sim = Sim::new(2);
    let id = signed_webhook(&mut sim);
    rotate(&mut sim, &id, 0.5, 9);
    sim.persist();
    assert!(sim.storage["webhooks"].contains(OLD), "kept, sealed with the webhook, for the overlap");
    assert_eq!(previous_secrets(&mut sim), json!([{"expiresAt": START.plus(HOUR_MS / 2)}]));

    assert!(sim.advance());
    assert_eq!(sim.now, START.plus(HOUR_MS / 2), "woken at the expiry");
    sim.drain();
    assert!(sim.persist(), "the expiry itself is a change to store");
    assert!(!sim.storage["webhooks"].contains(OLD));
    assert_eq!(previous_secrets(&mut sim), json!([]));
    assert!(!sim.advance(), "nothing waits once it is gone");
}

#[test]
fn at_most_three_previous_secrets_are_kept_the_oldest_dropped() {
    let mut sim = Sim::new(3);
    let id = signed_webhook(&mut sim);
    let mut secrets = vec![OLD.to_string()];
    for random in 1..=4 {
        sim.now = sim.now.plus(1000);
        secrets.push(rotate(&mut sim, &id, 24.0, random));
    }
    let expiries: Vec<Value> = (2..=4).rev().map(|n| json!({"expiresAt": START.plus(n * 1000 + 24 * HOUR_MS)})).collect();
    assert_eq!(previous_secrets(&mut sim), Value::Array(expiries), "newest first");
    let transmit = deliver_one(&mut sim);
    assert_eq!(header(&transmit, "webhook-signature").unwrap().split(' ').count(), 4);
    let accepted: Vec<bool> = secrets.iter().map(|secret| verifies(&transmit, secret)).collect();
    assert_eq!(accepted, [false, true, true, true, true], "the first secret was the oldest of four previous ones");
}

#[test]
fn previous_secrets_survive_a_restart_from_storage() {
    let mut sim = Sim::new(4);
    let id = signed_webhook(&mut sim);
    let new = rotate(&mut sim, &id, 1.0, 9);
    sim.restart();
    assert_eq!(previous_secrets(&mut sim), json!([{"expiresAt": START.plus(HOUR_MS)}]));
    let transmit = deliver_one(&mut sim);
    assert!(verifies(&transmit, OLD) && verifies(&transmit, &new));
    assert!(sim.advance());
    assert_eq!(sim.now, START.plus(HOUR_MS), "the restarted engine wakes at the same expiry");
}

#[test]
fn an_overlap_out_of_range_is_refused_and_changes_nothing() {
    let mut sim = Sim::new(5);
    let id = signed_webhook(&mut sim);
    sim.persist();
    for overlap in [json!(0), json!(-1), json!(168.01), json!(1e9)] {
        let answer = sim.ask(json!({"type": "webhooks.rotateSecret", "id": id, "overlapHours": overlap}));
        assert_eq!(answer["error"]["code"], "invalid_input", "{overlap}");
        assert_eq!(answer["error"]["field"], "overlapHours", "{overlap}");
        assert!(sim.engine.take_changes().is_empty(), "{overlap} changed something");
    }
    let answer = sim.ask(json!({"type": "webhooks.rotateSecret", "id": id, "overlapHours": "24"}));
    assert_eq!(answer["error"]["code"], "bad_request");
    let answer = sim.ask(json!({"type": "webhooks.rotateSecret", "id": "wh_none"}));
    assert_eq!((answer["error"]["code"].clone(), answer["error"]["field"].clone()), (json!("unknown_webhook"), json!("id")));
    let revealed = sim.ask(json!({"type": "webhooks.revealSecret", "id": id}));
    assert_eq!(revealed["value"]["secret"], OLD);
    assert_eq!(previous_secrets(&mut sim), json!([]));
}

#[test]
fn the_overlap_defaults_to_a_day_and_a_webhook_without_a_secret_just_gets_one() {
    let mut sim = Sim::new(6);
    let id = signed_webhook(&mut sim);
    sim.ask(json!({"type": "webhooks.rotateSecret", "id": id}));
    assert_eq!(previous_secrets(&mut sim), json!([{"expiresAt": START.plus(24 * HOUR_MS)}]));

    let mut sim = Sim::new(7);
    let id = sim.webhook(json!({"url": "https://h.test/in"}));
    let new = rotate(&mut sim, &id, 1.0, 9);
    assert_eq!(previous_secrets(&mut sim), json!([]));
    let transmit = deliver_one(&mut sim);
    assert!(verifies(&transmit, &new) && hex_verifies(&transmit, &new));
    assert_eq!(header(&transmit, "webhook-signature").unwrap().split(' ').count(), 1);
}

#[test]
fn a_secret_replaced_by_hand_revokes_the_previous_ones_at_once() {
    let mut sim = Sim::new(8);
    let id = signed_webhook(&mut sim);
    let new = rotate(&mut sim, &id, 1.0, 9);
    let same = sim.ask(json!({"type": "webhooks.update", "id": id, "changes": {"secret": new, "name": "renamed"}}));
    assert_eq!(same["value"]["previousSecrets"].as_array().map(Vec::len), Some(1), "saving the same secret is no replacement");
    let preview = sim.ask(json!({"type": "webhooks.preview", "id": id, "webhook": {}}));
    let signatures = json_header(&preview["value"], "webhook-signature").unwrap();
    assert_eq!(signatures.split(' ').count(), 2, "the preview is the request as sent: {signatures}");

    let replaced = sim.ask(json!({"type": "webhooks.update", "id": id, "changes": {"secret": "whsec_aGFuZCBtYWRl"}}));
    assert_eq!(replaced["value"]["previousSecrets"], json!([]));
    let transmit = deliver_one(&mut sim);
    assert!(!verifies(&transmit, OLD) && !verifies(&transmit, &new) && verifies(&transmit, "whsec_aGFuZCBtYWRl"));
}

#[test]
fn previous_secrets_never_appear_in_views_or_the_log() {
    let mut sim = Sim::new(9);
    let id = signed_webhook(&mut sim);
    let new = rotate(&mut sim, &id, 1.0, 9);
    let base64 = OLD.strip_prefix("whsec_").unwrap();
    sim.emit("message_sent");
    let transmits = sim.transmits();
    // A receiver that echoes both secrets back, the old one JSON-escaped too.
    let echo = json!({"got": [OLD, new, base64], "escaped": json!({"s": OLD}).to_string()}).to_string();
    sim.respond(&transmits[0], response(500, &echo));
    let views = [
        json!({"type": "webhooks.list"}),
        json!({"type": "deliveries.list"}),
        json!({"type": "deliveries.get", "id": transmits[0].delivery_id}),
        json!({"type": "stats.summary"}),
    ];
    for message in views {
        let shown = sim.ask(message.clone()).to_string();
        assert!(!shown.contains(base64) && !shown.contains(new.strip_prefix("whsec_").unwrap()), "{message}: {shown}");
    }
    sim.persist();
    let id = format!("\"id\":\"{}\"", transmits[0].delivery_id);
    let (_, log) = sim.storage.iter().find(|(key, text)| key.starts_with("pending/") && text.contains(&id)).expect("its outbox page");
    assert!(log.contains(REDACTED) && !log.contains(base64), "{log}");
}

#[test]
fn a_damaged_stored_previous_secret_is_set_aside_and_its_webhook_still_loads() {
    let mut sim = Sim::new(10);
    let id = signed_webhook(&mut sim);
    let new = rotate(&mut sim, &id, 1.0, 9);
    sim.persist();
    let damaged = sim.storage["webhooks"].replace(OLD, "whsec_!!not base64!!");
    sim.storage.insert("webhooks".into(), damaged);
    sim.restart_from_storage();

    let listed = sim.ask(json!({"type": "webhooks.list"}))["value"][0].clone();
    assert_eq!((listed["id"].as_str(), listed["enabled"].as_bool()), (Some(id.as_str()), Some(true)));
    assert_eq!(listed["previousSecrets"], json!([]));
    let unreadable = sim.ask(json!({"type": "storage.unreadable"}))["value"].clone();
    assert_eq!(unreadable[0]["origin"], "webhooks[0].previousSecrets[0]");
    assert_eq!(unreadable[0]["preview"], "", "a credential's record is not previewed");
    assert!(unreadable[0]["reason"].as_str().unwrap().contains("base64"), "{unreadable}");
    sim.persist();
    assert!(!sim.storage["webhooks"].contains("not base64"), "rewritten without it");
    assert!(verifies(&deliver_one(&mut sim), &new));
}
