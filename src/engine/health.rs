//! Endpoint health: how a webhook's deliveries have been going, and when
//! AutoHook stops calling a receiver that keeps failing. Decided from
//! finished deliveries alone (Tests do not count: they are the user's own
//! probe), stored with the webhook, shown on its card and in the badge.
//!
//! After `autoDisableAfter` failed deliveries in a row the webhook is
//! turned off and its events are *held* in the outbox rather than dropped:
//! turning it on again delivers them (or discards them, if the user says
//! so). Svix and GitLab stop calling such endpoints too; neither can keep
//! the events for the user, which an outbox in the browser can.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::alerts::NotificationKind;
use super::{Delivery, DeliveryState, Engine};
use crate::event::Cause;
use crate::time::Millis;

/// A webhook's run of failures and whether AutoHook turned it off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Health {
    /// Failed deliveries since the last one that succeeded.
    pub consecutive_failures: u32,
    /// When the current run of failures began.
    pub failing_since: Option<Millis>,
    /// The last failed delivery's reason, as the log words it.
    pub last_reason: Option<String>,
    /// When AutoHook turned the webhook off (too many failures, or 410 Gone).
    pub disabled_at: Option<Millis>,
    /// Turned off after too many failures: its events are held.
    pub auto_disabled: bool,
    /// When the user was last told it started failing: at most once per
    /// [`FAILING_NOTICE_EVERY_MS`], so a flapping receiver is one tap on the
    /// shoulder, not one per delivery.
    pub notified_failing_at: Option<Millis>,
    /// The current run of failures is not yet told of, though the user
    /// wants to be: the cap on what replies set off (see `alerts.rs`)
    /// dropped the notice of its first failure, a reply's. The next failure
    /// of the run that the cap allows (the user's own always is) tells it,
    /// [`FAILING_NOTICE_EVERY_MS`] still holding; without this, such a
    /// first failure silenced the user's own later ones until the webhook
    /// recovered. (A run that began within that throttle is owed nothing:
    /// a flapping receiver is still one notice.)
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub failing_notice_owed: bool,
    /// AutoHook turned the webhook off, and the cap dropped the notice
    /// that said so: it is shown at the webhook's next failure or held
    /// event the cap allows (the user's own always can), or else the user
    /// might never learn their events are being held.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disabled_notice_owed: bool,
    /// Since when every answer has been 429 Too Many Requests: a receiver
    /// that throttles forever is turned off after [`THROTTLED_DISABLE_MS`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttled_since: Option<Millis>,
    /// The last of those answers: a run with a gap of more than
    /// [`THROTTLED_GAP_MS`] (a quiet day, a sleeping laptop) starts again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttled_at: Option<Millis>,
}

/// Least time between two "started failing" notifications for a webhook.
pub const FAILING_NOTICE_EVERY_MS: u64 = 10 * 60_000;

/// How long a webhook whose receiver answers nothing but 429 stays on: six
/// hours. A 429 is retried after its Retry-After (at most an hour), so a
/// receiver that keeps answering 429 with an hour's wait fails a delivery
/// only after its retries run out, and with few events it might never reach
/// `autoDisableAfter`, while its deliveries fill the outbox. Six hours of
/// nothing else is a receiver that is not coming back soon, yet longer
/// than any service's published rate-limit window we know of.
pub const THROTTLED_DISABLE_MS: u64 = 6 * 3_600_000;

/// The longest gap between two 429 answers of one run: a 429 is retried
/// after at most an hour (its Retry-After, capped), so a receiver that
/// keeps answering 429 answers again within that, plus slack.
pub const THROTTLED_GAP_MS: u64 = 2 * 3_600_000;

/// What to do with an auto-disabled webhook's held events when it is
/// turned on again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HeldEvents {
    /// Send them, oldest first (the default: nothing is lost).
    #[default]
    Deliver,
    /// Cancel them.
    Discard,
}

impl Health {
    /// `healthy`, `failing` or `disabled` (turned off by AutoHook).
    fn state(&self) -> &'static str {
        if self.disabled_at.is_some() {
            "disabled"
        } else if self.consecutive_failures > 0 {
            "failing"
        } else {
            "healthy"
        }
    }

    /// The webhook view's `health`, with the number of its held deliveries.
    pub fn view(&self, held: usize) -> Value {
        json!({
            "state": self.state(), "consecutiveFailures": self.consecutive_failures, "failingSince": self.failing_since,
            "lastReason": self.last_reason, "disabledAt": self.disabled_at, "autoDisabled": self.auto_disabled, "held": held,
        })
    }

    /// Forgets the run of failures and AutoHook's disable: the user turned
    /// the webhook on again, or a delivery succeeded.
    fn recovered(&mut self) {
        let notified = self.notified_failing_at;
        *self = Health { notified_failing_at: notified, ..Health::default() };
    }
}

