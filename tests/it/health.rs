//! Never failing silently, against the sans-IO engine under a simulated
//! clock: endpoint health and auto-disable with held events, the badge,
//! notifications, bulk replay and waiting out an offline browser.

use autohook::limits::{FAILING_NOTICE_EVERY_MS, OFFLINE_PROBE_MS};
use autohook::{DeliveryState, Failure, HeldEvents, NotificationKind, Outcome, Transmit};
use serde_json::json;

use crate::common::{header, status, Sim};

fn event_id(transmit: &Transmit) -> String {
    header(transmit, "webhook-id").unwrap().to_string()
}

/// A webhook that gives up after `after` failed deliveries and never retries.
fn failing_profile(after: u32) -> (Sim, String) {
    let mut sim = Sim::new(4);
    let id = sim.webhook(json!({"url": "https://h.test/in", "name": "Orders", "autoDisableAfter": after, "retrySchedule": []}));
    (sim, id)
}

fn health(sim: &Sim, id: &str) -> autohook::Webhook {
    sim.engine.webhook(id).unwrap().clone()
}

fn states(sim: &Sim) -> Vec<DeliveryState> {
    sim.engine.deliveries().map(|d| d.state).collect()
}

/// Answers every request due now with `outcome` (and those due after
/// them, without moving the clock); returns them.
fn answer_all(sim: &mut Sim, outcome: impl Fn() -> Outcome) -> Vec<Transmit> {
    let mut sent = Vec::new();
    loop {
        let due = sim.transmits();
        if due.is_empty() {
            return sent;
        }
        for transmit in due {
            sim.respond(&transmit, outcome());
            sent.push(transmit);
        }
    }
}

#[test]
fn a_webhook_failing_its_limit_in_a_row_is_turned_off_and_holds_later_events_across_a_restart() {
    let (mut sim, id) = failing_profile(3);
    for _ in 0..5 {
        sim.emit("message_sent");
    }
    // Two in flight at most matter here: send all five, fail them one by one.
    let sent = sim.transmits();
    assert_eq!(sent.len(), 5);
    for transmit in &sent[..3] {
        sim.respond(transmit, status(500));
    }
    let webhook = health(&sim, &id);
    assert!(webhook.health.auto_disabled && !webhook.config.enabled());
    assert_eq!(webhook.health.consecutive_failures, 3);
    assert!(webhook.disabled_reason.as_deref().unwrap().contains("3 deliveries in a row failed (the last: HTTP 500)"));
    // The two still in flight finish as their answers say; a retryable one is held.
    sim.respond(&sent[3], Outcome::Timeout);
    sim.respond(&sent[4], status(200));
    let mut sim_states = states(&sim);
    sim_states.sort_by_key(|s| format!("{s:?}"));
    assert_eq!(
        sim_states,
        [DeliveryState::Delivered, DeliveryState::Failed, DeliveryState::Failed, DeliveryState::Failed, DeliveryState::Failed]
    );
    assert_eq!(health(&sim, &id).health.consecutive_failures, 4, "a success while turned off does not turn it on");

    // Events raised while it is off are held, sent to nobody, and survive a restart.
    let held = sim.emit("message_sent");
    assert_eq!(held.len(), 1);
    assert!(sim.transmits().is_empty());
    sim.restart();
    assert!(sim.transmits().is_empty());
    assert_eq!(sim.engine.delivery(&held[0]).unwrap().state, DeliveryState::Held);
    assert_eq!(sim.engine.held_count(&id), 1);
    assert_eq!(sim.engine.badge().text, "!");

    sim.engine.set_webhook_enabled(&id, true, HeldEvents::Deliver, sim.now).unwrap();
    let resent = answer_all(&mut sim, || status(204));
    assert_eq!(resent.len(), 1, "the held event goes out once");
    assert_eq!(sim.engine.delivery(&held[0]).unwrap().state, DeliveryState::Delivered);
    let webhook = health(&sim, &id);
    assert!(!webhook.health.auto_disabled && webhook.config.enabled() && webhook.health.consecutive_failures == 0);
    assert_eq!(sim.engine.badge().text, "4", "the four failures are still unseen");
    sim.engine.mark_seen();
    assert_eq!(sim.engine.badge().text, "");
}

