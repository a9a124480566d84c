//! The rules that cross the engine's parts, in the order they apply. Each
//! part decides what is its own: a delivery records its attempt
//! ([`super::Attempt::record`]), a webhook counts its failures and its runs
//! of 429 ([`super::health`]), the deliveries know what is in flight and
//! what storage has ([`super::deliveries`]). What one part's change does to
//! another is written here, each chain in one function, top to bottom:
//!
//! 0. **A start from what was stored** ([`Engine::restore`] runs these in
//!    order): an unreadable record is set aside and its key rewritten
//!    ([`Engine::set_aside`]); a webhook whose stored settings do not
//!    parse is turned off and its deliveries cancelled
//!    ([`Engine::disable_invalid_webhooks`]); each delivery meets the rules
//!    sending checks at once ([`Engine::settle_restored`]).
//! 1. **An attempt ends** ([`Engine::finish_attempt`]): its outcome is
//!    recorded; offline, it waits for the network uncounted; otherwise the
//!    webhook's run of 429s and its stats are counted, then the delivery is
//!    done, retried (held if its webhook was turned off meanwhile), failed,
//!    or, on a 410, the webhook is gone ([`Engine::gone`]).
//! 2. **A webhook is gone** ([`Engine::gone`]): turned off without holding,
//!    the delivery failed, everything it had cancelled, the user told.
//! 3. **A delivery ends** ([`Engine::finish`]): it is logged, the caller
//!    waiting for it told, and, unless it is a Test, its webhook's health
//!    counts it ([`Engine::record_health`]).
//! 4. **A delivery fails** ([`Engine::record_health`]): the failure is
//!    counted, the user told the webhook is failing (once a run), a
//!    "turned off" notice owed is shown, the badge counts it, and at
//!    `autoDisableAfter` failures the webhook is turned off
//!    ([`Engine::auto_disable`]). Six hours of nothing but 429 answers does
//!    the same ([`Engine::record_throttle`]).
//! 5. **AutoHook turns a webhook off** ([`Engine::auto_disable`]): its open
//!    batch is closed, its waiting deliveries are held, the user is told.
//! 6. **The user turns it on or off again** ([`Engine::settle_health`]):
//!    off by hand, everything it had is cancelled; on again, its held
//!    events are delivered or discarded.
//! 7. **A receiver's reply** ([`Engine::act_on_reply`]): acted on only for a
//!    2xx to a delivery that is not a Test and whose event no acted-on
//!    reply caused (the loop rule); a campaign control is obeyed at most
//!    once per interval, a resume is that reply's until the user steps in,
//!    and what the chain sets off notifies at most
//!    [`super::REPLY_NOTIFICATIONS_PER_HOUR`] times an hour
//!    ([`Engine::notify`]).
//! 8. **The campaign raises events** ([`Engine::raise`]): a control, a
//!    tick of its schedule, a send it cannot make or what became of a
//!    send; each event is delivered like any other, and a pause on an
//!    error or the day's limit notifies, with the cause the campaign gives
//!    them (a reply's, after a resume it obeyed, see
//!    [`crate::campaign::Campaign::cause_of_send`]).
//!
//! Two chains keep their own files, as each is long and about one thing:
//!
//! 9. **An event is raised** (`emit_caused` in `mod.rs`): each subscribed
//!    webhook's filters may skip it; a webhook AutoHook turned off holds
//!    it (up to [`super::MAX_HELD_PER_WEBHOOK`], past which it is dropped
//!    and logged) and shows a "turned off" notice still owed; a webhook
//!    over its share of a full outbox has it dropped and logged; the rest
//!    go on to chain 10.
//! 10. **An event reaches its webhooks** (`batch.rs`): a batching webhook's
//!     copy joins its open batch (closing it first when the event would
//!     take it past 256 KB), the others are queued at once, after the
//!     outbox makes room for them.
//!
//! Which deliveries a webhook may still be sent, checked again when one is
//! due and at start, is [`refusal`]. Every notification has the cause of
//! the delivery or reply that set it off, so the reply cap applies at any
//! depth of a chain.

use super::alerts::{Notification, NotificationKind};
use super::health::Settled;
use super::replies::{self, Asked};
use super::{
    Control, Delivery, DeliveryState, Engine, EngineError, HeldEvents, Notice, Outcome, Unreadable, Verdict, Webhook, OFFLINE_TEST,
};
use crate::campaign::{CampaignError, QueuedReply, SendCommand};
use crate::event::{Cause, Event, EventKind, MessageSource, OwnData};
use crate::redact::Redactor;
use crate::time::Millis;

