//! Delivery scenarios against the sans-IO engine with a simulated clock:
//! the harness jumps time to the engine's next wake-up, so nothing sleeps.

use std::collections::BTreeMap;

use autohook::limits::{LOG_CAPACITY, MAX_WEBHOOKS};
use autohook::{DeliveryState, EngineError, Outcome, Snapshot, Transmit, WebhookInput};

use serde_json::{json, Value};

use crate::common::{header, status, Sim, START};

#[test]
fn retries_after_500_twice_then_delivers_at_1s_and_2s() {
    let mut sim = Sim::new(7);
    let id = sim.webhook(json!({"url": "https://h.test/"}));
    sim.emit("message_sent");
    let mut answers = vec![status(500), status(500), status(200)].into_iter();
    let sent = sim.run(|_| answers.next().unwrap());

    let times: Vec<u64> = sent.iter().map(|(at, _)| at.since(START)).collect();
    assert_eq!(times, [0, 1000, 3000]);
    let event_ids: Vec<&str> = sent.iter().map(|(_, t)| header(t, "webhook-id").unwrap()).collect();
    assert!(event_ids.iter().all(|id| *id == event_ids[0]), "same webhook-id on every attempt");
    let delivery_ids: Vec<&str> = sent.iter().map(|(_, t)| header(t, "x-autohook-delivery").unwrap()).collect();
    assert_eq!(delivery_ids.len(), 3);
    assert!(delivery_ids[0] != delivery_ids[1] && delivery_ids[1] != delivery_ids[2]);

    let stats = sim.stats(&id);
    assert_eq!((stats.triggers, stats.successes, stats.failures), (1, 1, 0));
    let delivery = sim.engine.deliveries().next().unwrap();
    assert_eq!(delivery.state, DeliveryState::Delivered);
    let statuses: Vec<Option<u16>> = delivery.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
}

#[test]
fn always_500_makes_four_attempts_then_counts_one_failure() {
    let mut sim = Sim::new(7);
    let id = sim.webhook(json!({"url": "https://h.test/"}));
    sim.emit("error");
    let sent = sim.run(|_| status(500));
    let times: Vec<u64> = sent.iter().map(|(at, _)| at.since(START)).collect();
    assert_eq!(times, [0, 1000, 3000, 6000]);
    let stats = sim.stats(&id);
    assert_eq!((stats.triggers, stats.successes, stats.failures), (1, 0, 1));
    assert_eq!(sim.engine.deliveries().next().unwrap().reason.as_deref(), Some("HTTP 500"));
}

#[test]
fn client_errors_and_redirects_are_not_retried() {
    for code in [404, 400, 301] {
        let mut sim = Sim::new(7);
        let id = sim.webhook(json!({"url": "https://h.test/"}));
        sim.emit("error");
        assert_eq!(sim.run(|_| status(code)).len(), 1, "{code}");
        assert_eq!(sim.stats(&id).failures, 1);
    }
}

#[test]
fn timeouts_and_network_errors_are_retried() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/", "timeoutMs": 2000}));
    sim.emit("error");
    let mut answers = vec![Outcome::Timeout, Outcome::NetworkError { message: "refused".into() }, status(204)].into_iter();
    let sent = sim.run(|transmit| {
        assert_eq!(transmit.timeout_ms, 2000);
        answers.next().unwrap()
    });
    assert_eq!(sent.len(), 3);
    let delivery = sim.engine.deliveries().next().unwrap();
    assert_eq!(delivery.attempts[0].error.as_deref(), Some("timed out after 2000 ms"));
    assert_eq!(delivery.state, DeliveryState::Delivered);
}

#[test]
fn retry_after_on_429_is_honoured() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/"}));
    sim.emit("error");
    let mut answers = vec![Outcome::Response { status: 429, retry_after: Some("30".into()), body: String::new() }, status(200)].into_iter();
    let sent = sim.run(|_| answers.next().unwrap());
    assert_eq!(sent[1].0.since(START), 30_000);
}

