//! The webhooks: their settings, health, previous secrets and stats, stored
//! together under `webhooks`, and what decides when each may start an
//! attempt: its rate limit and its share of the attempts in flight.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Deref;

use super::deliveries::Deliveries;
use super::state::{Key, Webhook};
use super::stored::{Stored, Writes};
use super::{EngineError, MAX_IN_FLIGHT};
use crate::config::{StoredConfig, WebhookConfig};
use crate::time::Millis;

/// The window a webhook's `ratePerMinute` counts first attempts in.
const RATE_WINDOW_MS: u64 = 60_000;

/// The configured webhooks in creation order, with when each recently
/// started a first attempt and whether its last attempt failed (neither
/// stored: after a restart a webhook's next attempts tell again).
#[derive(Debug, Default)]
pub(super) struct Webhooks {
    list: Stored<Vec<Webhook>>,
    /// When each webhook's first attempts of the last minute started, in
    /// time order, for its rate limit.
    recent_starts: HashMap<String, VecDeque<Millis>>,
    /// Webhooks whose last attempt failed (offline aside): they weigh half
    /// in the in-flight shares ([`Webhooks::floors`]).
    last_attempt_failed: HashSet<String>,
}

impl Webhooks {
    /// As stored.
    pub fn new(list: Vec<Webhook>) -> Webhooks {
        Webhooks { list: Stored::new(list), ..Webhooks::default() }
    }

    /// The webhooks, to change: written with the next batch.
    pub fn edit(&mut self) -> &mut Vec<Webhook> {
        self.list.edit()
    }

    /// Changes the webhooks by `change`, which says whether it changed
    /// what is stored (see [`Stored::edit_if`]).
    pub fn edit_if<R>(&mut self, change: impl FnOnce(&mut Vec<Webhook>) -> (R, bool)) -> R {
        self.list.edit_if(change)
    }

    /// The index of the webhook with `id`.
    pub fn index(&self, id: &str) -> Result<usize, EngineError> {
        self.list.iter().position(|w| w.id == id).ok_or_else(|| EngineError::UnknownWebhook(id.into()))
    }

    /// The webhook with `id`.
    pub fn get(&self, id: &str) -> Result<&Webhook, EngineError> {
        self.index(id).map(|index| &self.list[index])
    }

    /// Adds a webhook `id` with settings already valid, made at `now`.
    pub fn add(&mut self, id: String, config: WebhookConfig, now: Millis) -> &Webhook {
        let list = self.list.edit();
        list.push(Webhook {
            id,
            config: StoredConfig::Valid(config),
            created_at: now,
            updated_at: now,
            disabled_reason: None,
            stats: Default::default(),
            health: Default::default(),
            previous_secrets: Default::default(),
        });
        list.last().expect("just pushed")
    }

    /// Webhook `id` started a first attempt (not a Test) at `now`: it counts
    /// against its rate for a minute.
    pub fn first_attempt_started(&mut self, id: &str, now: Millis) {
        let starts = self.recent_starts.entry(id.to_string()).or_default();
        starts.push_back(now);
        while starts.front().is_some_and(|t| t.plus(RATE_WINDOW_MS) <= now) {
            starts.pop_front();
        }
    }

    /// Webhook `id`'s last attempt was answered (`failed` or not); one that
    /// failed weighs half in the in-flight shares.
    pub fn attempt_answered(&mut self, id: &str, failed: bool) {
        if failed {
            self.last_attempt_failed.insert(id.to_string());
        } else {
            self.last_attempt_failed.remove(id);
        }
    }

    /// Whether AutoHook turned a webhook off and holds its events (the
    /// badge shows it).
    pub fn holding(&self) -> bool {
        self.list.iter().any(|w| w.health.auto_disabled)
    }

    /// Adds the webhooks to `writes` if they changed.
    pub fn take_change(&mut self, writes: &mut Writes) {
        self.list.take_change(Key::Webhooks, writes);
    }

    /// The webhooks are written with the next batch as they are.
    pub fn rewrite(&mut self) {
        self.list.rewrite();
    }

    /// For each webhook, the earliest time a first attempt may start: now while
    /// it is under its rate for the last minute, else when the oldest start that
    /// counts leaves the window. Computed once per poll rather than per delivery.
    fn rate_floors(&self, now: Millis) -> Vec<(&str, Millis)> {
        let window_start = Millis(now.0.saturating_sub(RATE_WINDOW_MS));
        self.list
            .iter()
            .map(|webhook| {
                // At least 1 (settings that do not parse send nothing anyway).
                let rate = webhook.config.valid().map_or(1, |c| c.rate_per_minute as usize).max(1);
                let floor = match self.recent_starts.get(&webhook.id) {
                    // `starts` is in time order, so the window's start is a binary search.
                    Some(starts) if starts.len() - starts.partition_point(|t| *t <= window_start) >= rate => {
                        starts[starts.len() - rate].plus(RATE_WINDOW_MS)
                    }
                    _ => Millis(0),
                };
                (webhook.id.as_str(), floor)
            })
            .collect()
    }

