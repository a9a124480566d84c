//! The unfinished deliveries, found by id and by when they are due.
//!
//! A burst fills the outbox with thousands of deliveries and every response
//! asks for the next one to send. Scanning them all each time cost more
//! than signing the request; here each webhook keeps its ready deliveries
//! in order of due time, so picking the next is a look at the head of at
//! most two queues per webhook.

use std::collections::{BTreeMap, BTreeSet};

use super::delivery::{Delivery, DeliveryState};
use super::tally::Tally;
use crate::ids::IdMap;
use crate::time::Millis;

/// Where a ready delivery sits: its webhook's queue of first attempts (held
/// back by the rate limit), of retries (not held back by it), or of Tests
/// (held back by neither the rate limit nor the in-flight share: the user
/// who pressed Test waits for its answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    First,
    Other,
    Test,
}

#[derive(Debug)]
struct Entry {
    delivery: Delivery,
    /// Set while the delivery is in its webhook's ready queue.
    queued: Option<(Lane, Millis)>,
}

/// One webhook's ready deliveries by `(next_at, seq)`, one set per lane.
#[derive(Debug, Default)]
struct Queues {
    first: BTreeSet<(Millis, u64)>,
    other: BTreeSet<(Millis, u64)>,
    test: BTreeSet<(Millis, u64)>,
}

impl Queues {
    fn lane(&mut self, lane: Lane) -> &mut BTreeSet<(Millis, u64)> {
        match lane {
            Lane::First => &mut self.first,
            Lane::Other => &mut self.other,
            Lane::Test => &mut self.test,
        }
    }
}

/// Unfinished deliveries in the order they were made. A delivery is
/// *ready* once [`Outbox::queue`] puts it in line, until it is taken for an
/// attempt, changed through [`Outbox::get_mut`], or removed.
#[derive(Debug, Default)]
pub struct Outbox {
    entries: BTreeMap<u64, Entry>,
    by_id: IdMap<u64>,
    ready: IdMap<Queues>,
    /// How many deliveries each webhook has here, for its share.
    counts: Tally,
    next_seq: u64,
}

impl Outbox {
    /// How many deliveries it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds a delivery, not yet ready.
    pub fn push(&mut self, delivery: Delivery) {
        self.next_seq += 1;
        self.by_id.insert(delivery.id.clone(), self.next_seq);
        self.counts.add(&delivery.webhook_id);
        self.entries.insert(self.next_seq, Entry { delivery, queued: None });
    }

    /// How many deliveries it holds for `webhook_id`.
    pub fn count_of(&self, webhook_id: &str) -> usize {
        self.counts.of(webhook_id)
    }

    /// How many webhooks have deliveries here.
    pub fn webhooks(&self) -> usize {
        self.counts.webhooks()
    }