impl Engine {
    // ----- 0. a start from what was stored -----

    /// Moves a record this load could not read aside
    /// ([`SetAside::add`](super::recovery::SetAside::add)), and has its
    /// original key rewritten with what was readable (or removed).
    pub(super) fn set_aside(&mut self, record: Unreadable) {
        if let Some(key) = record.origin_key() {
            self.rewrite(key);
        }
        self.set_aside.add(record);
    }

    /// Stored webhooks were parsed with the rules new input meets; one that
    /// did not parse is turned off with the reason
    /// ([`Webhooks::disable_invalid`](super::webhooks::Webhooks::disable_invalid)),
    /// and its queued deliveries are cancelled.
    pub(super) fn disable_invalid_webhooks(&mut self, now: Millis) {
        for id in self.webhooks.disable_invalid() {
            self.cancel_pending(&id, "webhook was turned off: its stored settings are invalid", now);
        }
    }

    /// Restored deliveries meet the rules sending checks ([`refusal`]) at
    /// once, held and open ones too, which are not in line to be sent:
    /// one whose webhook is gone (its record was unreadable) or off is
    /// cancelled, one whose webhook AutoHook turned off is held. One held
    /// for a webhook that holds nothing (its record written back from
    /// before the webhook was turned off) is put back in line: it would
    /// otherwise wait for a turn-on that never comes.
    pub(super) fn settle_restored(&mut self, now: Millis) {
        let ids: Vec<String> = self.deliveries.outbox().iter().map(|d| d.id.clone()).collect();
        for id in ids {
            let Some(delivery) = self.deliveries.outbox().get(&id) else { continue };
            if let Some(refusal) = refusal(&self.webhooks, delivery) {
                self.refuse(&id, refusal, now);
                continue;
            }
            let holds = self.webhooks.iter().any(|w| w.id == delivery.webhook_id && w.health.auto_disabled);
            if delivery.state == DeliveryState::Held && !holds {
                if let Some(delivery) = self.deliveries.edit(&id) {
                    delivery.state = DeliveryState::Pending;
                }
                self.deliveries.queue(&id);
            }
        }
    }

    // ----- 1. an attempt ends -----

    /// Records the outcome of the outbox entry's last attempt and decides
    /// what comes next: done, retry later, or failed.
    pub(super) fn finish_attempt(&mut self, id: &str, outcome: Outcome, now: Millis) {
        let Some(delivery) = self.deliveries.edit(id) else { return };
        let cause = delivery.cause().clone();
        let webhook_index = self.webhooks.iter().position(|w| w.id == delivery.webhook_id);
        let timeout_ms = webhook_index.and_then(|i| self.webhooks[i].config.valid().ok()).map_or(0, |c| c.timeout_ms);
        let Some(attempt) = delivery.last_attempt_mut() else { return };
        let duration = attempt.record(&outcome, timeout_ms, now);
        let error = attempt.error.clone();
        let retries_done = delivery.attempts_counted().saturating_sub(1);
        let test = delivery.test;
        let Some(webhook_index) = webhook_index else { return };
        let holds = self.holds_events(webhook_index);
        let verdict = outcome.verdict(now);
        let webhook_id = self.webhooks[webhook_index].id.clone();
        match verdict {
            Verdict::Success => self.webhooks.attempt_answered(&webhook_id, false),
            Verdict::Offline => {}
            Verdict::Retry(_) | Verdict::Fail | Verdict::Gone => self.webhooks.attempt_answered(&webhook_id, true),
        }
        if verdict == Verdict::Offline {
            // Nothing reached the receiver: try again once the browser is
            // back online, without counting this attempt or its duration
            // (a Test, whose caller waits, ends here), held if its webhook
            // was turned off meanwhile.
            self.online = false;
            if test {
                self.finish(id, DeliveryState::Failed, Some(OFFLINE_TEST.into()), now);
                return;
            }
            if let Some(delivery) = self.deliveries.edit(id).filter(|_| holds) {
                delivery.state = DeliveryState::Held;
            }
            self.deliveries.queue(id);
            return;
        }
        if !test {
            self.record_throttle(webhook_index, outcome.status(), &cause, now);
        }
        let holds = holds || self.holds_events(webhook_index);
        let webhook = &mut self.webhooks.edit()[webhook_index];
        webhook.stats.record_attempt(duration, outcome.status());
        let schedule = webhook.config.valid().map_or(&[][..], |c| &c.retry_schedule);
        match verdict {
            Verdict::Success => {
                webhook.stats.successes += 1;
                self.finish(id, DeliveryState::Delivered, None, now);
            }
            Verdict::Retry(after) if !test && retries_done < schedule.len() => {
                let delay = schedule[retries_done].max(after.unwrap_or(0));
                if let Some(delivery) = self.deliveries.edit(id) {
                    delivery.next_at = now.plus(delay);
                    // Turned off by its failures meanwhile: the retry waits with its events.
                    if holds {
                        delivery.state = DeliveryState::Held;
                    }
                }
                self.deliveries.queue(id);
            }
            Verdict::Retry(_) | Verdict::Fail | Verdict::Offline => {
                webhook.stats.failures += 1;
                self.finish(id, DeliveryState::Failed, error, now);
            }
            Verdict::Gone => {
                webhook.stats.failures += 1;
                self.gone(webhook_index, id, &cause, now);
            }
        }
    }

