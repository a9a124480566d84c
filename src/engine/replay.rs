//! Bulk replay: after an outage, every failed delivery queued again in one
//! request rather than one click per row, and what is queued cancelled
//! just as easily.

use std::collections::BTreeSet;

use super::{DeliveryState, Engine, EngineError};
use crate::time::Millis;

impl Engine {
    /// Queues again every event whose delivery failed at or after `since`
    /// (to `webhook_id`'s only, if given), with its original event id, as
    /// first attempts that the rate limit paces. Each event is queued once
    /// per webhook, however often it failed, and not while a delivery of it
    /// to that webhook is still unfinished or once one has succeeded, so
    /// asking twice sends nothing twice. Tests are not replayed, nor
    /// deliveries of deleted webhooks or of ones turned off (by the user, or
    /// by a 410 Gone); an auto-disabled webhook's are queued held, with the
    /// events it holds.
    /// With `dry_run` nothing changes: the count is what would be queued.
    /// Past the outbox's room, none is queued.
    pub fn redeliver_failed(&mut self, webhook_id: Option<&str>, since: Millis, dry_run: bool, now: Millis) -> Result<usize, EngineError> {
        self.check_filter(webhook_id)?;
        // Events a webhook has on their way, or got since they failed.
        let settled = self.deliveries.outbox().iter().chain(self.deliveries.log().iter().filter(|d| d.state == DeliveryState::Delivered));
        let mut taken: BTreeSet<(&str, &str)> = settled.map(|d| (d.webhook_id.as_str(), d.event.id.as_str())).collect();
        let mut replays = Vec::new();
        for delivery in self.deliveries.log() {
            let wanted = delivery.state == DeliveryState::Failed
                && !delivery.test
                && delivery.finished_at.is_some_and(|at| at >= since)
                && webhook_id.is_none_or(|id| delivery.webhook_id == id);
            if !wanted || !taken.insert((delivery.webhook_id.as_str(), delivery.event.id.as_str())) {
                continue;
            }
            let receiving = |w: &super::Webhook| w.id == delivery.webhook_id && (w.config.enabled() || w.health.auto_disabled);
            if let Some(index) = self.webhooks.iter().position(receiving) {
                replays.push((index, delivery.event.clone(), delivery.batch.clone()));
            }
        }
        if dry_run || replays.is_empty() {
            return Ok(replays.len());
        }
        if self.deliveries.outbox().len() + replays.len() > super::MAX_OUTBOX {
            return Err(EngineError::OutboxFull);
        }
        // One the webhook's settings now make too large is logged as
        // refused again by `enqueue`, and not counted.
        Ok(replays
            .into_iter()
            .filter(|(index, event, batch)| self.enqueue(&[*index], event.clone(), batch.clone(), false, now).is_ok())
            .count())
    }

    /// Cancels every unfinished delivery, pending or held (to `webhook_id`
    /// only, if given), except Tests, whose callers wait for their result.
    /// Returns how many.
    pub fn cancel_unfinished(&mut self, webhook_id: Option<&str>, now: Millis) -> Result<usize, EngineError> {
        self.check_filter(webhook_id)?;
        let ids: Vec<String> = self
            .deliveries
            .outbox()
            .iter()
            .filter(|d| !d.test && webhook_id.is_none_or(|id| d.webhook_id == id))
            .map(|d| d.id.clone())
            .collect();
        for id in &ids {
            self.finish(id, DeliveryState::Cancelled, Some("cancelled by the user".into()), now);
        }
        Ok(ids.len())
    }

    /// A request limited to `webhook_id` names a webhook that exists.
    fn check_filter(&self, webhook_id: Option<&str>) -> Result<(), EngineError> {
        match webhook_id {
            Some(id) if self.webhooks.iter().all(|w| w.id != id) => Err(EngineError::UnknownWebhookFilter(id.into())),
            _ => Ok(()),
        }
    }
}