#[test]
fn a_retry_due_when_the_webhook_is_turned_off_is_held_and_retried_when_it_is_on_again() {
    let mut sim = Sim::new(4);
    let id = sim.webhook(json!({"url": "https://h.test/in", "autoDisableAfter": 1, "retrySchedule": [1000]}));
    sim.emit("message_sent");
    sim.emit("message_sent");
    let sent = sim.transmits();
    sim.respond(&sent[0], status(400));
    assert!(health(&sim, &id).health.auto_disabled);
    sim.respond(&sent[1], status(503));
    assert_eq!(sim.engine.delivery(&sent[1].delivery_id).unwrap().state, DeliveryState::Held, "its retry waits with the held events");
    assert!(sim.run(|_| status(200)).is_empty(), "nothing is sent while it is off, however long");
    sim.engine.set_webhook_enabled(&id, true, HeldEvents::Deliver, sim.now).unwrap();
    let retried = answer_all(&mut sim, || status(200));
    assert_eq!(retried.len(), 1);
    assert_eq!(sim.engine.delivery(&sent[1].delivery_id).unwrap().attempts.len(), 2, "the retry, not a new first attempt");
}

/// A webhook that held an event for `sim` after one failure.
fn holding_profile() -> (Sim, String, Vec<String>) {
    let (mut sim, id) = failing_profile(1);
    sim.emit("message_sent");
    answer_all(&mut sim, || status(500));
    let held = sim.emit("message_sent");
    (sim, id, held)
}

#[test]
fn turning_on_with_discard_cancels_the_held_events() {
    let (mut sim, id, held) = holding_profile();
    sim.engine.set_webhook_enabled(&id, true, HeldEvents::Discard, sim.now).unwrap();
    let delivery = sim.engine.delivery(&held[0]).unwrap();
    assert_eq!(delivery.state, DeliveryState::Cancelled);
    assert!(delivery.reason.as_deref().unwrap().starts_with("discarded"));
    assert!(sim.transmits().is_empty());
    assert_eq!(sim.emit("message_sent").len(), 1, "on again, it gets new events");
}

#[test]
fn turning_it_off_by_hand_cancels_the_held_events_and_stops_holding() {
    let (mut sim, id, held) = holding_profile();
    sim.engine.set_webhook_enabled(&id, false, HeldEvents::Deliver, sim.now).unwrap();
    assert_eq!(sim.engine.delivery(&held[0]).unwrap().state, DeliveryState::Cancelled);
    assert!(!health(&sim, &id).health.auto_disabled);
    assert!(sim.emit("message_sent").is_empty(), "off by hand, it receives nothing");
    assert!(sim.transmits().is_empty());
}

#[test]
fn a_first_failure_notifies_at_most_once_per_ten_minutes_and_a_success_resets_the_run() {
    let (mut sim, id) = failing_profile(0);
    let mut notified = Vec::new();
    let round = |sim: &mut Sim, notified: &mut Vec<autohook::Notification>, outcome: u16| {
        sim.emit("message_sent");
        answer_all(sim, || status(outcome));
        notified.extend(sim.notifications());
    };
    round(&mut sim, &mut notified, 500);
    round(&mut sim, &mut notified, 500);
    assert_eq!(health(&sim, &id).health.consecutive_failures, 2);
    round(&mut sim, &mut notified, 200);
    assert_eq!(health(&sim, &id).health.consecutive_failures, 0);
    round(&mut sim, &mut notified, 502);
    assert_eq!(notified.len(), 1, "the second run began within ten minutes of the first notice");
    let first = &notified[0];
    assert_eq!(
        (first.kind, first.webhook_id.as_deref(), first.webhook_name.as_deref()),
        (NotificationKind::Failing, Some(id.as_str()), Some("Orders"))
    );
    assert_eq!((first.status, first.failure), (Some(500), Some(Failure::ServerError)));
    assert!(first.id.starts_with(&format!("failing:{id}:")));
    sim.now = sim.now.plus(FAILING_NOTICE_EVERY_MS);
    round(&mut sim, &mut notified, 200);
    round(&mut sim, &mut notified, 500);
    assert_eq!(notified.len(), 2);
    assert!(!health(&sim, &id).health.auto_disabled, "0 never turns it off");
}