impl Engine {
    /// Updates the health of the webhook a finished, non-Test delivery went
    /// to, and counts a failure for the badge; turns the webhook off once
    /// its run of failures reaches its `autoDisableAfter`. What it notifies
    /// has the delivery's `cause`.
    pub(super) fn record_health(&mut self, webhook_id: &str, state: DeliveryState, reason: Option<&str>, cause: &Cause, now: Millis) {
        let Some(index) = self.webhooks.iter().position(|w| w.id == webhook_id) else { return };
        let health = &self.webhooks[index].health;
        match state {
            DeliveryState::Delivered if health.consecutive_failures > 0 && !health.auto_disabled => {
                let health = &mut self.webhooks.edit()[index].health;
                health.consecutive_failures = 0;
                health.failing_since = None;
                health.failing_notice_owed = false;
            }
            DeliveryState::Failed => {
                let health = &mut self.webhooks.edit()[index].health;
                health.consecutive_failures = health.consecutive_failures.saturating_add(1);
                health.failing_since.get_or_insert(now);
                health.last_reason = reason.map(str::to_string);
                let quiet = health.notified_failing_at.is_some_and(|at| at.plus(FAILING_NOTICE_EVERY_MS) > now);
                let tell = (health.consecutive_failures == 1 || health.failing_notice_owed) && !quiet;
                if tell {
                    let (shown, owed) = self.notify_or_owe(NotificationKind::Failing, index, cause, now);
                    let health = &mut self.webhooks.edit()[index].health;
                    if shown {
                        health.notified_failing_at = Some(now);
                    }
                    health.failing_notice_owed = owed;
                }
                self.notify_owed_disabled(index, cause, now);
                self.count_unseen_failure();
                let webhook = &self.webhooks[index];
                let limit = webhook.config.valid().map_or(0, |c| c.auto_disable_after);
                if limit > 0 && webhook.health.consecutive_failures >= limit && webhook.config.enabled() {
                    let failures = webhook.health.consecutive_failures;
                    let last = webhook.health.last_reason.clone().unwrap_or_default();
                    let reason =
                        format!("{failures} deliveries in a row failed (the last: {last}); its events are held until it is on again");
                    self.auto_disable(index, reason, cause, now);
                }
            }
            _ => {}
        }
    }

    /// Notes what a non-Test attempt to the webhook at `index` got, for a
    /// delivery of `cause`: a run of nothing but 429 answers
    /// ([`THROTTLED_DISABLE_MS`] long) counts toward auto-disable like a run
    /// of failures, where `autoDisableAfter` is on.
    pub(super) fn record_throttle(&mut self, index: usize, status: Option<u16>, cause: &Cause, now: Millis) {
        if status != Some(429) {
            if self.webhooks[index].health.throttled_since.is_some() {
                let health = &mut self.webhooks.edit()[index].health;
                (health.throttled_since, health.throttled_at) = (None, None);
            }
            return;
        }
        let health = &mut self.webhooks.edit()[index].health;
        if health.throttled_at.is_none_or(|at| at > now || now.since(at) > THROTTLED_GAP_MS) {
            health.throttled_since = Some(now);
        }
        health.throttled_at = Some(now);
        let since = health.throttled_since.unwrap_or(now);
        let webhook = &self.webhooks[index];
        let on = webhook.config.valid().is_ok_and(|c| c.auto_disable_after > 0) && webhook.config.enabled();
        if on && now.since(since) >= THROTTLED_DISABLE_MS {
            let reason = format!(
                "its receiver answered nothing but 429 Too Many Requests for {} hours; its events are held until it is on again",
                THROTTLED_DISABLE_MS / 3_600_000
            );
            self.webhooks.edit()[index].health.last_reason = Some("HTTP 429".into());
            self.auto_disable(index, reason, cause, now);
        }
    }

    /// Turns the webhook at `index` off after too many failures, the last
    /// a delivery of `cause`, and holds its unfinished deliveries (not
    /// Tests, and not one in flight: its result decides, and a retry is
    /// held then).
    fn auto_disable(&mut self, index: usize, reason: String, cause: &Cause, now: Millis) {
        let webhook = &mut self.webhooks.edit()[index];
        webhook.config.disable();
        webhook.disabled_reason = Some(reason);
        webhook.health.auto_disabled = true;
        webhook.health.disabled_at = Some(now);
        let id = webhook.id.clone();
        // What it gathered while healthy is held like its other events;
        // what comes now gathers in a new batch.
        if let Some(batch) = self.open_batch(&id) {
            self.close_batch(&batch, now);
        }
        // Pending, not Tests, not in flight.
        let in_flight: Vec<&str> = self.deliveries.in_flight_ids().collect();
        let waiting: Vec<String> = self
            .deliveries
            .outbox()
            .iter()
            .filter(|d| d.webhook_id == id && !d.test && d.state == DeliveryState::Pending && !in_flight.contains(&d.id.as_str()))
            .map(|d| d.id.clone())
            .collect();
        for delivery_id in waiting {
            if let Some(delivery) = self.deliveries.edit(&delivery_id) {
                delivery.state = DeliveryState::Held;
            }
        }
        let (_, owed) = self.notify_or_owe(NotificationKind::Disabled, index, cause, now);
        self.webhooks.edit()[index].health.disabled_notice_owed = owed;
    }