    /// Deliveries, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Delivery> {
        self.entries.values().map(|entry| &entry.delivery)
    }

    /// The delivery with `id`.
    pub fn get(&self, id: &str) -> Option<&Delivery> {
        self.entries.get(self.by_id.get(id)?).map(|entry| &entry.delivery)
    }

    /// The delivery with `id`, taken out of line so it can be changed;
    /// [`Outbox::queue`] puts it back.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Delivery> {
        let seq = *self.by_id.get(id)?;
        self.unqueue(seq);
        self.entries.get_mut(&seq).map(|entry| &mut entry.delivery)
    }

    /// Puts the delivery with `id` in line for its next attempt at its
    /// `next_at`. First attempts (not Tests) go in the lane the rate limit
    /// holds back. A held delivery or an open batch stays out of line until
    /// it is pending.
    pub fn queue(&mut self, id: &str) {
        let Some(&seq) = self.by_id.get(id) else { return };
        self.unqueue(seq);
        let entry = self.entries.get_mut(&seq).expect("by_id and entries agree");
        let delivery = &entry.delivery;
        if delivery.state != DeliveryState::Pending {
            return;
        }
        let lane = match (delivery.test, delivery.attempts.is_empty()) {
            (true, _) => Lane::Test,
            (false, true) => Lane::First,
            (false, false) => Lane::Other,
        };
        let queues = self.ready.entry(delivery.webhook_id.clone()).or_default();
        queues.lane(lane).insert((delivery.next_at, seq));
        entry.queued = Some((lane, delivery.next_at));
    }

    /// Takes out of line the ready delivery due first at `now` (the
    /// earliest `next_at`, then the oldest), where a webhook's first
    /// attempts may not start before `floor(webhook_id)`, and a webhook
    /// whose floor is `None` may start nothing but a Test.
    pub fn take_due(&mut self, now: Millis, floor: impl Fn(&str) -> Option<Millis>) -> Option<&mut Delivery> {
        let (_, seq) = self.heads(floor).filter(|(due, _, _)| *due <= now).map(|(_, order, seq)| (order, seq)).min()?;
        self.unqueue(seq);
        self.entries.get_mut(&seq).map(|entry| &mut entry.delivery)
    }

    /// When the first ready delivery falls due, under the same `floor`.
    pub fn next_due(&self, floor: impl Fn(&str) -> Option<Millis>) -> Option<Millis> {
        self.heads(floor).map(|(due, _, _)| due).min()
    }

    /// The webhooks with a delivery due at `now`, under `floor` as for
    /// [`Outbox::take_due`].
    pub fn due_webhooks<'a>(&'a self, now: Millis, floor: impl Fn(&str) -> Option<Millis> + 'a) -> impl Iterator<Item = &'a str> + 'a {
        self.ready
            .iter()
            .filter(move |(webhook_id, queues)| {
                queues.test.first().is_some_and(|&(at, _)| at <= now)
                    || floor(webhook_id).is_some_and(|floor| {
                        queues.first.first().is_some_and(|&(at, _)| at.max(floor) <= now)
                            || queues.other.first().is_some_and(|&(at, _)| at <= now)
                    })
            })
            .map(|(webhook_id, _)| webhook_id.as_str())
    }

    /// Removes the delivery with `id`.
    pub fn remove(&mut self, id: &str) -> Option<Delivery> {
        let seq = self.by_id.remove(id)?;
        self.unqueue(seq);
        let delivery = self.entries.remove(&seq)?.delivery;
        self.counts.remove(&delivery.webhook_id);
        Some(delivery)
    }

    /// The ids of `webhook_id`'s deliveries.
    pub fn ids_of(&self, webhook_id: &str) -> Vec<String> {
        self.iter().filter(|d| d.webhook_id == webhook_id).map(|d| d.id.clone()).collect()
    }

    /// Each lane's head as `(due, order, seq)`: a delivery due at `due`,
    /// taken before those of a later `order`. A Test's lane has no gate and
    /// comes first once due: its caller waits for the answer.
    fn heads<'a>(&'a self, floor: impl Fn(&str) -> Option<Millis> + 'a) -> impl Iterator<Item = (Millis, Millis, u64)> + 'a {
        self.ready.iter().flat_map(move |(webhook_id, queues)| {
            let floor = floor(webhook_id);
            let first = floor.and_then(|floor| queues.first.first().map(|&(at, seq)| (at.max(floor), at, seq)));
            let other = floor.and(queues.other.first().map(|&(at, seq)| (at, at, seq)));
            let test = queues.test.first().map(|&(at, seq)| (at, Millis(0), seq));
            first.into_iter().chain(other).chain(test)
        })
    }

    fn unqueue(&mut self, seq: u64) {
        let Some(entry) = self.entries.get_mut(&seq) else { return };
        let Some((lane, at)) = entry.queued.take() else { return };
        let webhook_id = &entry.delivery.webhook_id;
        if let Some(queues) = self.ready.get_mut(webhook_id) {
            queues.lane(lane).remove(&(at, seq));
            if queues.first.is_empty() && queues.other.is_empty() && queues.test.is_empty() {
                self.ready.remove(webhook_id);
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::event::{Event, EventKind};
    use serde_json::json;

    pub(in crate::engine) fn delivery(id: &str, webhook_id: &str, next_at: u64) -> Delivery {
        Delivery {
            id: id.into(),
            webhook_id: webhook_id.into(),
            webhook_name: webhook_id.into(),
            event: Event::new(format!("msg_{id}"), EventKind::Error, Millis(0), json!({})),
            created_at: Millis(0),
            state: DeliveryState::Pending,
            finished_at: None,
            next_at: Millis(next_at),
            test: false,
            attempts: Vec::new(),
            request: None,
            reason: None,
            batch: Vec::new(),
            reply_action: None,
        }
    }

    fn outbox(deliveries: &[(&str, &str, u64)]) -> Outbox {
        let mut outbox = Outbox::default();
        for &(id, webhook_id, next_at) in deliveries {
            outbox.push(delivery(id, webhook_id, next_at));
            outbox.queue(id);
        }
        outbox
    }

    fn no_floor(_: &str) -> Option<Millis> {
        Some(Millis(0))
    }

    #[test]
    fn takes_the_earliest_due_then_the_oldest_and_never_twice() {
        let mut outbox = outbox(&[("a", "w1", 50), ("b", "w2", 10), ("c", "w1", 10), ("d", "w1", 99)]);
        let mut taken = Vec::new();
        while let Some(delivery) = outbox.take_due(Millis(60), no_floor) {
            taken.push(delivery.id.clone());
        }
        assert_eq!(taken, ["b", "c", "a"]);
        assert_eq!(outbox.next_due(no_floor), Some(Millis(99)));
        assert_eq!(outbox.len(), 4, "taking is not removing");
    }

    #[test]
    fn only_queued_deliveries_are_due() {
        let mut outbox = Outbox::default();
        outbox.push(delivery("a", "w1", 0));
        assert!(outbox.take_due(Millis(5), no_floor).is_none(), "not yet in line");
        assert_eq!(outbox.next_due(no_floor), None);
        outbox.queue("a");
        outbox.get_mut("a").unwrap().next_at = Millis(7);
        assert!(outbox.take_due(Millis(5), no_floor).is_none(), "changing takes it out of line");
        outbox.queue("a");
        assert_eq!(outbox.next_due(no_floor), Some(Millis(7)), "queued again at its new time");
        assert_eq!(outbox.count_of("w1"), 1);
        assert_eq!(outbox.remove("a").unwrap().id, "a");
        assert_eq!(outbox.count_of("w1"), 0);
        assert_eq!(outbox.next_due(no_floor), None);
        assert!(outbox.get("a").is_none());
    }

    #[test]
    fn the_floor_holds_back_first_attempts_but_not_retries() {
        let mut outbox = Outbox::default();
        outbox.push(delivery("first", "w1", 0));
        outbox.queue("first");
        let mut retry = delivery("retry", "w1", 5);
        retry.attempts.push(crate::engine::Attempt {
            delivery_header: "retry.1".into(),
            started_at: Millis(0),
            duration_ms: Some(1),
            status: Some(500),
            error: None,
            failure: None,
            response_body: None,
        });
        outbox.push(retry);
        outbox.queue("retry");
        let floor = |webhook_id: &str| Some(if webhook_id == "w1" { Millis(100) } else { Millis(0) });
        assert_eq!(outbox.take_due(Millis(10), floor).map(|d| d.id.clone()), Some("retry".into()));
        assert!(outbox.take_due(Millis(10), floor).is_none());
        assert_eq!(outbox.next_due(floor), Some(Millis(100)));
    }

    #[test]
    fn a_webhook_without_a_floor_starts_nothing_not_even_a_retry() {
        let mut outbox = outbox(&[("a", "w1", 0), ("b", "w2", 5)]);
        let closed = |webhook_id: &str| Some(Millis(0)).filter(|_| webhook_id != "w1");
        assert_eq!(outbox.next_due(closed), Some(Millis(5)));
        assert_eq!(outbox.take_due(Millis(10), closed).map(|d| d.id.clone()), Some("b".into()));
        assert!(outbox.take_due(Millis(10), closed).is_none());
        assert_eq!(outbox.due_webhooks(Millis(10), no_floor).collect::<Vec<_>>(), ["w1"]);
        assert_eq!(outbox.due_webhooks(Millis(10), closed).count(), 0, "a closed webhook has nothing due");
        outbox.push(delivery("c", "w2", 50));
        outbox.queue("c");
        assert_eq!(outbox.due_webhooks(Millis(10), no_floor).collect::<Vec<_>>(), ["w1"], "w2's next is not due yet");
    }
}