#[test]
fn auto_disable_and_410_notify_and_switched_off_kinds_stay_quiet() {
    let (mut sim, _) = failing_profile(2);
    sim.emit("message_sent");
    sim.emit("message_sent");
    answer_all(&mut sim, || status(500));
    let kinds: Vec<NotificationKind> = sim.notifications().iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [NotificationKind::Failing, NotificationKind::Disabled]);

    let (mut sim, id) = failing_profile(20);
    sim.engine.set_notifications(serde_json::from_value(json!({"failing": false})).unwrap());
    sim.emit("message_sent");
    sim.emit("message_sent");
    let sent = sim.transmits();
    sim.respond(&sent[0], status(410));
    let notified = sim.notifications();
    assert_eq!(notified.iter().map(|n| n.kind).collect::<Vec<_>>(), [NotificationKind::Disabled], "failing is off");
    assert_eq!(notified[0].status, Some(410));
    let webhook = health(&sim, &id);
    assert!(webhook.health.disabled_at.is_some() && !webhook.health.auto_disabled, "410 disables without holding");
    assert_eq!(sim.engine.delivery(&sent[1].delivery_id).unwrap().state, DeliveryState::Cancelled);
}

#[test]
fn notifications_carry_no_text_from_the_receiver() {
    let (mut sim, _) = failing_profile(1);
    sim.emit("message_sent");
    let sent = sim.transmits();
    let location = Some("https://evil.test/CLICK-HERE".to_string());
    sim.respond(&sent[0], Outcome::Redirect { status: Some(302), location });
    let notified = sim.notifications();
    assert_eq!(notified.len(), 2);
    for notification in notified {
        let text = serde_json::to_string(&notification).unwrap();
        assert!(!text.contains("CLICK") && !text.contains("evil"), "{text}");
        assert_eq!((notification.status, notification.failure), (Some(302), Some(Failure::Redirect)));
    }
}

#[test]
fn the_badge_counts_unseen_failures_but_not_tests_and_survives_a_restart() {
    let (mut sim, id) = failing_profile(0);
    assert_eq!(sim.drain().badge.unwrap().text, "", "a start tells the driver the badge");
    for _ in 0..3 {
        sim.emit("message_sent");
    }
    answer_all(&mut sim, || status(500));
    sim.engine.test(&id, sim.now).unwrap();
    answer_all(&mut sim, || status(500));
    assert_eq!((sim.engine.badge().text, sim.engine.unseen_failures()), ("3".to_string(), 3));
    sim.restart();
    assert_eq!(sim.drain().badge.unwrap().text, "3");
    sim.engine.mark_seen();
    assert_eq!(sim.drain().badge.unwrap().text, "");
    assert!(sim.drain().badge.is_none(), "told only when it changes");
}

#[test]
fn campaign_errors_notify_and_the_daily_limit_only_when_switched_on() {
    use autohook::{Control, SendFailure};
    let mut sim = Sim::new(5);
    sim.webhook(json!({"url": "https://h.test/"}));
    let selectors = autohook::Selectors { input: "#msg".into(), button: None };
    sim.engine.set_campaign_target(7, "http://127.0.0.1:8080/chat", selectors).unwrap();
    let settings = json!({"phrases": ["a"], "intervalMinSeconds": 1, "intervalMaxSeconds": 1, "dailyLimit": 1});
    sim.engine.configure_campaign(serde_json::from_value(settings).unwrap(), sim.now).unwrap();
    sim.engine.control_campaign(Control::Start, sim.now).unwrap();
    let typed = sim.drain().typed;
    sim.engine.campaign_sent(typed[0].seq, Err(SendFailure::Failed("no send button".into())), sim.now);
    let notified = sim.notifications();
    assert_eq!(notified.iter().map(|n| n.kind).collect::<Vec<_>>(), [NotificationKind::CampaignPaused]);
    assert!(!serde_json::to_string(&notified[0]).unwrap().contains("no send button"));

    sim.engine.set_notifications(serde_json::from_value(json!({"dailyLimit": true})).unwrap());
    sim.engine.control_campaign(Control::Resume, sim.now).unwrap();
    let typed = sim.drain().typed;
    sim.engine.campaign_sent(typed[0].seq, Ok("a".into()), sim.now);
    let notified = sim.notifications();
    assert_eq!(notified.iter().map(|n| (n.kind, n.limit)).collect::<Vec<_>>(), [(NotificationKind::DailyLimit, Some(1))]);
}