#[test]
fn gone_disables_the_webhook_with_the_reason_and_cancels_its_queue() {
    let mut sim = Sim::new(7);
    let id = sim.webhook(json!({"url": "https://h.test/"}));
    sim.emit("error");
    sim.emit("milestone");
    let first = sim.transmits();
    assert_eq!(first.len(), 2);
    sim.respond(&first[0], status(500));
    sim.respond(&first[1], status(410));
    let webhook = sim.engine.webhook(&id).unwrap();
    assert!(!webhook.config.enabled());
    assert_eq!(webhook.disabled_reason.as_deref(), Some("the receiver answered 410 Gone"));
    assert!(!sim.advance(), "nothing left to retry");
    let states: Vec<DeliveryState> = sim.engine.deliveries().map(|d| d.state).collect();
    assert_eq!(states, [DeliveryState::Cancelled, DeliveryState::Failed]);
    assert!(sim.emit("error").is_empty());
}

#[test]
fn switches_off_mean_no_delivery() {
    let mut sim = Sim::new(7);
    let on = sim.webhook(json!({"url": "https://a.test/"}));
    sim.webhook(json!({"url": "https://b.test/", "enabled": false}));
    sim.webhook(json!({"url": "https://c.test/", "events": ["milestone"]}));
    let ids = sim.emit("message_sent");
    assert_eq!(ids.len(), 1);
    assert_eq!(sim.engine.delivery(&ids[0]).unwrap().webhook_id, on);

    sim.engine.set_settings(autohook::GlobalSettings { enabled: false, ..Default::default() });
    assert!(sim.emit("message_sent").is_empty());
}

#[test]
fn the_eleventh_webhook_is_refused_and_nothing_changes() {
    let mut sim = Sim::new(7);
    for i in 0..MAX_WEBHOOKS {
        sim.webhook(json!({"url": format!("https://h{i}.test/")}));
    }
    sim.persist();
    let input = WebhookInput { url: Some("https://h11.test/".into()), ..Default::default() };
    assert_eq!(sim.engine.create_webhook(input, sim.now).unwrap_err(), EngineError::TooManyWebhooks);
    assert_eq!(sim.engine.webhooks().len(), MAX_WEBHOOKS);
    assert!(sim.engine.take_changes().is_empty(), "a refused command writes nothing");
}

#[test]
fn unknown_ids_are_named_in_the_error() {
    let mut sim = Sim::new(7);
    let error = sim.engine.test("wh_nope", sim.now).unwrap_err();
    assert_eq!(error.to_string(), "no webhook has id \"wh_nope\"");
    assert_eq!(error.field(), Some("id"));
    assert_eq!(sim.engine.emit("typo", Value::Null, sim.now).unwrap_err().code().as_str(), "unknown_event");
}

#[test]
fn a_payload_over_256kb_is_refused_and_logged_but_not_queued() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/"}));
    let big = json!({"message": "x".repeat(300 * 1024)});
    let error = sim.engine.emit("message_sent", big, sim.now).unwrap_err();
    assert_eq!(error.code().as_str(), "payload_too_large");
    assert!(sim.transmits().is_empty());
    let logged = sim.engine.deliveries().next().unwrap();
    assert_eq!(logged.state, DeliveryState::Failed);
    assert!(logged.reason.as_deref().unwrap().starts_with("refused: payload is"));
}

#[test]
fn the_rate_limit_holds_the_excess_for_the_next_minute() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/", "ratePerMinute": 3}));
    for _ in 0..5 {
        sim.emit("message_sent");
    }
    let sent = sim.run(|_| status(200));
    let times: Vec<u64> = sent.iter().map(|(at, _)| at.since(START)).collect();
    assert_eq!(times, [0, 0, 0, 60_000, 60_000]);
}

#[test]
fn a_restart_while_a_retry_waits_resends_with_the_same_event_id() {
    let mut sim = Sim::new(7);
    let id = sim.webhook(json!({"url": "https://h.test/"}));
    sim.emit("campaign_started");
    let first = sim.transmits();
    sim.respond(&first[0], status(503));
    sim.restart();
    assert!(sim.advance());
    assert_eq!(sim.now.since(START), 1000, "the retry keeps its schedule across the restart");
    let again = sim.transmits();
    assert_eq!(header(&again[0], "webhook-id").unwrap(), header(&first[0], "webhook-id").unwrap());
    sim.respond(&again[0], status(200));
    let stats = sim.stats(&id);
    assert_eq!((stats.triggers, stats.successes, stats.failures), (1, 1, 0));
}

