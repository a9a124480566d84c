//! Fair shares without idle capacity wasted: a receiver that hangs, or one
//! that answers nothing but 429 with a long Retry-After, keeps only an
//! equal share of the in-flight slots and of the outbox while other
//! webhooks have work, and a healthy webhook beside them keeps at least
//! half the throughput it has alone. Under a simulated network: each
//! request is answered after its receiver's latency, on a simulated clock.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use autohook::limits::{LOG_CAPACITY, MAX_IN_FLIGHT, MAX_OUTBOX};
use autohook::{DeliveryState, EngineError, Millis, Outcome, Transmit};
use serde_json::json;

use crate::common::{status, Sim};

/// How a simulated receiver answers.
#[derive(Clone, Copy, Debug)]
enum Receiver {
    /// 200 after this many ms.
    Healthy(u64),
    /// Never answers: the request times out at the webhook's timeout.
    Hangs,
    /// 429 with a Retry-After of an hour, at once.
    Throttles,
}

impl Receiver {
    fn url(self, index: usize) -> String {
        format!("https://receiver{index}.test/{self:?}")
    }

    /// When `transmit`, sent at `now`, gets its outcome, and which.
    fn answer(self, transmit: &Transmit, now: Millis) -> (Millis, Outcome) {
        match self {
            Receiver::Healthy(latency) => (now.plus(latency), status(200)),
            Receiver::Hangs => (now.plus(transmit.timeout_ms), Outcome::Timeout),
            Receiver::Throttles => (now.plus(5), Outcome::Response { status: 429, retry_after: Some("3600".into()), body: String::new() }),
        }
    }
}

/// A profile with one webhook per receiver (all subscribed to
/// `message_sent`, at `rate` per minute), a burst of `events` raised at
/// once, and the network run for `window_ms`. Returns how many events the
/// first receiver (the healthy one) got.
fn run(receivers: &[Receiver], rate: u32, events: usize, window_ms: u64) -> u64 {
    let mut sim = Sim::new(3);
    let ids: Vec<String> =
        receivers.iter().enumerate().map(|(i, r)| sim.webhook(json!({"url": r.url(i), "ratePerMinute": rate}))).collect();
    for _ in 0..events {
        sim.emit("message_sent");
    }
    let end = sim.now.plus(window_ms);
    // Answers on their way, earliest first: (when, order sent, the request, the outcome).
    let mut wire: BinaryHeap<Reverse<(Millis, u64, usize)>> = BinaryHeap::new();
    let mut pending: Vec<Option<(Transmit, Outcome)>> = Vec::new();
    loop {
        for transmit in sim.transmits() {
            let receiver =
                receivers.iter().enumerate().position(|(i, r)| transmit.request.url.starts_with(&r.url(i))).expect("a known receiver");
            let (at, outcome) = receivers[receiver].answer(&transmit, sim.now);
            wire.push(Reverse((at, pending.len() as u64, receiver)));
            pending.push(Some((transmit, outcome)));
        }
        let wake = sim.drain().wake;
        let next = [wire.peek().map(|Reverse((at, _, _))| *at), wake].into_iter().flatten().min();
        match next {
            Some(at) if at <= end => sim.now = sim.now.max(at),
            _ => break,
        }
        while let Some(Reverse((at, order, _))) = wire.peek().copied() {
            if at > sim.now {
                break;
            }
            wire.pop();
            let (transmit, outcome) = pending[order as usize].take().expect("answered once");
            sim.respond(&transmit, outcome);
        }
    }
    sim.stats(&ids[0]).successes
}