#[test]
fn bulk_replay_requeues_each_failed_event_once_with_its_id_and_cancel_pending_undoes_it() {
    let (mut sim, id) = failing_profile(0);
    let other = sim.webhook(json!({"url": "https://other.test/in", "retrySchedule": []}));
    for _ in 0..30 {
        sim.emit("message_sent");
    }
    let first: Vec<Transmit> = answer_all(&mut sim, || status(500));
    let started = sim.now;
    assert_eq!(first.len(), 60);
    assert_eq!(sim.engine.redeliver_failed(Some(&id), started, true, sim.now).unwrap(), 30, "a dry run counts");
    assert!(sim.transmits().is_empty(), "and changes nothing");
    assert_eq!(sim.engine.redeliver_failed(Some(&id), started.plus(1), false, sim.now).unwrap(), 0, "none failed since then");
    assert_eq!(sim.engine.redeliver_failed(Some(&id), started, false, sim.now).unwrap(), 30);
    assert_eq!(sim.engine.redeliver_failed(Some(&id), started, false, sim.now).unwrap(), 0, "already queued: not twice");
    let replayed = answer_all(&mut sim, || status(200));
    assert_eq!(replayed.len(), 30);
    let mut ids: Vec<String> = replayed.iter().map(event_id).collect();
    let mut original: Vec<String> = first.iter().filter(|t| t.request.url.starts_with("https://h.test")).map(event_id).collect();
    ids.sort();
    original.sort();
    assert_eq!(ids, original, "the same webhook-id as each original");
    let stats = sim.stats(&id);
    assert_eq!((stats.triggers, stats.successes, stats.failures), (60, 30, 30));

    assert_eq!(sim.engine.redeliver_failed(None, started, false, sim.now).unwrap(), 30, "the other webhook's");
    assert_eq!(sim.engine.cancel_unfinished(Some(&other), sim.now).unwrap(), 30);
    assert!(sim.transmits().is_empty());
    assert!(sim.engine.redeliver_failed(Some("wh_nope"), started, false, sim.now).is_err());
}

#[test]
fn offline_deliveries_wait_without_spending_attempts_and_go_out_when_back() {
    let mut sim = Sim::new(6);
    let id = sim.webhook(json!({"url": "https://h.test/in"}));
    sim.emit("message_sent");
    // Gone offline during the attempt: not counted, tried again when back.
    let sent = sim.transmits();
    sim.respond(&sent[0], Outcome::Offline);
    assert!(!sim.engine.online());
    sim.emit("message_sent");
    sim.persist();
    let drained = sim.drain();
    assert!(drained.transmits.is_empty());
    assert_eq!(drained.wake, Some(sim.now.plus(OFFLINE_PROBE_MS)), "looks again while offline");
    assert!(sim.engine.test(&id, sim.now).is_ok());
    let test = sim.engine.deliveries().find(|d| d.test).unwrap();
    assert_eq!((test.state, test.reason.as_deref()), (DeliveryState::Failed, Some("not sent: the browser is offline")));

    sim.engine.set_online(true);
    let delivered = answer_all(&mut sim, || status(500));
    assert_eq!(delivered.len(), 2);
    let delivery = sim.engine.delivery(&sent[0].delivery_id).unwrap();
    assert_eq!(delivery.attempts.len(), 2);
    assert_eq!(delivery.attempts[0].failure, Some(Failure::Offline));
    assert_ne!(delivery.attempts[0].delivery_header, delivery.attempts[1].delivery_header, "attempt numbers are never reused");
    // Both still get their three retries.
    let all = sim.run(|_| status(500));
    assert_eq!(all.len(), 6);
    assert_eq!(sim.stats(&id).failures, 2, "the two events; the Test was never sent");
}