#[test]
fn an_attempt_cut_off_by_a_restart_counts_as_failed_and_is_retried() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/"}));
    sim.emit("campaign_started");
    let first = sim.transmits();
    sim.restart();
    let sent = sim.run(|_| status(200));
    assert_eq!(sent.len(), 1);
    assert_eq!(header(&sent[0].1, "webhook-id").unwrap(), header(&first[0], "webhook-id").unwrap());
    assert_ne!(header(&sent[0].1, "x-autohook-delivery").unwrap(), header(&first[0], "x-autohook-delivery").unwrap());
    let delivery = sim.engine.deliveries().next().unwrap();
    assert_eq!(delivery.attempts.len(), 2);
    assert!(delivery.attempts[0].error.as_deref().unwrap().starts_with("interrupted"));
}

#[test]
fn starting_attempts_writes_one_small_key_rather_than_each_delivery() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/"}));
    for _ in 0..20 {
        sim.emit("message_sent");
    }
    let sent = sim.transmits();
    assert_eq!(sent.len(), 20);
    let changes = sim.engine.take_changes();
    let set: Vec<&str> = changes.set.keys().map(String::as_str).collect();
    assert_eq!(set, ["inflight", "webhooks"]);
    let in_flight: BTreeMap<String, Value> = serde_json::from_str(&changes.set["inflight"]).unwrap();
    assert_eq!(in_flight.len(), 20);
    assert_eq!(in_flight[&sent[3].delivery_id]["deliveryHeader"], header(&sent[3], "x-autohook-delivery").unwrap());
}

#[test]
fn an_attempt_in_both_its_delivery_and_the_in_flight_key_counts_once_after_a_restart() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/"}));
    sim.emit("campaign_started");
    let first = sim.transmits();
    sim.persist();
    // As a store written in two steps could leave it: the attempt under
    // `inflight` and, without a result, in the delivery's key as well.
    let key = format!("pending/{}", first[0].delivery_id);
    let in_flight: Value = serde_json::from_str(&sim.storage["inflight"]).unwrap();
    let mut page: Value = serde_json::from_str(&sim.storage[&key]).unwrap();
    page[0]["attempts"] = json!([in_flight[&first[0].delivery_id]]);
    sim.storage.insert(key, page.to_string());
    sim.restart();
    let sent = sim.run(|_| status(200));
    let delivery = sim.engine.deliveries().next().unwrap();
    let headers: Vec<&str> = delivery.attempts.iter().map(|a| a.delivery_header.as_str()).collect();
    assert_eq!(headers, [header(&first[0], "x-autohook-delivery").unwrap(), header(&sent[0].1, "x-autohook-delivery").unwrap()]);
    assert!(delivery.attempts[0].error.as_deref().unwrap().starts_with("interrupted"));
}

#[test]
fn a_response_moves_only_its_own_delivery_to_the_log_and_rewrites_the_stats() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/"}));
    let ids: Vec<String> = (0..50).flat_map(|_| sim.emit("message_sent")).collect();
    let sent = sim.transmits();
    sim.persist();
    sim.respond(&sent[7], status(200));
    let changes = sim.engine.take_changes();
    let set: Vec<&str> = changes.set.keys().map(|key| key.as_str()).collect();
    let page = format!("pending/{}", sent[0].delivery_id);
    assert_eq!(set, ["inflight", &format!("log/{}", sent[7].delivery_id), &page, "webhooks"]);
    assert!(changes.remove.is_empty());
    let left: Vec<Value> = serde_json::from_str(&changes.set[&page]).unwrap();
    let expected: Vec<&str> = ids.iter().map(String::as_str).filter(|id| *id != sent[7].delivery_id).collect();
    assert_eq!(left.iter().map(|d| d["id"].as_str().unwrap()).collect::<Vec<_>>(), expected, "its page holds the others as they were");
}

#[test]
fn a_delivery_is_not_sent_until_the_batch_holding_it_is_saved() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/"}));
    sim.emit("message_sent");
    assert!(sim.drain().transmits.is_empty(), "not yet written");
    let first = sim.engine.take_changes();
    sim.emit("error");
    let second = sim.engine.take_changes();
    assert!(sim.drain().transmits.is_empty(), "written but not confirmed");
    sim.engine.changes_saved(first.batch);
    let sent: Vec<Transmit> = sim.drain().transmits;
    assert_eq!(sent.len(), 1, "only the first batch's delivery");
    sim.engine.changes_saved(second.batch);
    assert!(!sim.drain().transmits.is_empty());
}

