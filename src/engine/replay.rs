//! Bulk replay: after an outage, every failed delivery queued again in one
//! request rather than one click per row
//! ([`Engine::redeliver_failed`](super::Engine::redeliver_failed)), and
//! what is queued cancelled just as easily. Which deliveries a replay takes
//! is the deliveries part's to say.

use std::collections::BTreeSet;

use super::deliveries::Deliveries;
use super::{Delivery, DeliveryState};
use crate::time::Millis;

impl Deliveries {
    /// The failed deliveries a replay takes: each logged failure at or
    /// after `since` (to `webhook_id`'s only, if given), not a Test, once
    /// per webhook and event however often it failed, and not while a
    /// delivery of that event to that webhook is unfinished or once one
    /// has succeeded, so asking twice sends nothing twice.
    pub(super) fn to_replay(&self, webhook_id: Option<&str>, since: Millis) -> Vec<&Delivery> {
        // Events a webhook has on their way, or got since they failed.
        let settled = self.outbox().iter().chain(self.log().iter().filter(|d| d.state == DeliveryState::Delivered));
        let mut taken: BTreeSet<(&str, &str)> = settled.map(|d| (d.webhook_id.as_str(), d.event.id.as_str())).collect();
        let wanted = |delivery: &Delivery| {
            delivery.state == DeliveryState::Failed
                && !delivery.test
                && delivery.finished_at.is_some_and(|at| at >= since)
                && webhook_id.is_none_or(|id| delivery.webhook_id == id)
        };
        self.log().iter().filter(|d| wanted(d) && taken.insert((d.webhook_id.as_str(), d.event.id.as_str()))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outbox::tests::delivery;

    fn logged(deliveries: &mut Deliveries, id: &str, webhook_id: &str, event: &str, state: DeliveryState, at: u64) {
        let mut logged = delivery(id, webhook_id, 0);
        logged.event.id = event.into();
        deliveries.push(logged);
        deliveries.finish(id, state, None, Millis(at));
    }

    #[test]
    fn a_replay_takes_each_failed_event_once_per_webhook_unless_it_is_on_its_way_or_got_through() {
        let mut deliveries = Deliveries::default();
        logged(&mut deliveries, "a1", "w1", "msg_a", DeliveryState::Failed, 10);
        logged(&mut deliveries, "a2", "w1", "msg_a", DeliveryState::Failed, 20);
        logged(&mut deliveries, "a3", "w2", "msg_a", DeliveryState::Failed, 20);
        logged(&mut deliveries, "b1", "w1", "msg_b", DeliveryState::Failed, 20);
        logged(&mut deliveries, "b2", "w1", "msg_b", DeliveryState::Delivered, 30);
        logged(&mut deliveries, "c1", "w1", "msg_c", DeliveryState::Failed, 5);
        let ids = |replay: Vec<&Delivery>| replay.into_iter().map(|d| d.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(deliveries.to_replay(None, Millis(10))), ["a1", "a3"], "msg_b got through; c1 is older");
        assert_eq!(ids(deliveries.to_replay(Some("w2"), Millis(0))), ["a3"]);
        let mut again = delivery("a4", "w1", 0);
        again.event.id = "msg_a".into();
        deliveries.push(again);
        assert_eq!(ids(deliveries.to_replay(Some("w1"), Millis(0))), ["c1"], "msg_a is on its way again");
    }
}