    /// Shows the "turned off" notice of the webhook at `index` that the
    /// cap dropped, if one is owed and the cap lets `cause` show it at `now`
    /// (an outside cause always can): at a failure or an event held.
    pub(super) fn notify_owed_disabled(&mut self, index: usize, cause: &Cause, now: Millis) {
        if !self.webhooks[index].health.disabled_notice_owed {
            return;
        }
        let (_, owed) = self.notify_or_owe(NotificationKind::Disabled, index, cause, now);
        self.webhooks.edit()[index].health.disabled_notice_owed = owed;
    }

    /// Notifies `kind` about the webhook at `index`, for `cause`: whether it
    /// was shown, and whether it is owed still (the user wants it, and the
    /// cap on what replies set off dropped it).
    fn notify_or_owe(&mut self, kind: NotificationKind, index: usize, cause: &Cause, now: Millis) -> (bool, bool) {
        let wanted = self.settings.notifications.wants(kind);
        let shown = self.notify(kind, Some(index), None, cause, now);
        (shown, wanted && !shown)
    }

    /// Whether the webhook at `index` holds its events (auto-disabled).
    pub(super) fn holds_events(&self, index: usize) -> bool {
        self.webhooks[index].health.auto_disabled
    }

    /// How many deliveries are held for `webhook_id`.
    pub fn held_count(&self, webhook_id: &str) -> usize {
        self.deliveries.outbox().iter().filter(|d| d.webhook_id == webhook_id && d.state == DeliveryState::Held).count()
    }

    /// After a change of the webhook at `index` that asked for `enabled`
    /// (`None`: left as it was): turned on, it forgets AutoHook's disable
    /// and its run of failures, and its held events are delivered or
    /// discarded as `held` says; turned off by the user, it stops holding
    /// and its held events are cancelled like any unfinished delivery.
    pub(super) fn settle_health(&mut self, index: usize, enabled: Option<bool>, held: HeldEvents, now: Millis) {
        let webhook = &mut self.webhooks.edit()[index];
        let id = webhook.id.clone();
        // A change by the user (another URL, turned on again) starts any run of 429s anew.
        (webhook.health.throttled_since, webhook.health.throttled_at) = (None, None);
        if enabled == Some(false) && webhook.health.auto_disabled {
            // Off by the user's hand now: it receives nothing, as any webhook
            // turned off, so everything unfinished is cancelled, an attempt
            // in flight included (its retry would otherwise go out).
            webhook.health.auto_disabled = false;
            webhook.health.disabled_at = None;
            webhook.health.disabled_notice_owed = false;
            webhook.disabled_reason = None;
            return self.cancel_pending(&id, "webhook was turned off", now);
        }
        if !webhook.config.enabled() || webhook.health.disabled_at.is_none() {
            return;
        }
        webhook.health.recovered();
        // Discarding also drops the batch that was gathering events while it was off.
        let gathered = |d: &&Delivery| d.state == DeliveryState::Held || (held == HeldEvents::Discard && d.state == DeliveryState::Open);
        let held_ids: Vec<String> =
            self.deliveries.outbox().iter().filter(|d| d.webhook_id == id).filter(gathered).map(|d| d.id.clone()).collect();
        for delivery_id in held_ids {
            match held {
                HeldEvents::Deliver => {
                    if let Some(delivery) = self.deliveries.edit(&delivery_id) {
                        delivery.state = DeliveryState::Pending;
                        delivery.next_at = now;
                    }
                    // One not yet in storage is queued when its write lands.
                    if !self.deliveries.awaits_write(&delivery_id) {
                        self.deliveries.queue(&delivery_id);
                    }
                }
                HeldEvents::Discard => {
                    let reason = "discarded: the webhook was turned on again without its held events".to_string();
                    self.finish(&delivery_id, DeliveryState::Cancelled, Some(reason), now);
                }
            }
        }
    }

    /// Whether the webhook at `index` holds its events and has
    /// [`super::MAX_HELD_PER_WEBHOOK`] of them already.
    pub(super) fn hold_is_full(&self, index: usize) -> bool {
        self.holds_events(index) && self.held_count(&self.webhooks[index].id) >= super::MAX_HELD_PER_WEBHOOK
    }
}