#[test]
fn a_failed_write_is_written_again_and_holds_its_deliveries_back_until_then() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/"}));
    let ids = sim.emit("message_sent");
    let failed = sim.engine.take_changes();
    sim.engine.changes_failed(failed);
    let again = sim.engine.take_changes();
    assert!(again.set.contains_key(&format!("pending/{}", ids[0])), "its page");
    assert!(again.set.contains_key("webhooks"));
    assert!(sim.drain().transmits.is_empty(), "not sent before the write succeeds");
    sim.engine.changes_saved(again.batch);
    assert!(!sim.drain().transmits.is_empty());
}

#[test]
fn results_need_no_write_before_the_next_send() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/"}));
    sim.emit("message_sent");
    sim.emit("message_sent");
    let sent = sim.transmits();
    sim.respond(&sent[0], status(503));
    sim.advance();
    let retry = sim.drain().transmits.pop().expect("the retry goes out before the result is written");
    assert_eq!(header(&retry, "webhook-id").unwrap(), header(&sent[0], "webhook-id").unwrap());
}

#[test]
fn state_stored_as_objects_by_earlier_versions_loads_as_the_json_text_written_now() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/", "secret": "s3cret"}));
    sim.emit("message_sent");
    let first = sim.transmits();
    sim.respond(&first[0], status(200));
    sim.emit("error");
    sim.persist();
    let as_objects: Vec<(String, Value)> =
        sim.storage.iter().map(|(key, text)| (key.clone(), serde_json::from_str(text).unwrap())).collect();
    assert!(as_objects.iter().all(|(_, value)| value.is_object() || value.is_array()), "every value is JSON text");
    let old = Snapshot::from_stored(as_objects);
    let new = Snapshot::from_stored(sim.storage.clone());
    assert_eq!((old.webhooks.len(), old.outbox.len(), old.log_pages.len()), (1, 1, 1));
    assert_eq!((old.settings, old.webhooks, old.outbox, old.log_pages), (new.settings, new.webhooks, new.outbox, new.log_pages));
}

#[test]
fn stats_stay_exact_with_hundreds_of_deliveries_answered_out_of_order() {
    let mut sim = Sim::new(7);
    let ids: Vec<String> = (0..3).map(|i| sim.webhook(json!({"url": format!("https://h{i}.test/"), "ratePerMinute": 1000}))).collect();
    for _ in 0..200 {
        sim.emit("message_sent");
    }
    let mut pending = Vec::new();
    let mut delivered = 0;
    loop {
        pending.extend(sim.transmits());
        if pending.is_empty() {
            break;
        }
        // Answer the newest first, and fail every seventh once.
        let transmit = pending.pop().unwrap();
        let first_try = header(&transmit, "x-autohook-delivery").unwrap().ends_with(".1");
        let outcome = if first_try && transmit.attempt.0 % 7 == 0 { status(502) } else { status(200) };
        if matches!(outcome, Outcome::Response { status: 200, .. }) {
            delivered += 1;
        }
        sim.respond(&transmit, outcome);
        if pending.is_empty() {
            sim.advance();
        }
    }
    assert_eq!(delivered, 600);
    for id in &ids {
        let stats = sim.stats(id);
        assert_eq!((stats.triggers, stats.successes, stats.failures), (200, 200, 0));
    }
}

#[test]
fn edits_and_deletes_during_a_delivery_are_not_undone_by_its_response() {
    let mut sim = Sim::new(7);
    let kept = sim.webhook(json!({"url": "https://a.test/"}));
    let deleted = sim.webhook(json!({"url": "https://b.test/"}));
    sim.emit("message_sent");
    let sent = sim.transmits();
    let rename = WebhookInput { name: Some("renamed".into()), ..Default::default() };
    sim.engine.update_webhook(&kept, rename, sim.now).unwrap();
    sim.engine.delete_webhook(&deleted, sim.now).unwrap();
    for transmit in &sent {
        sim.respond(transmit, status(200));
    }
    assert_eq!(sim.engine.webhook(&kept).unwrap().config.name(), "renamed");
    assert_eq!(sim.engine.webhooks().len(), 1);
    let states: Vec<(String, DeliveryState)> = sim.engine.deliveries().map(|d| (d.webhook_id.clone(), d.state)).collect();
    assert!(states.contains(&(deleted, DeliveryState::Cancelled)));
    assert!(states.contains(&(kept, DeliveryState::Delivered)));
}