/// A receiver that never answers holds at most an equal share of the 32
/// in-flight slots while another webhook has work, so the other's events
/// all go out; a webhook alone may use every slot. Before, each slot the
/// healthy receiver freed went to the oldest delivery, the hanging one's,
/// until it held them all.
#[test]
fn a_hanging_receiver_holds_at_most_an_equal_share_of_the_in_flight_slots() {
    let mut alone = Sim::new(1);
    alone.webhook(json!({"url": "https://hang.test/", "ratePerMinute": 1000, "timeoutMs": 120000}));
    for _ in 0..40 {
        alone.emit("message_sent");
    }
    assert_eq!(alone.transmits().len(), 32, "alone, it may use every slot");

    let mut sim = Sim::new(1);
    let hang = sim.webhook(json!({"url": "https://hang.test/", "ratePerMinute": 1000, "timeoutMs": 120000}));
    let healthy = sim.webhook(json!({"url": "https://ok.test/", "ratePerMinute": 1000}));
    for _ in 0..100 {
        sim.emit("message_sent");
    }
    let mut hanging: Vec<Transmit> = Vec::new();
    let mut rounds = 0;
    while sim.stats(&healthy).successes < 100 {
        rounds += 1;
        assert!(rounds <= 20, "the healthy receiver got {} of 100", sim.stats(&healthy).successes);
        let (to_hang, to_healthy): (Vec<Transmit>, Vec<Transmit>) =
            sim.transmits().into_iter().partition(|t| t.request.url.starts_with("https://hang.test"));
        hanging.extend(to_hang);
        assert!(hanging.len() <= 16, "the hanging receiver holds {} slots while the other has work", hanging.len());
        assert!(!to_healthy.is_empty(), "the healthy receiver got no slot in round {rounds}");
        for transmit in &to_healthy {
            sim.respond(transmit, status(200));
        }
    }
    assert_eq!((hanging.len(), sim.stats(&hang).successes), (16, 0));
    assert_eq!(sim.transmits().len(), 16, "alone again, it takes the other slots");

    // A webhook whose only delivery is a retry an hour away takes no share.
    let mut sim = Sim::new(1);
    let later = sim.webhook(json!({"url": "https://later.test/", "events": ["error"], "retrySchedule": [3_600_000]}));
    sim.webhook(json!({"url": "https://burst.test/", "events": ["message_sent"], "ratePerMinute": 1000}));
    sim.engine.emit("error", json!({}), sim.now).unwrap();
    let first = sim.transmits();
    sim.respond(&first[0], status(500));
    assert_eq!(sim.engine.deliveries().filter(|d| d.webhook_id == later && d.state == DeliveryState::Pending).count(), 1);
    for _ in 0..40 {
        sim.emit("message_sent");
    }
    assert_eq!(sim.transmits().len(), 32, "the burst may use every slot");
}

#[test]
fn a_healthy_receiver_keeps_half_its_throughput_beside_one_that_hangs_and_one_that_throttles() {
    let hostile = [Receiver::Hangs, Receiver::Throttles];
    // (latency, rate per minute): slot-bound, rate-bound and in between.
    for (latency, rate) in [(1000, 10_000), (300, 100), (2000, 3000)] {
        let healthy = Receiver::Healthy(latency);
        let window = 30_000;
        let events = 3_000;
        let alone = run(&[healthy], rate, events, window);
        let beside = run(&[&[healthy][..], &hostile].concat(), rate, events, window);
        assert!(alone > 0 && alone < events as u64, "{latency} ms, {rate}/min: the window must end with work left ({alone})");
        let ratio = beside as f64 / alone as f64;
        assert!(2 * beside >= alone, "{latency} ms, {rate}/min: {beside} beside them, {alone} alone ({ratio:.2}x)");
    }
}

/// Deliveries of `webhook_id` in `state`.
fn count(sim: &Sim, webhook_id: &str, state: DeliveryState) -> usize {
    sim.engine.deliveries().filter(|d| d.webhook_id == webhook_id && d.state == state).count()
}