#[test]
fn the_message_api_shows_health_held_events_and_the_badge() {
    let (mut sim, id) = failing_profile(1);
    sim.emit("message_sent");
    answer_all(&mut sim, || status(500));
    sim.emit("message_sent");
    let listed = sim.ask(json!({"type": "webhooks.list"}))["value"][0].clone();
    assert_eq!(listed["health"]["state"], "disabled");
    assert_eq!((listed["health"]["held"].clone(), listed["health"]["autoDisabled"].clone()), (json!(1), json!(true)));
    assert_eq!(listed["enabled"], false);
    assert_eq!(
        sim.ask(json!({"type": "badge.get"}))["value"],
        json!({"text": "!", "color": "#d93025", "unseenFailures": 1, "autoDisabled": 1})
    );
    let held = sim.ask(json!({"type": "deliveries.list", "state": "held"}))["value"].clone();
    assert_eq!(held.as_array().unwrap().len(), 1);
    let refused = sim.ask(json!({"type": "webhooks.setEnabled", "id": id, "enabled": true, "held": "later"}));
    assert_eq!(refused["error"]["code"], "bad_request");
    let on = sim.ask(json!({"type": "webhooks.setEnabled", "id": id, "enabled": true, "held": "discard"}))["value"].clone();
    assert_eq!((on["health"]["state"].clone(), on["health"]["held"].clone()), (json!("healthy"), json!(0)));
    let switches = sim.ask(json!({"type": "notifications.set", "dailyLimit": true}))["value"].clone();
    assert_eq!(switches, json!({"failing": true, "disabled": true, "campaignPaused": true, "dailyLimit": true}));
    assert_eq!(sim.ask(json!({"type": "notifications.set", "sound": true}))["error"]["code"], "bad_request");
    assert_eq!(sim.ask(json!({"type": "badge.markSeen"}))["value"]["text"], "");
    sim.engine.set_online(false);
    sim.emit("message_sent");
    let pending = sim.ask(json!({"type": "deliveries.list", "state": "pending"}))["value"][0].clone();
    assert_eq!(pending["waitingForNetwork"], true);
}

#[test]
fn a_held_event_not_yet_stored_is_not_sent_before_its_write_when_the_webhook_is_turned_on() {
    let (mut sim, id) = failing_profile(1);
    sim.emit("message_sent");
    answer_all(&mut sim, || status(500));
    let held = sim.emit("message_sent");
    sim.engine.set_webhook_enabled(&id, true, HeldEvents::Deliver, sim.now).unwrap();
    assert!(sim.drain().transmits.is_empty(), "sent before its write landed");
    let sent = sim.transmits();
    assert_eq!(sent.iter().map(|t| t.delivery_id.clone()).collect::<Vec<_>>(), held);
}

/// Auto-disabled while a delivery is in flight; that attempt then fails
/// because the browser went offline. It must not go out while the webhook
/// is off (it should be held).
#[test]
fn offline_result_after_auto_disable_is_held_not_sent() {
    let mut sim = Sim::new(1);
    let id = sim.webhook(json!({"url": "https://h.test/in", "autoDisableAfter": 1, "retrySchedule": [1000]}));
    sim.emit("message_sent");
    sim.emit("message_sent");
    let sent = sim.transmits();
    assert_eq!(sent.len(), 2);
    sim.respond(&sent[0], status(400));
    assert!(sim.engine.webhook(&id).unwrap().health.auto_disabled);
    sim.respond(&sent[1], Outcome::Offline);
    sim.engine.set_online(true);
    let again = sim.transmits();
    assert!(again.is_empty(), "sent to an auto-disabled webhook: {:?}", again.iter().map(|t| &t.delivery_id).collect::<Vec<_>>());
    assert_eq!(sim.engine.delivery(&sent[1].delivery_id).unwrap().state, DeliveryState::Held);
}

/// An auto-disabled webhook the user then turns off by hand "receives
/// nothing": a retry of a delivery that was in flight must not go out.
#[test]
fn turned_off_by_hand_after_auto_disable_a_delivery_in_flight_is_not_retried() {
    let mut sim = Sim::new(2);
    let id = sim.webhook(json!({"url": "https://h.test/in", "autoDisableAfter": 1, "retrySchedule": [1000]}));
    sim.emit("message_sent");
    sim.emit("message_sent");
    let sent = sim.transmits();
    sim.respond(&sent[0], status(400));
    assert!(sim.engine.webhook(&id).unwrap().health.auto_disabled);
    sim.engine.set_webhook_enabled(&id, false, HeldEvents::Deliver, sim.now).unwrap();
    sim.respond(&sent[1], status(503));
    let later = sim.run(|_| status(503));
    assert!(later.is_empty(), "a webhook the user turned off got {} requests", later.len());
}