/// A sim whose one fast webhook has delivered `count` events, and the first one's id.
fn delivered(count: usize) -> (Sim, String) {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/", "ratePerMinute": 10000}));
    let first = sim.emit("message_sent")[0].clone();
    for _ in 1..count {
        sim.emit("message_sent");
    }
    sim.run(|_| status(200));
    (sim, first)
}

#[test]
fn the_log_keeps_the_last_500_deliveries() {
    let (sim, first) = delivered(LOG_CAPACITY + 1);
    assert_eq!(sim.engine.deliveries().count(), LOG_CAPACITY);
    assert_eq!(sim.engine.delivery(&first).unwrap_err().code().as_str(), "unknown_delivery");
}

#[test]
fn a_delivery_trimmed_from_the_full_log_leaves_storage_even_when_that_write_fails_once() {
    let (mut sim, oldest) = delivered(LOG_CAPACITY);
    let oldest_page = format!("log/{oldest}");
    assert!(sim.storage[&oldest_page].contains(&oldest), "the log is full, the oldest still in it");
    let newest = sim.emit("message_sent")[0].clone();
    let sent = sim.transmits();
    sim.respond(&sent[0], status(200));
    let failed = sim.engine.take_changes();
    assert!(!failed.set[&oldest_page].contains(&oldest), "trimmed from its page");
    assert!(failed.set.values().any(|page| page.contains(&newest)), "the one that just finished is written");
    sim.engine.changes_failed(failed);
    let again = sim.engine.take_changes();
    assert!(!again.set[&oldest_page].contains(&oldest), "still trimmed on the second try");
    let newest_page = again.set.values().find(|page| page.contains(&newest)).expect("written again");
    let page: Vec<Value> = serde_json::from_str(newest_page).unwrap();
    let entry = page.iter().find(|d| d["id"] == newest.as_str()).unwrap();
    assert_eq!(entry["state"], "delivered", "written as it is now");
}

#[test]
fn deliveries_logged_after_a_start_survive_the_log_read_that_follows_their_write() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/", "retrySchedule": [60_000]}));
    let delivered = sim.emit("message_sent")[0].clone();
    let first = sim.transmits();
    sim.respond(&first[0], status(200));
    let waiting = sim.emit("message_sent")[0].clone();
    let second = sim.transmits();
    sim.respond(&second[0], status(500));
    sim.restart();
    // Turned off: its retry is cancelled and logged, and that is written
    // before the engine's read of the log.
    let id = sim.engine.webhooks()[0].id.clone();
    sim.ask(json!({"type": "webhooks.setEnabled", "id": id, "enabled": false}));
    sim.persist();
    sim.drain();
    sim.drain();
    sim.persist();
    sim.restart();
    let listed = sim.ask(json!({"type": "deliveries.list"}));
    let states: Vec<(&str, &str)> =
        listed["value"].as_array().unwrap().iter().map(|d| (d["id"].as_str().unwrap(), d["state"].as_str().unwrap())).collect();
    assert_eq!(states, [(waiting.as_str(), "cancelled"), (delivered.as_str(), "delivered")]);
}

#[test]
fn a_log_entry_that_does_not_read_is_set_aside_alone_and_its_page_written_without_it() {
    let (mut sim, _) = delivered(3);
    sim.persist();
    let page_key = sim.storage.keys().find(|key| key.starts_with("log/")).expect("a log page").clone();
    let mut page: Vec<Value> = serde_json::from_str(&sim.storage[&page_key]).unwrap();
    page[1]["state"] = json!("no such state");
    sim.storage.insert(page_key.clone(), serde_json::to_string(&page).unwrap());
    sim.restart_from_storage();
    assert_eq!(sim.ask(json!({"type": "deliveries.list"}))["value"].as_array().unwrap().len(), 2, "the others load");
    let unreadable = sim.ask(json!({"type": "storage.unreadable"}));
    assert_eq!(unreadable["value"][0]["origin"], format!("{page_key}[1]"));
    sim.persist();
    let stored: Vec<Value> = serde_json::from_str(&sim.storage[&page_key]).unwrap();
    assert_eq!(stored.len(), 2, "written again without it");
}