    // ----- 2. a webhook is gone -----

    /// The receiver of the webhook at `index` answered delivery `id` (of
    /// `cause`) with 410 Gone: the webhook is turned off, not holding its
    /// events (nothing will take them), the delivery fails, everything
    /// else it had is cancelled, and the user is told it was turned off.
    fn gone(&mut self, index: usize, id: &str, cause: &Cause, now: Millis) {
        let reason = "the receiver answered 410 Gone".to_string();
        let webhook = &mut self.webhooks.edit()[index];
        let was_enabled = webhook.config.enabled();
        webhook.turn_off_by_autohook(reason.clone(), false, now);
        let webhook_id = webhook.id.clone();
        self.finish(id, DeliveryState::Failed, Some(reason), now);
        self.cancel_pending(&webhook_id, "webhook was turned off: the receiver answered 410 Gone", now);
        if was_enabled {
            self.notify(NotificationKind::Disabled, Some(index), None, cause, now);
        }
    }

    // ----- 3. a delivery ends -----

    /// Ends delivery `id` as `state` for `reason`: logged, its caller told,
    /// and counted in its webhook's health unless it is a Test.
    pub(super) fn finish(&mut self, id: &str, state: DeliveryState, reason: Option<String>, now: Millis) {
        let Some(delivery) = self.deliveries.finish(id, state, reason, now) else { return };
        self.alerts.tell(Notice::Finished { delivery_id: delivery.id.clone() });
        let health = (!delivery.test).then(|| (delivery.webhook_id.clone(), delivery.reason.clone(), delivery.cause().clone()));
        if let Some((webhook_id, reason, cause)) = health {
            self.record_health(&webhook_id, state, reason.as_deref(), &cause, now);
        }
    }

    /// Cancels every unfinished delivery of `webhook_id` for `reason`.
    pub(super) fn cancel_pending(&mut self, webhook_id: &str, reason: &str, now: Millis) {
        for id in self.deliveries.outbox().ids_of(webhook_id) {
            self.finish(&id, DeliveryState::Cancelled, Some(reason.to_string()), now);
        }
    }

    /// Keeps delivery `id` from being sent, as `refusal` says.
    pub(super) fn refuse(&mut self, id: &str, refusal: Refusal, now: Millis) {
        match refusal {
            Refusal::Hold => {
                if let Some(delivery) = self.deliveries.edit(id) {
                    delivery.state = DeliveryState::Held;
                }
            }
            Refusal::Cancel(reason) => self.finish(id, DeliveryState::Cancelled, Some(reason), now),
        }
    }

    // ----- 4. a delivery fails -----

    /// Updates the health of the webhook a finished, non-Test delivery went
    /// to, and counts a failure for the badge; turns the webhook off once
    /// its run of failures reaches its `autoDisableAfter`. What it notifies
    /// has the delivery's `cause`.
    fn record_health(&mut self, webhook_id: &str, state: DeliveryState, reason: Option<&str>, cause: &Cause, now: Millis) {
        let Some(index) = self.webhooks.iter().position(|w| w.id == webhook_id) else { return };
        match state {
            DeliveryState::Delivered => self.webhooks.edit_if(|webhooks| ((), webhooks[index].health.delivered())),
            DeliveryState::Failed => {
                if self.webhooks.edit()[index].health.failed(reason, now) {
                    let (shown, owed) = self.notify_or_owe(NotificationKind::Failing, index, cause, now);
                    self.webhooks.edit()[index].health.failing_told(shown, owed, now);
                }
                self.notify_owed_disabled(index, cause, now);
                self.alerts.count_failure();
                if let Some(reason) = self.webhooks[index].failures_disable_reason() {
                    self.auto_disable(index, reason, cause, now);
                }
            }
            _ => {}
        }
    }