/// Bulk replay must not send to a webhook the user turned off (or one a
/// 410 turned off).
#[test]
fn bulk_replay_does_not_send_to_a_webhook_turned_off() {
    let mut sim = Sim::new(3);
    let id = sim.webhook(json!({"url": "https://h.test/in", "autoDisableAfter": 0, "retrySchedule": []}));
    sim.emit("message_sent");
    for t in sim.transmits() {
        sim.respond(&t, status(500));
    }
    sim.engine.set_webhook_enabled(&id, false, HeldEvents::Deliver, sim.now).unwrap();
    let count = sim.engine.redeliver_failed(None, autohook::Millis(0), false, sim.now).unwrap();
    let sent = sim.transmits();
    assert!(sent.is_empty(), "replay queued {count} and sent {} to a webhook the user turned off", sent.len());
}

#[test]
fn bulk_replay_does_not_send_to_a_webhook_that_answered_410() {
    let mut sim = Sim::new(4);
    sim.webhook(json!({"url": "https://h.test/in", "autoDisableAfter": 0, "retrySchedule": []}));
    sim.emit("message_sent");
    for t in sim.transmits() {
        sim.respond(&t, status(410));
    }
    let count = sim.engine.redeliver_failed(None, autohook::Millis(0), false, sim.now).unwrap();
    let sent = sim.transmits();
    assert!(sent.is_empty(), "replay queued {count} and sent {} to a receiver that said 410 Gone", sent.len());
}

/// Turning an auto-disabled webhook off by hand cancels its held events
/// and stops holding: the card no longer says they are held.
#[test]
fn turned_off_by_hand_the_reason_no_longer_says_events_are_held() {
    let mut sim = Sim::new(5);
    let id = sim.webhook(json!({"url": "https://h.test/in", "autoDisableAfter": 1, "retrySchedule": []}));
    sim.emit("message_sent");
    for t in sim.transmits() {
        sim.respond(&t, status(500));
    }
    sim.emit("message_sent");
    sim.engine.set_webhook_enabled(&id, false, HeldEvents::Deliver, sim.now).unwrap();
    let reason = sim.engine.webhook(&id).unwrap().disabled_reason.clone();
    assert!(!reason.as_deref().unwrap_or("").contains("held"), "card says: {reason:?}");
}

/// A refused request's error names the field the request has.
#[test]
fn an_unknown_webhook_id_in_bulk_requests_names_webhook_id() {
    let mut sim = Sim::new(6);
    for kind in ["deliveries.redeliverFailed", "deliveries.cancelPending"] {
        let reply = sim.ask(json!({"type": kind, "webhookId": "wh_nope"}));
        assert_eq!(reply["error"]["field"], "webhookId", "{kind}: {reply}");
    }
}

/// One dead endpoint may not fill the outbox with held events: past its
/// share, its events are logged as dropped and the others' still go.
#[test]
fn one_dead_webhook_holds_at_most_its_share_so_a_healthy_one_still_gets_events() {
    let mut sim = Sim::new(7);
    let dead = sim.webhook(json!({"url": "https://dead.test/in", "autoDisableAfter": 1, "retrySchedule": [], "events": ["error"]}));
    let healthy = sim.webhook(json!({"url": "https://ok.test/in", "events": ["message_sent"]}));
    sim.engine.emit("error", json!({}), sim.now).unwrap();
    for t in sim.transmits() {
        sim.respond(&t, status(500));
    }
    assert!(sim.engine.webhook(&dead).unwrap().health.auto_disabled);
    for _ in 0..10_000 {
        sim.engine.emit("error", json!({}), sim.now).unwrap();
    }
    assert_eq!(sim.engine.held_count(&dead), autohook::limits::MAX_HELD_PER_WEBHOOK);
    let dropped = sim.engine.deliveries().find(|d| d.webhook_id == dead && d.state == DeliveryState::Cancelled).unwrap();
    assert!(dropped.reason.as_deref().unwrap().starts_with("dropped: 1000 events are already held"), "{:?}", dropped.reason);
    let result = sim.engine.emit("message_sent", json!({}), sim.now);
    assert_eq!(result.map(|ids| ids.len()), Ok(1), "the healthy webhook still gets its events");
    assert_eq!(sim.engine.held_count(&healthy), 0);
}