#[test]
fn redelivery_sends_the_same_event_id_again() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/"}));
    let original = sim.emit("milestone")[0].clone();
    let first = sim.run(|_| status(200));
    let again = sim.engine.redeliver(&original, sim.now).unwrap();
    assert_ne!(again, original);
    let second = sim.run(|_| status(200));
    assert_eq!(header(&second[0].1, "webhook-id").unwrap(), header(&first[0].1, "webhook-id").unwrap());
}

#[test]
fn a_redelivery_to_a_webhook_turned_off_or_no_longer_subscribed_is_cancelled_unsent() {
    let mut sim = Sim::new(7);
    let off = sim.webhook(json!({"url": "https://off.test/"}));
    let moved = sim.webhook(json!({"url": "https://moved.test/"}));
    let originals = sim.emit("milestone");
    sim.run(|_| status(200));
    sim.engine.update_webhook(&off, serde_json::from_value(json!({"enabled": false})).unwrap(), sim.now).unwrap();
    sim.engine.update_webhook(&moved, serde_json::from_value(json!({"events": ["error"]})).unwrap(), sim.now).unwrap();
    let again: Vec<String> = originals.iter().map(|id| sim.engine.redeliver(id, sim.now).unwrap()).collect();
    assert!(sim.run(|_| status(200)).is_empty(), "nothing goes to a webhook that no longer takes it");
    let reasons: Vec<Option<&str>> = again.iter().map(|id| sim.engine.delivery(id).unwrap().reason.as_deref()).collect();
    assert_eq!(reasons, [Some("its webhook is turned off"), Some("its webhook does not subscribe to milestone")]);
    assert!(again.iter().all(|id| sim.engine.delivery(id).unwrap().state == DeliveryState::Cancelled));
}

#[test]
fn a_test_delivery_makes_one_attempt_whatever_the_switches_say() {
    let mut sim = Sim::new(7);
    let id = sim.webhook(json!({"url": "https://h.test/", "enabled": false, "events": ["error"]}));
    sim.engine.set_settings(autohook::GlobalSettings { enabled: false, ..Default::default() });
    sim.engine.test(&id, sim.now).unwrap();
    let sent = sim.run(|_| status(500));
    assert_eq!(sent.len(), 1);
    assert_eq!(header(&sent[0].1, "x-autohook-event"), Some("test"));
}

#[test]
fn get_webhooks_carry_the_envelope_in_the_query() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/in?k=v", "method": "GET", "secret": "s"}));
    sim.emit("message_sent");
    let sent = sim.run(|_| status(200));
    let request = &sent[0].1.request;
    assert_eq!((request.method, request.body.as_ref()), ("GET", None));
    assert!(request.url.starts_with("https://h.test/in?k=v&id=msg_"));
}

#[test]
fn a_filtered_out_event_is_logged_as_skipped_and_never_sent() {
    let mut sim = Sim::new(7);
    let id = sim.webhook(json!({"url": "https://h.test/", "filters": {"match": "all", "conditions": ["data.messagesSentToday >= 100"]}}));
    sim.engine.emit("message_sent", json!({"messagesSentToday": 99}), sim.now).unwrap();
    assert!(sim.transmits().is_empty());
    let skipped = sim.engine.deliveries().next().unwrap();
    assert_eq!(skipped.state, DeliveryState::Skipped);
    assert_eq!(skipped.reason.as_deref(), Some("skipped by filter: data.messagesSentToday >= 100 does not hold"));
    sim.engine.emit("message_sent", json!({"messagesSentToday": 100}), sim.now).unwrap();
    assert_eq!(sim.run(|_| status(200)).len(), 1);
    let stats = sim.stats(&id);
    assert_eq!((stats.triggers, stats.successes), (1, 1), "a skipped event is not a trigger");
}

#[test]
fn a_condition_that_does_not_parse_is_refused_with_its_position() {
    let mut sim = Sim::new(7);
    let input = serde_json::from_value(json!({"url": "https://h.test/", "filters": {"conditions": ["event is error"]}})).unwrap();
    let error = sim.engine.create_webhook(input, sim.now).unwrap_err();
    assert_eq!(error.field(), Some("filters"));
    assert_eq!(error.to_string(), "filters: condition 1, column 7: expected an operator: ==, !=, >, >=, <, <=, contains or in");
    assert!(sim.engine.webhooks().is_empty());
}

