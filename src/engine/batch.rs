//! Batches: a webhook with `batch` set sends the events that pass its
//! filters together, one request for up to `maxEvents` of them.
//!
//! An open batch is a delivery in the outbox in the [`DeliveryState::Open`]
//! state, its events in [`Delivery::batch`] and its deadline (its first
//! event plus `maxWaitSeconds`) in `next_at`. It is stored like any
//! delivery, so a worker stop loses none of its events, and its deadline is
//! one of the engine's wake-ups
//! ([`Deliveries::next_batch_deadline`](super::deliveries::Deliveries::next_batch_deadline)),
//! so the adapter's alarm brings it. When it closes (full, on its deadline, or
//! before an event that would take it past 256 KB) it becomes pending and
//! is sent once its write lands, like any new delivery: retries, the rate
//! limit, holding and the log then treat it as one delivery.
//!
//! What this file's `impl Engine` does is chain 10 of the cross-part rules
//! ([`super::rules`]): it reads a webhook's settings and changes the
//! deliveries, so it belongs to neither part alone.

use super::{Delivery, DeliveryState, Engine, EngineError, MAX_OUTBOX};
use crate::config::{Batch, WebhookConfig};
use crate::event::{Event, Payload};
use crate::request::{self, MAX_PAYLOAD_BYTES};
use crate::time::Millis;

impl Engine {
    /// Delivers `event` to `targets`: a batching webhook's copy joins its
    /// open batch, the others are queued at once. Refused whole (nothing
    /// changes) when the outbox is full or the event alone is too large for
    /// one of them.
    pub(super) fn deliver_or_batch(&mut self, targets: &[usize], event: Event, now: Millis) -> Result<Vec<String>, EngineError> {
        self.make_room(targets, now);
        let batch_of = |engine: &Engine, index: usize| engine.webhooks[index].config.valid().ok().and_then(|c| c.batch);
        let (batched, single): (Vec<usize>, Vec<usize>) = targets.iter().partition(|&&index| batch_of(self, index).is_some());
        if batched.is_empty() {
            return self.enqueue(&single, event, Vec::new(), false, now);
        }
        if self.deliveries.outbox().len() + targets.len() > MAX_OUTBOX {
            return Err(EngineError::OutboxFull);
        }
        let alone = Payload::Batch { id: &event.id, events: std::slice::from_ref(&event) };
        let oversized = batched.iter().find_map(|&index| {
            let size = request::payload_len(self.webhooks[index].config.valid().ok()?, alone).ok()?;
            (size > MAX_PAYLOAD_BYTES).then_some(size)
        });
        if let Some(size) = oversized {
            // As `enqueue` refuses it: logged for every target, sent to none.
            let refused = targets.iter().map(|&index| self.new_delivery(index, event.clone(), Vec::new(), false, now)).collect();
            return Err(self.refuse_too_large(refused, size, now));
        }
        let mut ids = self.enqueue(&single, event.clone(), Vec::new(), false, now)?;
        for index in batched {
            let settings = batch_of(self, index).expect("partitioned on it");
            ids.push(self.join_batch(index, event.clone(), settings, now));
        }
        Ok(ids)
    }

    /// Queues a Test of the webhook at `index`: never held for a batch, but
    /// shaped as one (of one) where the webhook batches, so the receiver
    /// sees what it will get.
    pub(super) fn enqueue_test(&mut self, index: usize, event: Event, now: Millis) -> Result<String, EngineError> {
        let ids = match self.webhooks[index].config.valid().is_ok_and(|c| c.batch.is_some()) {
            true => {
                let stands_for = self.batch_event(&event, now);
                self.enqueue(&[index], stands_for, vec![event], true, now)?
            }
            false => self.enqueue(&[index], event, Vec::new(), true, now)?,
        };
        Ok(ids.into_iter().next().expect("one target, one delivery"))
    }

    /// The event a batch's delivery stands for: a new id (the batch's
    /// `webhook-id`), `now`, and its first event's kind.
    pub(super) fn batch_event(&mut self, first: &Event, now: Millis) -> Event {
        Event::new(self.ids.next("msg"), first.kind, now, serde_json::Value::Null)
    }