#[test]
fn a_receiver_that_keeps_its_deliveries_waiting_holds_only_its_share_of_a_full_outbox() {
    let mut sim = Sim::new(4);
    let emit = |sim: &mut Sim, event: &str| sim.engine.emit(event, json!({}), sim.now);
    // Nothing is ever answered here: every delivery stays in the outbox.
    let slow = sim.webhook(json!({"url": "https://slow.test/", "events": ["message_sent", "error"]}));
    for _ in 0..MAX_OUTBOX {
        emit(&mut sim, "message_sent").unwrap();
    }
    assert_eq!(emit(&mut sim, "message_sent"), Err(EngineError::OutboxFull), "alone it may fill the outbox, then events are refused");

    // Another webhook's events still get in, each room made by dropping the
    // slow one's newest unstarted delivery; the slow one's own copy of a
    // shared event is dropped too while it holds more than its share.
    let other = sim.webhook(json!({"url": "https://other.test/", "events": ["error"]}));
    let sent_before = sim.transmits().len();
    for _ in 0..300 {
        assert_eq!(emit(&mut sim, "error").map(|ids| ids.len()), Ok(1), "the other's copy accepted");
    }
    assert_eq!(count(&sim, &other, DeliveryState::Pending), 300);
    assert_eq!(count(&sim, &slow, DeliveryState::Pending), MAX_OUTBOX - 300);
    let dropped: Vec<&str> = sim
        .engine
        .deliveries()
        .filter(|d| d.webhook_id == slow && d.state == DeliveryState::Cancelled)
        .map(|d| d.reason.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(dropped.len(), LOG_CAPACITY, "600 dropped, the log's newest 500 of them kept");
    assert!(dropped.iter().all(|reason| reason.starts_with("dropped: the outbox")), "{:?}", &dropped[..2]);
    assert!(sim.engine.deliveries().all(|d| d.state != DeliveryState::Cancelled || d.attempts.is_empty()), "never one already sent");
    assert!(sent_before > 0, "the first attempts under way were not dropped");

    // While there is room nothing is dropped; once each holds its share, an
    // event is refused whole, as for a webhook alone.
    let mut sim = Sim::new(5);
    let slow = sim.webhook(json!({"url": "https://slow.test/", "events": ["message_sent"]}));
    let other = sim.webhook(json!({"url": "https://other.test/", "events": ["error"]}));
    for _ in 0..MAX_OUTBOX / 2 {
        emit(&mut sim, "message_sent").unwrap();
        emit(&mut sim, "error").unwrap();
    }
    assert_eq!((count(&sim, &slow, DeliveryState::Pending), count(&sim, &other, DeliveryState::Pending)), (MAX_OUTBOX / 2, MAX_OUTBOX / 2));
    assert_eq!(emit(&mut sim, "error"), Err(EngineError::OutboxFull), "no one holds more than their share");
    assert_eq!(sim.engine.deliveries().filter(|d| d.state == DeliveryState::Cancelled).count(), 0);
}

#[test]
fn a_throttling_receiver_whose_deliveries_all_wait_for_a_retry_still_makes_room() {
    let mut sim = Sim::new(6);
    let throttled = |_: &Transmit| Outcome::Response { status: 429, retry_after: Some("3600".into()), body: String::new() };
    let busy = sim.webhook(json!({"url": "https://busy.test/", "events": ["message_sent"], "ratePerMinute": 10_000}));
    for _ in 0..MAX_OUTBOX {
        sim.engine.emit("message_sent", json!({}), sim.now).unwrap();
    }
    sim.run_until(sim.now.plus(5 * 60_000), throttled);
    assert!(sim.engine.deliveries().filter(|d| d.webhook_id == busy).all(|d| !d.attempts.is_empty()), "every one tried, waiting an hour");

    let other = sim.webhook(json!({"url": "https://other.test/", "events": ["error"]}));
    for _ in 0..100 {
        assert_eq!(sim.engine.emit("error", json!({}), sim.now).map(|ids| ids.len()), Ok(1), "the other's event gets in");
    }
    assert_eq!(count(&sim, &other, DeliveryState::Pending), 100);
    let dropped: Vec<_> = sim.engine.deliveries().filter(|d| d.state == DeliveryState::Cancelled).collect();
    assert_eq!(dropped.len(), 100);
    assert!(dropped.iter().all(|d| d.webhook_id == busy && !d.awaiting_result()), "only the busy one's, none in flight");
}

/// A profile with a webhook whose receiver is never answered here (its
/// `error` events; returned) and one for `message_sent`, both at 1,000 a
/// minute so the slots, not the rate limit, bind.
fn hanging_beside_healthy(seed: u8) -> (Sim, String) {
    let mut sim = Sim::new(seed);
    let hang = sim.webhook(json!({"url": "https://hang.test/", "events": ["error"], "ratePerMinute": 1000, "timeoutMs": 120000}));
    sim.webhook(json!({"url": "https://ok.test/", "events": ["message_sent"], "ratePerMinute": 1000}));
    (sim, hang)
}

#[test]
fn a_webhook_whose_events_wait_for_their_write_keeps_its_share_of_slots() {
    let (mut sim, hang) = hanging_beside_healthy(7);
    for _ in 0..40 {
        sim.engine.emit("error", json!({}), sim.now).unwrap();
    }
    sim.persist();
    // The other's events are accepted, their write not yet landed: what the
    // hanging one starts now it holds for its timeout.
    for _ in 0..40 {
        sim.engine.emit("message_sent", json!({}), sim.now).unwrap();
    }
    let started = sim.drain().transmits;
    assert!(started.iter().all(|t| t.request.url.starts_with("https://hang.test")), "the other's are not written yet");
    assert_eq!(started.len(), MAX_IN_FLIGHT / 2, "the hanging one takes its share, not the slots the other's events will need");
    assert_eq!(sim.engine.deliveries().filter(|d| d.webhook_id == hang && d.awaiting_result()).count(), MAX_IN_FLIGHT / 2);
    sim.persist();
    assert_eq!(sim.drain().transmits.len(), MAX_IN_FLIGHT / 2, "once written, the other's take the rest");
}

#[test]
fn a_test_goes_out_at_once_even_when_its_webhook_holds_its_share_of_slots() {
    let (mut sim, hang) = hanging_beside_healthy(8);
    for _ in 0..40 {
        sim.engine.emit("error", json!({}), sim.now).unwrap();
        sim.engine.emit("message_sent", json!({}), sim.now).unwrap();
    }
    let started = sim.transmits();
    assert_eq!(started.iter().filter(|t| t.request.url.starts_with("https://hang.test")).count(), MAX_IN_FLIGHT / 2);
    // Every slot is taken; the user presses Test on the hanging webhook.
    for transmit in started.iter().filter(|t| t.request.url.starts_with("https://ok.test")) {
        sim.respond(transmit, status(200));
    }
    let test = sim.engine.test(&hang, sim.now).unwrap();
    let next = sim.transmits();
    assert!(next.iter().any(|t| t.delivery_id == test), "the Test goes out with the next free slot, its webhook's share full or not");
}