#[test]
fn a_custom_template_is_the_body_and_the_signature_covers_its_bytes() {
    let mut sim = Sim::new(7);
    let template = "{\"text\": \"{{sentence}}\",\n \"count\": {{data.messagesSentToday | default:0}}}";
    sim.webhook(json!({"url": "https://h.test/", "secret": "s", "preset": "custom", "template": template,
                       "headers": {"X-Event": "{{event | upper}}"}}));
    sim.engine.emit("message_sent", json!({"message": "hi", "messagesSentToday": 3, "totalMessagesSent": 4}), sim.now).unwrap();
    let sent = sim.run(|_| status(200));
    let body = sent[0].1.request.body.as_deref().unwrap();
    assert_eq!(body, "{\"text\": \"Message sent: “hi” (3 today, 4 in total)\",\n \"count\": 3}");
    let key = autohook::SecretKey::parse("s").unwrap();
    assert_eq!(header(&sent[0].1, "x-autohook-signature").unwrap(), autohook::hex_signature(&key, body.as_bytes()));
    assert_eq!(header(&sent[0].1, "x-event"), Some("MESSAGE_SENT"));
}

#[test]
fn a_get_query_template_is_sent_instead_of_the_envelope_and_signed() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/in?key=k&text={{ sentence }}&n={{data.messagesSentToday | default:\"0\"}}",
                       "method": "GET", "secret": "s"}));
    sim.engine.emit("campaign_started", json!({}), sim.now).unwrap();
    let sent = sim.run(|_| status(200));
    let request = &sent[0].1.request;
    assert_eq!(request.url, "https://h.test/in?key=k&text=Campaign+started&n=0");
    let key = autohook::SecretKey::parse("s").unwrap();
    assert_eq!(header(&sent[0].1, "x-autohook-signature").unwrap(), autohook::hex_signature(&key, b"key=k&text=Campaign+started&n=0"));
}

#[test]
fn templates_that_cannot_render_are_refused_on_save_naming_the_field() {
    let mut sim = Sim::new(7);
    let cases = [
        (json!({"preset": "custom"}), "template", "template is required for the custom preset"),
        (json!({"preset": "custom", "template": "{\"a\": {{event}"}), "template", "template: line 1, column 7: this {{ has no closing }}"),
        (
            json!({"preset": "custom", "template": "{\"m\": \"{{data.message}}\"}", "events": ["message_sent", "error"]}),
            "template",
            "template: line 1, column 8: data.message is not in the error event; add | default:\"…\" if it may be missing",
        ),
        (
            json!({"headers": {"X-M": "{{data.nope | loud}}"}}),
            "headers",
            "header \"X-M\": line 1, column 15: unknown filter \"loud\"; use truncate, default, upper, lower, json or date",
        ),
        (
            json!({"url": "https://h.test/?m={{data.message", "method": "GET"}),
            "url",
            "url query: line 1, column 3: this {{ has no closing }}",
        ),
    ];
    for (mut input, field, message) in cases {
        input.as_object_mut().unwrap().entry("url").or_insert(json!("https://h.test/"));
        let error = sim.engine.create_webhook(serde_json::from_value(input).unwrap(), sim.now).unwrap_err();
        assert_eq!((error.field(), error.to_string().as_str()), (Some(field), message));
    }
    assert!(sim.engine.webhooks().is_empty());
}

#[test]
fn an_event_missing_a_templated_field_fails_once_without_a_request() {
    let mut sim = Sim::new(7);
    let id = sim.webhook(json!({"url": "https://h.test/", "preset": "custom", "events": ["message_sent"],
                                "template": "{\"m\": \"{{data.message}}\"}"}));
    sim.engine.emit("message_sent", json!({"count": 1}), sim.now).unwrap();
    assert!(sim.run(|_| status(200)).is_empty());
    let failed = sim.engine.deliveries().next().unwrap();
    assert_eq!(failed.state, DeliveryState::Failed);
    assert!(failed.reason.as_deref().unwrap().starts_with("template: line 1, column 8: data.message is not in"), "{:?}", failed.reason);
    let stats = sim.stats(&id);
    assert_eq!((stats.triggers, stats.failures), (1, 1));
}