    /// Adds `event` to the open batch of the webhook at `index`, or opens
    /// one; a batch it would take past 256 KB is closed first and the event
    /// starts the next. Returns the batch's delivery id.
    fn join_batch(&mut self, index: usize, event: Event, settings: Batch, now: Millis) -> String {
        if let Some(id) = self.deliveries.open_batch(&self.webhooks[index].id) {
            if self.fits(index, &id, &event) {
                let delivery = self.deliveries.edit(&id).expect("open_batch found it");
                delivery.batch.push(event);
                let full = delivery.batch.len() >= settings.max_events as usize;
                if full {
                    self.close_batch(&id, now);
                }
                return id;
            }
            self.close_batch(&id, now);
        }
        let mut delivery: Delivery = {
            let stands_for = self.batch_event(&event, now);
            self.new_delivery(index, stands_for, vec![event], false, now)
        };
        delivery.state = DeliveryState::Open;
        delivery.next_at = now.plus(settings.max_wait_ms());
        let id = delivery.id.clone();
        self.deliveries.add_open_batch(delivery);
        id
    }

    /// Whether the batch `id` with `event` added stays within 256 KB for
    /// the webhook at `index`.
    fn fits(&self, index: usize, id: &str, event: &Event) -> bool {
        let (Some(delivery), Ok(config)) = (self.deliveries.outbox().get(id), self.webhooks[index].config.valid()) else { return false };
        let mut events = delivery.batch.clone();
        events.push(event.clone());
        let payload = Payload::Batch { id: &delivery.event.id, events: &events };
        // A template that cannot render the batch fails it when it is sent.
        request::payload_len(config, payload).map_or(true, |size| size <= MAX_PAYLOAD_BYTES)
    }

    /// Closes the open batch `id`: pending, sent once this change is in
    /// storage (held instead while its webhook is auto-disabled).
    pub(super) fn close_batch(&mut self, id: &str, now: Millis) {
        let Some(delivery) = self.deliveries.outbox().get(id) else { return };
        let held = self.webhooks.iter().position(|w| w.id == delivery.webhook_id).is_some_and(|index| self.holds_events(index));
        self.deliveries.close_batch(id, held, now);
    }

    /// Closes every open batch whose deadline has come.
    pub(super) fn close_due_batches(&mut self, now: Millis) {
        for id in self.deliveries.due_batches(now) {
            self.close_batch(&id, now);
        }
    }

    /// After a change to the webhook at `index`: a batch setting changed
    /// while a batch is open sends what it holds now, rather than keep it to
    /// rules the user no longer has; batching turned off sends its events
    /// one by one. Turning the webhook off
    /// or deleting it cancels the batch with its other undelivered events.
    pub(super) fn batch_setting_changed(&mut self, index: usize, before: Option<Batch>, now: Millis) {
        let after = self.webhooks[index].config.valid().ok().and_then(|c| c.batch);
        if after == before {
            return;
        }
        let Some(id) = self.deliveries.open_batch(&self.webhooks[index].id) else { return };
        if after.is_some() {
            return self.close_batch(&id, now);
        }
        // Batching turned off: its events go one request each, as the
        // webhook now sends them (its template may not render a batch);
        // sent as the batch it is when the outbox has no room for them.
        let events = self.deliveries.outbox().get(&id).map_or(0, |batch| batch.batch.len());
        if self.deliveries.outbox().len() - 1 + events > MAX_OUTBOX {
            return self.close_batch(&id, now);
        }
        let Some(batch) = self.deliveries.discard(&id) else { return };
        for event in batch.batch {
            // An event now too large alone is logged as refused by `enqueue`.
            let _ = self.enqueue(&[index], event, Vec::new(), false, now);
        }
    }

    /// After a restart: finds the open batches in the outbox again. Their
    /// deadlines were stored with them; an empty one (a damaged record)
    /// has nothing to send and is cancelled, and a second open batch for
    /// one webhook (likewise) is closed.
    pub(super) fn track_open_batches(&mut self, now: Millis) {
        let open: Vec<(String, String, bool)> = self
            .deliveries
            .outbox()
            .iter()
            .filter(|d| d.state == DeliveryState::Open)
            .map(|d| (d.webhook_id.clone(), d.id.clone(), d.batch.is_empty()))
            .collect();
        for (webhook_id, id, empty) in open {
            if empty {
                self.finish(&id, DeliveryState::Cancelled, Some("an open batch with no events".into()), now);
            } else if let Some(earlier) = self.deliveries.track_open_batch(webhook_id, id) {
                self.close_batch(&earlier, now);
            }
        }
    }
}

/// `event` as a webhook with `config` sends it: alone, or as a batch of one
/// (a preview shows the shape the webhook sends).
pub(super) fn shaped<'a>(config: &WebhookConfig, event: &'a Event) -> Payload<'a> {
    match config.batch {
        Some(_) => Payload::Batch { id: &event.id, events: std::slice::from_ref(event) },
        None => Payload::Event(event),
    }
}