    /// Each webhook's gate for [`super::outbox::Outbox::take_due`]: when
    /// its next first attempt may start (its rate limit,
    /// [`Webhooks::rate_floors`]), or `None` while it holds its share of
    /// the in-flight slots. A webhook alone may use them all; when several
    /// have work (in line or in flight), the slots are shared by weight
    /// (rounded up): a webhook whose last attempt failed
    /// ([`Webhooks::attempt_answered`]) weighs half what one that is
    /// answering weighs. So a receiver that hangs cannot hold every slot
    /// while the others wait, and once its first attempts time out it holds
    /// a third of them beside one healthy webhook, not half: an equal split
    /// left the healthy one exactly half its throughput alone wherever the
    /// slots, not the rate limit, were what bound it.
    pub fn floors(&self, deliveries: &Deliveries, now: Millis) -> Vec<(&str, Option<Millis>)> {
        let webhooks = &self.list;
        let floors = self.rate_floors(now);
        // No webhook can hold its share while fewer attempts are in flight than
        // the smallest share: the usual case, and then nothing is counted.
        let smallest_share = match webhooks.len() {
            0 | 1 => MAX_IN_FLIGHT,
            n => MAX_IN_FLIGHT.div_ceil(2 * n),
        };
        if deliveries.in_flight_count() < smallest_share {
            return floors.into_iter().map(|(id, floor)| (id, Some(floor))).collect();
        }
        let mut in_flight: HashMap<&str, usize> = HashMap::new();
        let outbox = deliveries.outbox();
        for delivery_id in deliveries.in_flight_ids() {
            if let Some(delivery) = outbox.get(delivery_id) {
                *in_flight.entry(delivery.webhook_id.as_str()).or_default() += 1;
            }
        }
        // Work is what is due now (its rate limit aside: the window opens within
        // a minute), in flight, or waiting for its write to land (a few ms):
        // a slot handed to a receiver that hangs is not back for its timeout,
        // so a gap that short must not let it take another's share. A retry
        // due in an hour takes no share.
        let due = outbox.due_webhooks(now, |_| Some(Millis(0)));
        let with_work: HashSet<&str> = due.chain(in_flight.keys().copied()).chain(deliveries.unwritten().ids()).collect();
        let weight = |webhook: &Webhook| if self.last_attempt_failed.contains(&webhook.id) { 1 } else { 2 };
        let total: usize = webhooks.iter().filter(|w| with_work.contains(w.id.as_str())).map(weight).sum();
        let share = |webhook: &Webhook| (MAX_IN_FLIGHT * weight(webhook)).div_ceil(total.max(1));
        webhooks
            .iter()
            .zip(floors)
            .map(|(webhook, (id, floor))| (id, Some(floor).filter(|_| in_flight.get(id).copied().unwrap_or(0) < share(webhook))))
            .collect()
    }
}

impl Deref for Webhooks {
    type Target = [Webhook];

    fn deref(&self) -> &[Webhook] {
        &self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WebhookInput;
    use crate::engine::deliveries::tests::start_attempt;
    use crate::engine::outbox::tests::delivery;

    fn webhooks(rates: &[u32]) -> Webhooks {
        let mut webhooks = Webhooks::default();
        for (n, &rate) in rates.iter().enumerate() {
            let input = WebhookInput { url: Some("https://h.test/".into()), rate_per_minute: Some(rate), ..Default::default() };
            webhooks.add(format!("w{n}"), WebhookConfig::create(input).unwrap(), Millis(0));
        }
        webhooks
    }

    #[test]
    fn a_webhook_at_its_rate_waits_until_its_oldest_start_leaves_the_minute() {
        const T: u64 = 1_700_000_000_000;
        let mut webhooks = webhooks(&[2, 2]);
        webhooks.first_attempt_started("w0", Millis(T));
        webhooks.first_attempt_started("w0", Millis(T + 10));
        let floors = webhooks.floors(&Deliveries::default(), Millis(T + 20));
        assert_eq!(floors, [("w0", Some(Millis(T + RATE_WINDOW_MS))), ("w1", Some(Millis(0)))]);
        webhooks.first_attempt_started("w0", Millis(T + RATE_WINDOW_MS));
        let floors = webhooks.floors(&Deliveries::default(), Millis(T + RATE_WINDOW_MS));
        assert_eq!(floors[0], ("w0", Some(Millis(T + 10 + RATE_WINDOW_MS))), "the start a minute old no longer counts");
    }

    #[test]
    fn a_webhook_whose_last_attempt_failed_has_half_the_share_of_one_that_answers() {
        let mut webhooks = webhooks(&[1_000, 1_000]);
        let mut deliveries = Deliveries::default();
        for n in 0..12 {
            deliveries.push(delivery(&format!("a{n}"), "w0", 0));
            start_attempt(&mut deliveries, &format!("a{n}"));
        }
        deliveries.push(delivery("b", "w1", 0));
        deliveries.queue("b");
        let w0 = |webhooks: &Webhooks, deliveries: &Deliveries| webhooks.floors(deliveries, Millis(0))[0].1;
        assert_eq!(w0(&webhooks, &deliveries), Some(Millis(0)), "12 of 32 slots, an equal share is 16");
        webhooks.attempt_answered("w0", true);
        assert_eq!(w0(&webhooks, &deliveries), None, "failing, its share is 11");
        webhooks.attempt_answered("w0", false);
        assert_eq!(w0(&webhooks, &deliveries), Some(Millis(0)));
    }
}