/// A Test whose request failed while offline ends with that reason, and
/// counts nothing: nothing was sent.
#[test]
fn a_test_cut_off_by_going_offline_does_not_claim_to_wait() {
    let mut sim = Sim::new(8);
    let id = sim.webhook(json!({"url": "https://h.test/in"}));
    let test = sim.engine.test(&id, sim.now).unwrap();
    let sent = sim.transmits();
    sim.respond(&sent[0], Outcome::Offline);
    let delivery = sim.engine.delivery(&test).unwrap();
    assert_eq!(delivery.state, DeliveryState::Failed);
    let reason = delivery.reason.clone().unwrap_or_default();
    assert_eq!(reason, "not sent: the browser is offline");
    assert_eq!(sim.stats(&id).failures, 0, "nothing was sent");
}

/// A receiver that answers nothing but 429 with an hour's Retry-After fails
/// a delivery only after hours, so with an event an hour it would never
/// reach autoDisableAfter while its deliveries pile up. Six hours of
/// nothing but 429 turn the webhook off, its events held; any other
/// answer before then starts the count again.
#[test]
fn a_receiver_answering_nothing_but_429_for_six_hours_is_turned_off() {
    use autohook::limits::THROTTLED_DISABLE_MS;
    const HOUR: u64 = 3_600_000;
    let throttled = |_: &Transmit| Outcome::Response { status: 429, retry_after: Some("3600".into()), body: String::new() };
    let mut sim = Sim::new(1);
    let id = sim.webhook(json!({"url": "https://busy.test/", "retrySchedule": [1000, 1000, 1000]}));
    let start = sim.now;
    let mut hour = 0;
    while sim.engine.webhook(&id).unwrap().config.enabled() {
        assert!(hour <= 8, "still on after {hour} hours of 429");
        sim.emit("message_sent");
        sim.run_until(start.plus(hour * HOUR + HOUR - 1), throttled);
        hour += 1;
    }
    let webhook = sim.engine.webhook(&id).unwrap();
    assert!(webhook.health.auto_disabled);
    let off_at = webhook.health.disabled_at.unwrap();
    assert!(off_at.since(start) >= THROTTLED_DISABLE_MS && off_at.since(start) < THROTTLED_DISABLE_MS + HOUR, "{off_at:?}");
    assert!(webhook.health.consecutive_failures < 20, "turned off by the 429s, not by autoDisableAfter");
    let listed = sim.ask(json!({"type": "webhooks.list"}))["value"][0].clone();
    assert!(listed["disabledReason"].as_str().unwrap().contains("nothing but 429 Too Many Requests for 6 hours"), "{listed}");

    // An answer that is not 429 within the six hours starts the count again.
    let mut sim = Sim::new(1);
    let id = sim.webhook(json!({"url": "https://busy.test/", "retrySchedule": [1000, 1000, 1000]}));
    let start = sim.now;
    for hour in 0..12 {
        sim.emit("message_sent");
        let answer = |_: &Transmit| match hour % 5 {
            4 => status(200),
            _ => Outcome::Response { status: 429, retry_after: Some("3600".into()), body: String::new() },
        };
        sim.run_until(start.plus(hour * HOUR + HOUR - 1), answer);
    }
    assert!(sim.engine.webhook(&id).unwrap().config.enabled(), "a receiver that sometimes answers stays on");

    // A run with a gap longer than two hours starts again: one event's
    // 429s over three hours, seven quiet hours, then one more 429.
    let mut sim = Sim::new(1);
    let id = sim.webhook(json!({"url": "https://busy.test/", "retrySchedule": [1000, 1000, 1000]}));
    let start = sim.now;
    sim.emit("message_sent");
    sim.run_until(start.plus(10 * HOUR), throttled);
    sim.now = start.plus(10 * HOUR);
    sim.emit("message_sent");
    sim.run_until(start.plus(10 * HOUR + 1000), throttled);
    assert!(sim.engine.webhook(&id).unwrap().config.enabled(), "a quiet day is not six hours of 429");
}