    /// Notes what a non-Test attempt to the webhook at `index` got, for a
    /// delivery of `cause`: a run of nothing but 429 answers
    /// ([`super::THROTTLED_DISABLE_MS`] long) counts toward auto-disable like
    /// a run of failures, where `autoDisableAfter` is on.
    fn record_throttle(&mut self, index: usize, status: Option<u16>, cause: &Cause, now: Millis) {
        self.webhooks.edit_if(|webhooks| ((), webhooks[index].health.answered(status, now)));
        if let Some(reason) = self.webhooks[index].throttled_disable_reason(now) {
            self.webhooks.edit()[index].health.last_reason = Some("HTTP 429".into());
            self.auto_disable(index, reason, cause, now);
        }
    }

    // ----- 5. AutoHook turns a webhook off -----

    /// Turns the webhook at `index` off after too many failures, the last
    /// a delivery of `cause`, and holds its unfinished deliveries (not
    /// Tests, and not one in flight: its result decides, and a retry is
    /// held then).
    fn auto_disable(&mut self, index: usize, reason: String, cause: &Cause, now: Millis) {
        let webhook = &mut self.webhooks.edit()[index];
        webhook.turn_off_by_autohook(reason, true, now);
        let id = webhook.id.clone();
        // What it gathered while healthy is held like its other events;
        // what comes now gathers in a new batch.
        if let Some(batch) = self.deliveries.open_batch(&id) {
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

    // ----- 6. the user turns a webhook on or off -----

    /// After a change of the webhook at `index` that asked for `enabled`
    /// (`None`: left as it was): turned on, it forgets AutoHook's disable
    /// and its run of failures, and its held events are delivered or
    /// discarded as `held` says; turned off by the user, it stops holding
    /// and its held events are cancelled like any unfinished delivery.
    pub(super) fn settle_health(&mut self, index: usize, enabled: Option<bool>, held: HeldEvents, now: Millis) {
        let webhook = &mut self.webhooks.edit()[index];
        let id = webhook.id.clone();
        match webhook.settle_health(enabled) {
            Settled::Unchanged => return,
            // Off by the user's hand now: it receives nothing, as any webhook
            // turned off, so everything unfinished is cancelled, an attempt
            // in flight included (its retry would otherwise go out).
            Settled::TurnedOff => return self.cancel_pending(&id, "webhook was turned off", now),
            Settled::Recovered => {}
        }
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

    // ----- 7. a receiver's reply -----

    /// What the reply `outcome` to delivery `id`'s attempt asks, by its
    /// webhook's settings ([`replies::read_reply`]).
    pub(super) fn read_reply(&self, id: &str, outcome: &Outcome, redactor: &Redactor) -> Option<Result<Asked, String>> {
        let delivery = self.deliveries.outbox().get(id)?;
        let webhook = self.webhooks.iter().find(|w| w.id == delivery.webhook_id)?;
        replies::read_reply(&webhook.config, outcome, redactor)
    }

    /// Acts on what the reply to delivery `id` asked, now that its result
    /// is recorded, and says in its log entry what that did.
    pub(super) fn act_on_reply(&mut self, id: &str, asked: Option<Result<Asked, String>>, now: Millis) {
        let Some(asked) = asked else { return };
        let Some(delivery) = self.deliveries.logged(id) else { return };
        // Events stored before causes were (1.0.0) carry only the message's marker, read when they were.
        let marked = |event: &Event| event.kind == EventKind::MessageSent && event.data.source() == Some(MessageSource::Reply);
        let from_reply = delivery.cause().replier().is_some() || marked(&delivery.event) || delivery.batch.iter().any(marked);
        let replier = delivery.webhook_id.clone();
        let action = match asked {
            _ if delivery.test => "not acted on: replies to Test are only shown".to_string(),
            _ if from_reply => "not acted on: the event was caused by an acted-on reply".to_string(),
            Err(why) => format!("not acted on: {why}"),
            Ok(asked) => self.carry_out(id, &replier, asked, now),
        };
        self.note_reply(id, |entry| *entry = Some(action));
    }

    /// Does what `asked` in the reply to delivery `id` of the webhook
    /// `replier` says, the campaign first (so `resume` with a reply types
    /// it), and words what it did.
    fn carry_out(&mut self, id: &str, replier: &str, asked: Asked, now: Millis) -> String {
        let mut done = Vec::new();
        if let Some(control) = asked.campaign {
            let word = match control {
                Control::Pause => "paused",
                Control::Resume => "resumed",
                Control::Start | Control::Stop => "stopped",
            };
            let obeyed = match self.campaign.reply_control_refused(now) {
                Some(why) => Err(why),
                None => self.control_campaign_caused(control, Cause::Reply(replier.to_string()), now).map_err(|error| error.to_string()),
            };
            done.push(match obeyed {
                Ok(()) => format!("campaign {word}"),
                Err(why) => format!("campaign not {word}: {why}"),
            });
        }
        if let Some(text) = asked.reply {
            let reply = QueuedReply { text, delivery_id: id.to_string(), webhook_id: replier.to_string() };
            done.push(match self.campaign.queue_reply(reply) {
                Ok(()) => "reply queued as the campaign's next message".into(),
                Err(refused) => format!("reply not acted on: {refused}"),
            });
        }
        done.extend(asked.ignored.into_iter().map(|why| format!("ignored: {why}")));
        done.join("; ")
    }

    /// Writes `change` into the reply note of delivery `id`'s log entry.
    /// Once the log is read, if the entry is older than this start.
    fn note_reply(&mut self, id: &str, change: impl FnOnce(&mut Option<String>) + 'static) {
        self.deliveries.edit_logged_when_loaded(id, |delivery| change(&mut delivery.reply_action));
    }

    /// Writes what became of a queued reply into its delivery's log entry.
    fn settle_reply(&mut self) {
        // What became of it is not stored with the campaign: it goes into the log entry.
        if let Some((id, outcome)) = self.campaign.edit_if(|campaign| (campaign.take_settled_reply(), false)) {
            self.note_reply(&id, move |entry| *entry = Some(format!("{}, then {outcome}", entry.as_deref().unwrap_or("reply queued"))));
        }
    }

    // ----- 8. the campaign raises events -----

    /// [`Engine::control_campaign`] for `cause`. A reply's control raises
    /// events of that cause, whose own replies are never acted on, and is
    /// obeyed at most once per interval (see `replies.rs`).
    pub(super) fn control_campaign_caused(&mut self, control: Control, cause: Cause, now: Millis) -> Result<(), EngineError> {
        let raised = self.campaign.try_edit(|campaign| {
            let raised = match control {
                Control::Start => campaign.start(now),
                Control::Pause => campaign.pause(now),
                Control::Resume => campaign.resume(now),
                Control::Stop => campaign.stop(now),
            }?;
            match &cause {
                Cause::Reply(replier) => campaign.reply_control_obeyed(replier, now),
                Cause::Outside => campaign.outside_control(),
            }
            Ok::<_, CampaignError>(raised)
        })?;
        self.raise(raised, cause, now);
        Ok(())
    }

    /// The next text the campaign wants typed, after starting or ending a
    /// scheduled run whose time has come, or pausing for a send it cannot make.
    pub(super) fn poll_campaign_send(&mut self, now: Millis) -> Option<SendCommand> {
        let raised = self.campaign.edit_if(|campaign| campaign.tick(now));
        self.raise(raised, Cause::Outside, now);
        let paused = self.campaign.edit_if(|campaign| {
            let paused = campaign.pause_if_unsendable(now);
            let changed = paused.is_some();
            (paused, changed)
        });
        if let Some((cause, raised)) = paused {
            self.raise(raised, cause, now);
        }
        self.campaign.edit_if(|campaign| {
            let command = campaign.poll_send(now);
            let changed = command.is_some();
            (command, changed)
        })
    }

    /// Delivers the campaign's events, all of `cause`, which their
    /// notifications share. An event the outbox cannot take is logged by
    /// `emit` (too large) or dropped (outbox full: 10,000 events already
    /// wait), never allowed to stop the campaign.
    pub(super) fn raise(&mut self, raised: Vec<OwnData>, cause: Cause, now: Millis) {
        self.settle_reply();
        let raised_kind = |kind: EventKind| raised.iter().any(|data| data.kind() == kind);
        // An error and a pause together: the campaign paused on the error.
        if raised_kind(EventKind::Error) && raised_kind(EventKind::CampaignPaused) {
            self.notify(NotificationKind::CampaignPaused, None, None, &cause, now);
        }
        let limit = raised.iter().find_map(|data| match data {
            OwnData::DailyLimitReached(reached) => Some(reached.limit),
            _ => None,
        });
        if let Some(limit) = limit {
            self.notify(NotificationKind::DailyLimit, None, Some(u64::from(limit)), &cause, now);
        }
        for data in raised {
            let _ = self.emit_caused(data.kind(), data.into(), cause.clone(), now);
        }
    }

    // ----- notifications -----

    /// Queues a notification of `kind` about the webhook at `webhook` (its
    /// last failed attempt's status and failure kind), or the campaign's
    /// daily `limit`, if the user has that kind switched on and, when a
    /// reply set it off (its `cause`), the replying webhook has allowance
    /// left at `now`; whether it did.
    pub(super) fn notify(
        &mut self,
        kind: NotificationKind,
        webhook: Option<usize>,
        limit: Option<u64>,
        cause: &Cause,
        now: Millis,
    ) -> bool {
        if !self.settings.notifications.wants(kind) {
            return false;
        }
        if let Some(replier) = cause.replier() {
            let webhooks = &self.webhooks;
            if !self.alerts.admit(replier, |id| webhooks.iter().any(|w| w.id == id), now) {
                return false;
            }
        }
        let webhook = webhook.map(|index| &self.webhooks[index]);
        let failed = |d: &&Delivery| webhook.is_some_and(|w| d.webhook_id == w.id) && !d.test && d.state == DeliveryState::Failed;
        let last_attempt = self.deliveries.log().iter().rev().find(failed).and_then(|d| d.attempts.last());
        let name = serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let notification = Notification {
            id: format!("{name}:{}:{}", webhook.map_or("", |w| w.id.as_str()), self.ids.next("ntf")),
            kind,
            webhook_id: webhook.map(|w| w.id.clone()),
            webhook_name: webhook.map(|w| w.config.name().to_string()),
            status: last_attempt.and_then(|a| a.status),
            failure: last_attempt.and_then(|a| a.failure),
            consecutive_failures: webhook.map(|w| w.health.consecutive_failures),
            limit,
        };
        self.alerts.tell(Notice::Notify(notification));
        true
    }
}

/// Why a delivery must not go to its webhook.
#[derive(Debug)]
pub(super) enum Refusal {
    /// Its webhook is turned off after failures: it waits with the events
    /// the webhook holds.
    Hold,
    /// It never will: cancelled, with this reason.
    Cancel(String),
}

/// Whether `delivery` may go to its webhook among `webhooks`, by the rules
/// that decide which events a webhook gets: it exists, it is on, and it
/// subscribes to every event the delivery carries; a Test (a delivery of
/// the `test` event) goes to its webhook whatever its switches say.
///
/// Accepting an event applies these rules, and turning a webhook off or
/// deleting it cancels what it had; yet a delivery can outlive them: one
/// restored from a record written before a change or by another writer
/// (storage the background alone should write, but need not be the only
/// one to), a redelivery of a logged event, an event pending when its kind
/// was unsubscribed. Sending checks them again, so none of those reaches
/// a receiver that no longer takes it. Unsubscribing cancels rather than
/// sends: the user said the webhook no longer wants that event, as turning
/// it off says it wants none, and a forged record must not be able to
/// pass as one accepted before the change.
pub(super) fn refusal(webhooks: &[Webhook], delivery: &Delivery) -> Option<Refusal> {
    let Some(webhook) = webhooks.iter().find(|w| w.id == delivery.webhook_id) else {
        return Some(Refusal::Cancel("its webhook could not be read from storage".into()));
    };
    let mut kinds = std::iter::once(delivery.event.kind).chain(delivery.batch.iter().map(|event| event.kind));
    if delivery.test && kinds.clone().all(|kind| kind == EventKind::Test) {
        return None;
    }
    if webhook.health.auto_disabled {
        return (delivery.state == DeliveryState::Pending).then_some(Refusal::Hold);
    }
    if !webhook.config.enabled() {
        return Some(Refusal::Cancel("its webhook is turned off".into()));
    }
    let unwanted = kinds.find(|&kind| !webhook.config.valid().is_ok_and(|config| config.wants(kind)))?;
    Some(Refusal::Cancel(format!("its webhook does not subscribe to {}", unwanted.as_str())))
}
