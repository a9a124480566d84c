//! The delivery engine: a sans-IO state machine in the manner of
//! quinn-proto. It never reads the clock, never awaits and never touches the
//! network or storage.
//!
//! - Commands change configuration or raise events (`create_webhook`,
//!   `emit`, `test`, `redeliver`, …); each takes the current time.
//! - [`Engine::handle_response`] and [`Engine::campaign_sent`] feed back
//!   what a request or a typed message came to.
//! - [`Engine::poll`] yields the next [`Output`], in this order: every
//!   [`Output::Transmit`] due (a fully signed request), then every
//!   [`Output::Type`] (a campaign message for the chat tab), then every
//!   [`Output::Notice`], and last [`Output::Timeout`]: when to poll again.
//!   The driver calls it until that last one, after every input; that loop
//!   is [`Engine::drive`], which the browser adapter and the test harness
//!   both run, so a scenario test runs what the browser runs.
//! - [`Engine::take_changes`] gives the storage writes to make, and
//!   [`Engine::changes_saved`] / [`Engine::changes_failed`] what became of them.
//!
//! A delivery is in durable storage before its first attempt: `poll` yields
//! no transmit for it until the driver reports the batch of writes holding
//! it done ([`Engine::changes_saved`]). Everything else (attempt results,
//! stats, the log) is written after the fact, in batches.
//!
//! The engine is a few parts, each owning its state and the storage keys it
//! is written under, so a change cannot miss storage ([`stored`]): the
//! deliveries ([`deliveries`]: outbox, log, attempts in flight, what storage
//! has), the webhooks with their health ([`health`]) and previous secrets
//! ([`rotation`]), the campaign with its queued reply ([`campaign`]), the badge
//! and notification cap ([`alerts`]) and the repeat-request cache
//! ([`replies`]). What a change of one part does to another (a failure to
//! a webhook's health, a 410, a receiver's reply to the campaign) is
//! written in one place, in the order it applies: [`rules`].

mod alerts;
mod answers;
mod batch;
mod campaign;
mod deliveries;
mod delivery;
mod health;
mod log;
mod outbox;
mod outbox_pages;
mod recovery;
mod replay;
mod replies;
mod rotation;
mod rules;
mod state;
mod storage;
mod stored;
mod tally;
mod transfer;
mod webhooks;

use std::cell::OnceCell;

use serde_json::Value;
use thiserror::Error;

pub use alerts::{Badge, Notification, NotificationKind, NotificationSwitches, SwitchesInput, REPLY_NOTIFICATIONS_PER_HOUR};
pub use answers::{Answer, MAX_REQUEST_ID_CHARS};
pub use campaign::Control;
pub use delivery::{Attempt, Delivery, DeliveryState, Failure, LoggedRequest, Outcome, Verdict, LOGGED_RESPONSE_BYTES};
pub use health::{HeldEvents, FAILING_NOTICE_EVERY_MS, THROTTLED_DISABLE_MS};
pub use replies::{parse_reply, Asked, REPLY_BODY_BYTES};
pub use state::{Changes, GlobalSettings, Key, Sealing, Snapshot, Unreadable, Webhook};
pub use transfer::ImportMode;

use crate::campaign::{Campaign, CampaignError, CampaignInput, Selectors, SendCommand, SendFailure};
use crate::catalog::ErrorCode;
use crate::config::{ConfigError, StoredConfig, WebhookConfig, WebhookInput};
use crate::event::{Cause, Event, EventData, EventKind};
use crate::ids::IdGen;
use crate::redact::Redactors;
use crate::request::{self, HttpRequest, MAX_PAYLOAD_BYTES};
use crate::template::TemplateError;
use crate::time::Millis;
use alerts::Alerts;
use answers::Answers;
use campaign::CampaignPart;
use deliveries::{Deliveries, InFlight};
use recovery::SetAside;
use rules::refusal;
use stored::Stored;
use webhooks::Webhooks;

/// Most webhooks a user can have.
pub const MAX_WEBHOOKS: usize = 10;
/// Finished deliveries kept in the log.
pub const LOG_CAPACITY: usize = 500;
/// Most unfinished deliveries; past this, events are refused, not dropped.
/// Each webhook may hold an equal share of them ([`Engine::outbox_share`]).
pub const MAX_OUTBOX: usize = 10_000;
/// Most attempts in flight at once, so queued fetches do not eat their own
/// timeouts waiting for a connection.
pub const MAX_IN_FLIGHT: usize = 32;
/// Why a Test fails while the browser is offline.
const OFFLINE_TEST: &str = "not sent: the browser is offline";
/// Most events held for one auto-disabled webhook: past it, its events are
/// logged as dropped, so one dead endpoint cannot fill the outbox that every
/// other webhook's events need.
pub const MAX_HELD_PER_WEBHOOK: usize = 1_000;
/// While the browser is offline and deliveries are due, how often the
/// driver is asked to look again (it reads `navigator.onLine` each time).
pub const OFFLINE_PROBE_MS: u64 = 5_000;

/// Why a command was refused. Nothing changed when one is returned.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EngineError {
    /// The webhook input is invalid.
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// The eleventh webhook.
    #[error("at most {MAX_WEBHOOKS} webhooks; delete one to add another")]
    TooManyWebhooks,
    /// No webhook has this id.
    #[error("no webhook has id {0:?}")]
    UnknownWebhook(String),
    /// A request's `webhookId` (the webhook it is limited to) names none.
    #[error("webhookId: no webhook has id {0:?}")]
    UnknownWebhookFilter(String),
    /// No delivery has this id (it may have left the log).
    #[error("no delivery has id {0:?}")]
    UnknownDelivery(String),
    /// An event name that does not exist, or `test` through `emit`.
    #[error("{0:?} is not an event that can be emitted")]
    UnknownEvent(String),
    /// The body or query would exceed 256 KB.
    #[error("payload is {0} bytes; the limit is {MAX_PAYLOAD_BYTES} bytes")]
    PayloadTooLarge(usize),
    /// The outbox is full.
    #[error("the outbox already holds {MAX_OUTBOX} undelivered events")]
    OutboxFull,
    /// A template cannot render this event.
    #[error("template cannot render this event: {0}")]
    Template(#[from] TemplateError),
    /// A campaign request was refused.
    #[error(transparent)]
    Campaign(#[from] CampaignError),
}

impl EngineError {
    /// A stable code the UI can switch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            EngineError::Invalid(_) => ErrorCode::InvalidInput,
            EngineError::TooManyWebhooks => ErrorCode::TooManyWebhooks,
            EngineError::UnknownWebhook(_) | EngineError::UnknownWebhookFilter(_) => ErrorCode::UnknownWebhook,
            EngineError::UnknownDelivery(_) => ErrorCode::UnknownDelivery,
            EngineError::UnknownEvent(_) => ErrorCode::UnknownEvent,
            EngineError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            EngineError::OutboxFull => ErrorCode::OutboxFull,
            EngineError::Template(_) => ErrorCode::TemplateFailed,
            EngineError::Campaign(error) => error.code(),
        }
    }

    /// The request field the error is about, if one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            EngineError::Invalid(error) => Some(error.field()),
            EngineError::UnknownWebhook(_) | EngineError::UnknownDelivery(_) => Some("id"),
            EngineError::UnknownWebhookFilter(_) => Some("webhookId"),
            EngineError::UnknownEvent(_) => Some("event"),
            EngineError::Campaign(error) => error.field(),
            _ => None,
        }
    }
}

/// Identifies one attempt in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttemptId(pub u64);

/// A request to send now.
#[derive(Clone, Debug, PartialEq)]
pub struct Transmit {
    /// Pass back to [`Engine::handle_response`].
    pub attempt: AttemptId,
    /// The delivery it belongs to.
    pub delivery_id: String,
    /// The signed request.
    pub request: HttpRequest,
    /// Abort the attempt after this long and report [`Outcome::Timeout`].
    pub timeout_ms: u64,
    /// How much of the response body to read: the part the log keeps, and
    /// far enough past it that a credential the receiver echoes across the
    /// cut is still found and scrubbed whole. Bounded by the field limits
    /// (the longest credential, encoded), so never the whole of a large body.
    pub response_bytes: usize,
}

/// What the driver does next: one step of [`Engine::poll`]'s drain.
#[derive(Clone, Debug, PartialEq)]
#[must_use = "an output is work the driver must do (or a wake-up to arm)"]
pub enum Output {
    /// Send this request, then feed back what came of it with
    /// [`Engine::handle_response`].
    Transmit(Transmit),
    /// Have the chat tab type and send this, then feed back what came of it
    /// with [`Engine::campaign_sent`].
    Type(SendCommand),
    /// Tell whoever waits.
    Notice(Notice),
    /// Read the log's records and hand them over with
    /// [`Engine::load_log`] (or say the read failed with
    /// [`Engine::log_not_loaded`]): something was logged, and the log must
    /// be trimmed with what is stored. Asked once.
    LoadLog,
    /// Nothing more is due now: poll again at this time, or, if `None`,
    /// only after the next input. Always the last output of a drain.
    Timeout(Option<Millis>),
}

/// The driver's side of [`Engine::drive`]: where each output goes. Each
/// method only starts work (a fetch, a message to a tab) or records it:
/// results come back later as inputs, never from inside the drain.
pub trait Driver {
    /// Start sending the request.
    fn transmit(&mut self, transmit: Transmit);
    /// Start typing the campaign's message.
    fn type_message(&mut self, command: SendCommand);
    /// Tell whoever waits.
    fn notice(&mut self, notice: Notice);
    /// Start reading the log (see [`Output::LoadLog`]).
    fn load_log(&mut self);
    /// Arm the wake-up (or disarm it, for `None`).
    fn wake_at(&mut self, at: Option<Millis>);
}

/// Something the driver may want to tell waiting callers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A delivery reached a final state.
    Finished {
        /// Its id.
        delivery_id: String,
    },
    /// Show this on the toolbar badge (sent when it changes, and first
    /// after every start).
    Badge(Badge),
    /// Show this notification.
    Notify(Notification),
}

/// The state machine. See the module docs for the contract.
#[derive(Debug)]
pub struct Engine {
    settings: Stored<GlobalSettings>,
    webhooks: Webhooks,
    deliveries: Deliveries,
    ids: IdGen,
    /// The number of the last batch `take_changes` handed out.
    batch: u64,
    campaign: CampaignPart,
    answers: Stored<Answers>,
    /// Records that could not be read, set aside by name (`unreadable/<name>`).
    set_aside: SetAside,
    alerts: Alerts,
    /// Whether the browser is online, as the driver last said: offline, no
    /// attempt starts (it could only fail and spend a retry).
    online: bool,
    /// The redactors of recent requests, to reuse for a webhook's next.
    redactors: Redactors,
}

impl Engine {
    /// An engine with nothing configured. `seed` must be fresh random bytes.
    pub fn new(seed: [u8; 16]) -> Engine {
        Engine::restore(Snapshot::default(), seed, Millis(0))
    }

    /// An engine continuing from stored state. Attempts that were in flight
    /// when the previous engine stopped count as interrupted and follow the
    /// retry rules, so nothing in the outbox is lost.
    pub fn restore(snapshot: Snapshot, seed: [u8; 16], now: Millis) -> Engine {
        let log = (snapshot.log_pages, snapshot.log_unread);
        let outbox = (snapshot.outbox, snapshot.outbox_pages, snapshot.legacy);
        let (deliveries, unfinished) = Deliveries::load(outbox, log, snapshot.misplaced, snapshot.in_flight);
        let mut engine = Engine {
            settings: Stored::new(snapshot.settings),
            webhooks: Webhooks::new(snapshot.webhooks),
            deliveries,
            ids: IdGen::new(seed),
            batch: 0,
            campaign: CampaignPart::new(snapshot.campaign, seed),
            answers: Stored::new(snapshot.answers),
            set_aside: SetAside::new(snapshot.set_aside),
            alerts: Alerts::new(snapshot.unseen, snapshot.notified),
            online: true,
            redactors: Redactors::default(),
        };
        // Found now, so told once: next time they are set aside already.
        if snapshot.unreadable.iter().any(|record| record.unopenable) {
            engine.notify(NotificationKind::RecordsUnopenable, None, None, &Cause::Outside, now);
        }
        for record in snapshot.unreadable {
            engine.set_aside(record);
        }
        for delivery in unfinished {
            if let Some(interrupted) = engine.deliveries.restore(delivery) {
                engine.finish_attempt(&interrupted, Outcome::Interrupted, now);
            }
        }
        engine.disable_invalid_webhooks(now);
        engine.settle_restored(now);
        engine.track_open_batches(now);
        let webhooks = &engine.webhooks;
        engine.alerts.prune(|id| webhooks.iter().any(|w| w.id == id), now);
        engine
    }

    // ----- getters -----

    /// Global settings.
    pub fn settings(&self) -> &GlobalSettings {
        &self.settings
    }

    /// Webhooks in creation order.
    pub fn webhooks(&self) -> &[Webhook] {
        &self.webhooks
    }

    /// The webhook with `id`.
    pub fn webhook(&self, id: &str) -> Result<&Webhook, EngineError> {
        self.webhooks.get(id)
    }

    /// Deliveries, newest first: unfinished, then the log.
    pub fn deliveries(&self) -> impl Iterator<Item = &Delivery> {
        self.deliveries.iter()
    }

    /// The delivery with `id`.
    pub fn delivery(&self, id: &str) -> Result<&Delivery, EngineError> {
        self.deliveries().find(|d| d.id == id).ok_or_else(|| EngineError::UnknownDelivery(id.into()))
    }

    /// The reply already given to request `id`, if it is still kept.
    pub fn remembered_answer(&self, id: &str, now: Millis) -> Option<&Answer> {
        self.answers.get(id, now)
    }

    /// The campaign.
    pub fn campaign(&self) -> &Campaign {
        &self.campaign
    }

    /// The badge as it should be now.
    pub fn badge(&self) -> Badge {
        self.alerts.badge(self.webhooks.holding())
    }

    /// Failed deliveries not yet seen.
    pub fn unseen_failures(&self) -> u64 {
        self.alerts.unseen_failures()
    }

    /// How many deliveries are held for `webhook_id`.
    pub fn held_count(&self, webhook_id: &str) -> usize {
        self.deliveries.outbox().iter().filter(|d| d.webhook_id == webhook_id && d.state == DeliveryState::Held).count()
    }

    /// Records set aside because they could not be read, by name.
    pub fn unreadable(&self) -> impl Iterator<Item = (&str, &Unreadable)> {
        self.set_aside.iter()
    }

    // ----- commands -----

    /// Keeps the reply to request `id`, so a repeat of it is answered
    /// with this rather than run again.
    pub fn remember_answer(&mut self, id: String, reply: Answer, now: Millis) {
        self.answers.edit().remember(id, reply, now);
    }

    /// Adds a webhook.
    pub fn create_webhook(&mut self, input: WebhookInput, now: Millis) -> Result<&Webhook, EngineError> {
        if self.webhooks.len() >= MAX_WEBHOOKS {
            return Err(EngineError::TooManyWebhooks);
        }
        let config = WebhookConfig::create(input)?;
        Ok(self.add_webhook(config, now))
    }

    /// Adds a webhook with settings already valid (creation checked the limit).
    fn add_webhook(&mut self, config: WebhookConfig, now: Millis) -> &Webhook {
        let id = self.ids.next("wh");
        self.webhooks.add(id, config, now)
    }

    /// Changes the fields `input` sets; the result must be valid as a
    /// whole, so stored settings that no longer parse are fixed by the same
    /// change. Turning a webhook off cancels its unfinished deliveries;
    /// turning it on clears an automatic disable.
    pub fn update_webhook(&mut self, id: &str, input: WebhookInput, now: Millis) -> Result<&Webhook, EngineError> {
        self.change_webhook(id, input, HeldEvents::Deliver, now)
    }

    /// Turns a webhook on or off; `held` says what becomes of the events
    /// an auto-disabled webhook holds when it is turned on (see [`health`]).
    pub fn set_webhook_enabled(&mut self, id: &str, enabled: bool, held: HeldEvents, now: Millis) -> Result<&Webhook, EngineError> {
        self.change_webhook(id, WebhookInput { enabled: Some(enabled), ..Default::default() }, held, now)
    }

    fn change_webhook(&mut self, id: &str, input: WebhookInput, held: HeldEvents, now: Millis) -> Result<&Webhook, EngineError> {
        let index = self.webhooks.index(id)?;
        let asked = input.enabled;
        let config = self.webhooks[index].config.apply(input)?;
        self.set_config(index, config, asked, held, now);
        Ok(&self.webhooks[index])
    }

    /// Gives the webhook at `index` new settings, valid as a whole;
    /// `asked` is whether the change asked for it on or off.
    fn set_config(&mut self, index: usize, config: WebhookConfig, asked: Option<bool>, held: HeldEvents, now: Millis) {
        let id = self.webhooks[index].id.clone();
        let batched_before = self.webhooks[index].config.valid().ok().and_then(|c| c.batch);
        self.webhooks.revoke_replaced_secrets(index, &config);
        let was_enabled = self.webhooks[index].config.enabled();
        let webhook = &mut self.webhooks.edit()[index];
        if config.enabled {
            webhook.disabled_reason = None;
        }
        webhook.config = StoredConfig::Valid(config);
        webhook.updated_at = now;
        if was_enabled && !self.webhooks[index].config.enabled() {
            self.cancel_pending(&id, "webhook was turned off", now);
        }
        self.settle_health(index, asked, held, now);
        self.batch_setting_changed(index, batched_before, now);
    }

    /// Removes a webhook and cancels its unfinished deliveries.
    pub fn delete_webhook(&mut self, id: &str, now: Millis) -> Result<(), EngineError> {
        let index = self.webhooks.index(id)?;
        self.webhooks.edit().remove(index);
        self.cancel_pending(id, "webhook was deleted", now);
        Ok(())
    }

    /// Sets the global switch.
    pub fn set_settings(&mut self, settings: GlobalSettings) {
        *self.settings.edit() = settings;
    }

    /// The user opened the log or the popup: the failures so far are seen.
    pub fn mark_seen(&mut self) {
        self.alerts.mark_seen();
    }

    /// Changes the notification switches `input` names.
    pub fn set_notifications(&mut self, input: SwitchesInput) {
        let switches = &mut self.settings.edit().notifications;
        let pairs = [
            (&mut switches.failing, input.failing),
            (&mut switches.disabled, input.disabled),
            (&mut switches.campaign_paused, input.campaign_paused),
            (&mut switches.daily_limit, input.daily_limit),
        ];
        for (switch, value) in pairs {
            if let Some(value) = value {
                *switch = value;
            }
        }
    }

    /// Gives webhook `id` a new secret made from `random` and keeps the one
    /// it replaces signing for `overlap_hours` (default 24); returns the new
    /// secret's text. A webhook without a secret simply gets one. At most
    /// [`rotation::MAX_PREVIOUS_SECRETS`] are kept, the oldest dropped.
    /// Refused, with nothing changed, for an overlap out of range or stored
    /// settings that do not parse for another reason than the secret.
    pub fn rotate_secret(&mut self, id: &str, overlap_hours: Option<f64>, random: &[u8; 32], now: Millis) -> Result<String, EngineError> {
        self.webhooks.rotate_secret(id, overlap_hours, random, now)
    }

    /// Deletes a set-aside record for good; `false` if there is none.
    pub fn delete_unreadable(&mut self, name: &str) -> bool {
        self.set_aside.remove(name)
    }

    /// Zeroes the stats of one webhook, or of all.
    pub fn clear_stats(&mut self, id: Option<&str>) -> Result<(), EngineError> {
        match id {
            Some(id) => {
                let index = self.webhooks.index(id)?;
                self.webhooks.edit()[index].stats = Default::default();
            }
            None => self.webhooks.edit().iter_mut().for_each(|w| w.stats = Default::default()),
        }
        Ok(())
    }

    /// Raises an event: one delivery for each enabled webhook subscribed to
    /// it (held for an auto-disabled one), none while the global switch is
    /// off. Returns the delivery ids.
    pub fn emit(&mut self, name: &str, data: Value, now: Millis) -> Result<Vec<String>, EngineError> {
        let kind = EventKind::parse(name).filter(|k| *k != EventKind::Test).ok_or_else(|| EngineError::UnknownEvent(name.into()))?;
        self.emit_caused(kind, EventData::read(kind, data), Cause::Outside, now)
    }

    /// [`Engine::emit`] for an event of `kind` that `cause` set off.
    pub(super) fn emit_caused(&mut self, kind: EventKind, data: EventData, cause: Cause, now: Millis) -> Result<Vec<String>, EngineError> {
        if !self.settings.enabled {
            return Ok(Vec::new());
        }
        // An auto-disabled webhook still gets its events, held (see `health`).
        let wants = |i: usize| self.webhooks[i].config.valid().is_ok_and(|c| (c.enabled || self.holds_events(i)) && c.wants(kind));
        let subscribed: Vec<usize> = (0..self.webhooks.len()).filter(|&i| wants(i)).collect();
        let share = self.outbox_share(&subscribed);
        let event = Event { id: self.ids.next("msg"), kind, at: now, data, cause };
        // Built for the first webhook with filters: most have none, and
        // building it was 4 % of a burst's instructions for nothing.
        let envelope = OnceCell::new();
        let (mut targets, mut unsent) = (Vec::new(), Vec::new());
        for &index in &subscribed {
            let filters = self.webhooks[index].config.valid().ok().and_then(|config| config.filters.as_ref());
            match filters.and_then(|filters| filters.rejects(envelope.get_or_init(|| event.envelope()))) {
                Some(why) => unsent.push((index, DeliveryState::Skipped, format!("skipped by filter: {why}"))),
                None if self.hold_is_full(index) => {
                    let why = format!("dropped: {MAX_HELD_PER_WEBHOOK} events are already held for this webhook while it is off");
                    unsent.push((index, DeliveryState::Cancelled, why));
                }
                // Over its share of a full outbox that others share too
                // (alone, the event is refused instead, as ever).
                None if share < MAX_OUTBOX
                    && self.deliveries.outbox().len() + subscribed.len() > MAX_OUTBOX
                    && self.deliveries.outbox().count_of(&self.webhooks[index].id) > share =>
                {
                    let why = format!(
                        "dropped: the outbox is full and this webhook holds more than its share of it ({share} undelivered events)"
                    );
                    unsent.push((index, DeliveryState::Cancelled, why));
                }
                None => targets.push(index),
            }
        }
        for (index, state, why) in unsent {
            let mut delivery = self.new_delivery(index, event.clone(), Vec::new(), false, now);
            delivery.state = state;
            delivery.reason = Some(why);
            delivery.finished_at = Some(now);
            self.deliveries.log_finished(delivery);
        }
        // An event held for a webhook AutoHook turned off tells a "turned off" the cap dropped.
        for &index in &targets {
            if self.holds_events(index) {
                self.notify_owed_disabled(index, &event.cause, now);
            }
        }
        self.deliver_or_batch(&targets, event, now)
    }

    /// A webhook's fair share of a full outbox once the webhooks at
    /// `targets` have a delivery in it too ([`Deliveries::outbox_share`]).
    fn outbox_share(&self, targets: &[usize]) -> usize {
        let newcomers = targets.iter().filter(|&&i| self.deliveries.outbox().count_of(&self.webhooks[i].id) == 0).count();
        self.deliveries.outbox_share(newcomers)
    }

    /// Makes room for one new delivery per target in a full outbox by
    /// dropping deliveries of the webhooks over their
    /// [`Engine::outbox_share`] ([`Deliveries::room_victims`] says which),
    /// each logged with the reason. Drops nothing unless it can make all
    /// the room needed: the event is then refused whole.
    fn make_room(&mut self, targets: &[usize], now: Millis) {
        let needed = (self.deliveries.outbox().len() + targets.len()).saturating_sub(MAX_OUTBOX);
        if needed == 0 {
            return;
        }
        let share = self.outbox_share(targets);
        let webhook_ids = self.webhooks.iter().map(|webhook| webhook.id.as_str());
        let Some(victims) = self.deliveries.room_victims(webhook_ids, share, needed) else { return };
        let why = format!("dropped: the outbox was full and this webhook held more than its share of it ({share} undelivered events)");
        for victim in victims {
            self.finish(&victim, DeliveryState::Cancelled, Some(why.clone()), now);
        }
    }

    /// Sends the `test` event to one webhook, whatever its switches say.
    /// One attempt, no retries: the caller waits for its result.
    /// While the browser is offline it fails at once rather than keep the
    /// caller waiting for the network.
    pub fn test(&mut self, id: &str, now: Millis) -> Result<String, EngineError> {
        let index = self.webhooks.index(id)?;
        let event = Event::own(self.ids.next("msg"), now, EventKind::Test.sample(now));
        let delivery_id = self.enqueue_test(index, event, now)?;
        if !self.online {
            self.finish(&delivery_id, DeliveryState::Failed, Some(OFFLINE_TEST.into()), now);
        }
        Ok(delivery_id)
    }

    /// Whether the browser is online, as the driver reads it before each
    /// drain: offline, deliveries wait without spending attempts.
    pub fn set_online(&mut self, online: bool) {
        self.online = online;
    }

    /// Whether the engine takes the browser to be online.
    pub fn online(&self) -> bool {
        self.online
    }

    /// Sends a logged delivery's event again, with the same event id so the
    /// receiver can tell it is the same event. It is cancelled unsent if
    /// its webhook is off or no longer subscribes to the event, as any
    /// delivery is (see `refusal`).
    pub fn redeliver(&mut self, delivery_id: &str, now: Millis) -> Result<String, EngineError> {
        let original = self.delivery(delivery_id)?;
        let (event, batch, test) = (original.event.clone(), original.batch.clone(), original.test);
        let index = self.webhooks.index(&original.webhook_id.clone())?;
        Ok(self.enqueue(&[index], event, batch, test, now)?.remove(0))
    }

    /// The request a sample of `kind` (default: the first subscribed event)
    /// would produce for a webhook with `input` applied: to the webhook
    /// `id` when editing one (keeping its stored secret), else to a new one.
    /// Fails exactly as saving that input would.
    pub fn preview(&self, id: Option<&str>, input: WebhookInput, kind: Option<EventKind>, now: Millis) -> Result<HttpRequest, EngineError> {
        let (config, previous) = match id {
            Some(id) => {
                let webhook = self.webhook(id)?;
                let config = webhook.config.apply(input)?;
                let previous = webhook.previous_keys_beside(&config, now);
                (config, previous)
            }
            None => (WebhookConfig::create(input)?, Vec::new()),
        };
        let kind = kind.or(config.events.first().copied()).unwrap_or(EventKind::Test);
        let event = Event::own("msg_preview".into(), now, kind.sample(now));
        let request = request::build(&config, &previous, batch::shaped(&config, &event), "dlv_preview.1", now)?;
        Ok(delivery::shown_request(&request, &config.credentials()))
    }

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
        let receiving = |w: &Webhook, webhook_id: &str| w.id == webhook_id && (w.config.enabled() || w.health.auto_disabled);
        let replays: Vec<(usize, Event, Vec<Event>)> = self
            .deliveries
            .to_replay(webhook_id, since)
            .into_iter()
            .filter_map(|delivery| {
                let index = self.webhooks.iter().position(|w| receiving(w, &delivery.webhook_id))?;
                Some((index, delivery.event.clone(), delivery.batch.clone()))
            })
            .collect();
        if dry_run || replays.is_empty() {
            return Ok(replays.len());
        }
        if self.deliveries.outbox().len() + replays.len() > MAX_OUTBOX {
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

    /// Local time's offset east of UTC, in minutes: the campaign's day
    /// ends at local midnight and its schedule is in local time.
    pub fn set_utc_offset(&mut self, minutes: i32) {
        // Not stored: the driver tells it at every start.
        self.campaign.edit_if(|campaign| (campaign.set_utc_offset(minutes), false));
    }

    /// Changes the campaign's settings; nothing changes on error.
    pub fn configure_campaign(&mut self, input: CampaignInput, now: Millis) -> Result<(), EngineError> {
        Ok(self.campaign.try_edit(|campaign| campaign.configure(input, now))?)
    }

    /// Points the campaign at `selectors` in a tab showing `url`, as the
    /// user chose in an extension page.
    pub fn set_campaign_target(&mut self, tab_id: u32, url: &str, selectors: Selectors) -> Result<(), EngineError> {
        Ok(self.campaign.try_edit(|campaign| campaign.set_target(tab_id, url, selectors))?)
    }

    /// Opens a pick in tab `tab_id` showing `url` for the picker the popup
    /// injects there, with the fresh random `token` it will hand back;
    /// returns when the pick expires (see [`Campaign::begin_pick`]).
    pub fn begin_campaign_pick(&mut self, tab_id: u32, url: &str, token: String, now: Millis) -> Result<Millis, EngineError> {
        Ok(self.campaign.try_edit(|campaign| campaign.begin_pick(tab_id, url, token, now))?)
    }

    /// The picker's choice from its own tab: accepted once, with the open
    /// pick's token (see [`Campaign::finish_pick`]).
    pub fn finish_campaign_pick(
        &mut self,
        tab_id: u32,
        url: &str,
        selectors: Selectors,
        token: Option<&str>,
        now: Millis,
    ) -> Result<(), EngineError> {
        Ok(self.campaign.try_edit(|campaign| campaign.finish_pick(tab_id, url, selectors, token, now))?)
    }

    /// Call once when the browser (not just the worker) has started afresh:
    /// tab ids are reused across browser sessions, so the campaign forgets
    /// its tab rather than type into whatever tab has that id now (see
    /// [`Campaign::browser_restarted`]).
    pub fn browser_restarted(&mut self) {
        self.campaign.edit().browser_restarted();
    }

    /// Starts, pauses, resumes or stops the campaign, raising its event.
    pub fn control_campaign(&mut self, control: Control, now: Millis) -> Result<(), EngineError> {
        self.control_campaign_caused(control, Cause::Outside, now)
    }

    // ----- network and timer input -----

    /// Feeds back the result of an attempt. Results for deliveries cancelled
    /// meanwhile are ignored.
    pub fn handle_response(&mut self, attempt: AttemptId, outcome: Outcome, now: Millis) {
        let Some(InFlight { delivery_id, request, redactor, .. }) = self.deliveries.end_attempt(attempt) else { return };
        if let Some(delivery) = self.deliveries.edit(&delivery_id) {
            delivery.request = Some(request);
            let asked = self.read_reply(&delivery_id, &outcome, &redactor);
            self.finish_attempt(&delivery_id, outcome.redacted(&redactor), now);
            self.act_on_reply(&delivery_id, asked, now);
        }
    }

    /// What became of send `seq`: `Ok(text)` once sent, or why it failed.
    pub fn campaign_sent(&mut self, seq: u64, result: Result<String, SendFailure>, now: Millis) {
        let cause = self.campaign.cause_of_send(seq, result.is_err(), now);
        let raised = self.campaign.edit().send_result(seq, result, now);
        self.raise(raised, cause, now);
    }

    // ----- outputs -----

    /// The next thing for the driver to do, in the order the module docs
    /// give; [`Output::Timeout`] ends a drain.
    ///
    /// There is no separate `handle_timeout(now)`, as quinn-proto has:
    /// whatever time brings (a retry or a batch's deadline falling due, a
    /// previous secret expiring, the campaign's schedule) is caught up
    /// here, from `now`, at every drain. In a browser the wake-up is an
    /// alarm that may come late, or never after the worker stopped, while
    /// every input is followed by a drain anyway; a timer input apart
    /// would be one more call each driver must remember before draining,
    /// and work falls due unseen where one forgets it. Catching up is
    /// idempotent and costs a look at a few deadlines when nothing is due.
    pub fn poll(&mut self, now: Millis) -> Output {
        self.webhooks.prune_expired_secrets(now);
        self.close_due_batches(now);
        if let Some(transmit) = self.poll_transmit(now) {
            return Output::Transmit(transmit);
        }
        if let Some(command) = self.poll_campaign_send(now) {
            return Output::Type(command);
        }
        let webhooks = &self.webhooks;
        if let Some(notice) = self.alerts.next_notice(|| webhooks.holding()) {
            return Output::Notice(notice);
        }
        if self.deliveries.wants_log() {
            return Output::LoadLog;
        }
        Output::Timeout(
            self.poll_timeout(now).into_iter().chain(self.webhooks.next_secret_expiry()).chain(self.deliveries.next_batch_deadline()).min(),
        )
    }

    /// Drains [`Engine::poll`] into `driver` until the wake-up time: the
    /// one loop every driver runs.
    pub fn drive(&mut self, now: Millis, driver: &mut impl Driver) {
        loop {
            match self.poll(now) {
                Output::Transmit(transmit) => driver.transmit(transmit),
                Output::Type(command) => driver.type_message(command),
                Output::Notice(notice) => driver.notice(notice),
                Output::LoadLog => driver.load_log(),
                Output::Timeout(at) => return driver.wake_at(at),
            }
        }
    }

    /// The next request due at `now`, signed and ready to send.
    fn poll_transmit(&mut self, now: Millis) -> Option<Transmit> {
        if self.deliveries.in_flight_count() >= MAX_IN_FLIGHT || !self.online {
            return None;
        }
        let (delivery_id, delivery_header, request) = loop {
            let floors = self.webhooks.floors(&self.deliveries, now);
            let delivery = self.deliveries.take_due(now, |webhook_id| floor_of(&floors, webhook_id))?;
            if let Some(refusal) = refusal(&self.webhooks, delivery) {
                let id = delivery.id.clone();
                self.refuse(&id, refusal, now);
                continue;
            }
            // `refusal` cancels a delivery whose webhook is gone.
            let webhook = self.webhooks.iter().find(|w| w.id == delivery.webhook_id)?;
            let delivery_header = attempt_header(&delivery.id, delivery.attempts.len() + 1);
            // Sizes are checked when an event is accepted, but the settings
            // may have changed since (another preset or template for a
            // batch gathered under the old one): never send past the cap.
            let built = request::build_stored(&webhook.config, &webhook.previous_keys(now), delivery.payload(), &delivery_header, now)
                .map_err(|error| error.to_string())
                .and_then(|request| match request.payload_len() {
                    size if size > MAX_PAYLOAD_BYTES => Err(format!("refused: {}", EngineError::PayloadTooLarge(size))),
                    _ => Ok(request),
                });
            match built {
                Ok(request) => break (delivery.id.clone(), delivery_header, request),
                Err(error) => {
                    // Saved templates render every sample; an emitted event
                    // without a field they need fails here, once, unsent; so
                    // does any delivery whose stored secret does not parse.
                    let (id, webhook_id) = (delivery.id.clone(), delivery.webhook_id.clone());
                    if let Some(webhook) = self.webhooks.edit().iter_mut().find(|w| w.id == webhook_id) {
                        webhook.stats.triggers += 1;
                        webhook.stats.failures += 1;
                    }
                    self.finish(&id, DeliveryState::Failed, Some(error), now);
                }
            }
        };
        let delivery = self.deliveries.outbox().get(&delivery_id).expect("taken from the outbox just now");
        let (first, test) = (delivery.attempts.is_empty(), delivery.test);
        if first && !test {
            self.webhooks.first_attempt_started(&delivery.webhook_id, now);
        }
        let webhook = self.webhooks.edit().iter_mut().find(|w| w.id == delivery.webhook_id)?;
        if first {
            webhook.stats.triggers += 1;
        }
        webhook.stats.last_triggered = Some(now);
        let credentials = webhook.credentials();
        let redactor = self.redactors.of(&credentials);
        let logged = LoggedRequest::redacted(&request, &credentials, &redactor);
        let response_bytes = (LOGGED_RESPONSE_BYTES + redactor.reach()).max(replies::reply_bytes(&webhook.config));
        let timeout_ms = webhook.config.valid().map_or(0, |c| c.timeout_ms);
        let started =
            Attempt { delivery_header, started_at: now, duration_ms: None, status: None, error: None, failure: None, response_body: None };
        let attempt = self.deliveries.begin_attempt(&delivery_id, started, logged, redactor)?;
        Some(Transmit { attempt, delivery_id, request, timeout_ms, response_bytes })
    }

    /// When a delivery or the campaign is next due, if anything waits.
    /// `None` also while the in-flight limit is reached: a response will
    /// free a slot and the driver polls again then.
    fn poll_timeout(&self, now: Millis) -> Option<Millis> {
        let campaign = self.campaign.next_wake();
        if self.deliveries.in_flight_count() >= MAX_IN_FLIGHT {
            return campaign;
        }
        let floors = self.webhooks.floors(&self.deliveries, now);
        let mut delivery = self.deliveries.outbox().next_due(|webhook_id| floor_of(&floors, webhook_id));
        if !self.online {
            delivery = delivery.map(|at| at.max(now.plus(OFFLINE_PROBE_MS)));
        }
        delivery.into_iter().chain(campaign).min()
    }

    // ----- internals -----

    /// Whether the webhook at `index` holds its events (auto-disabled).
    pub(super) fn holds_events(&self, index: usize) -> bool {
        self.webhooks[index].health.auto_disabled
    }

    /// Whether the webhook at `index` holds its events and has
    /// [`MAX_HELD_PER_WEBHOOK`] of them already.
    pub(super) fn hold_is_full(&self, index: usize) -> bool {
        self.holds_events(index) && self.held_count(&self.webhooks[index].id) >= MAX_HELD_PER_WEBHOOK
    }

    /// A request limited to `webhook_id` names a webhook that exists.
    fn check_filter(&self, webhook_id: Option<&str>) -> Result<(), EngineError> {
        match webhook_id {
            Some(id) if self.webhooks.iter().all(|w| w.id != id) => Err(EngineError::UnknownWebhookFilter(id.into())),
            _ => Ok(()),
        }
    }

    /// A pending delivery of `event` (with a batch's events, if it is one)
    /// to the webhook at `index`.
    fn new_delivery(&mut self, index: usize, event: Event, batch: Vec<Event>, test: bool, now: Millis) -> Delivery {
        let state = if self.holds_events(index) && !test { DeliveryState::Held } else { DeliveryState::Pending };
        let webhook = &self.webhooks[index];
        Delivery {
            id: self.ids.next("dlv"),
            webhook_id: webhook.id.clone(),
            webhook_name: webhook.config.name().to_string(),
            event,
            created_at: now,
            state,
            finished_at: None,
            next_at: now,
            test,
            attempts: Vec::new(),
            request: None,
            reason: None,
            batch,
            reply_action: None,
        }
    }

    fn enqueue(&mut self, targets: &[usize], event: Event, batch: Vec<Event>, test: bool, now: Millis) -> Result<Vec<String>, EngineError> {
        if self.deliveries.outbox().len() + targets.len() > MAX_OUTBOX {
            return Err(EngineError::OutboxFull);
        }
        // A copy of the event for each target but the last, which takes it.
        let mut new: Vec<Delivery> = Vec::with_capacity(targets.len());
        if let Some((&last, others)) = targets.split_last() {
            for &index in others {
                new.push(self.new_delivery(index, event.clone(), batch.clone(), test, now));
            }
            new.push(self.new_delivery(last, event, batch, test, now));
        }
        // A template that cannot render this event fails the delivery when
        // it is first due, logged like any other failure.
        let oversized = targets.iter().find_map(|&index| {
            let size = request::payload_len(self.webhooks[index].config.valid().ok()?, new[0].payload()).ok()?;
            (size > MAX_PAYLOAD_BYTES).then_some(size)
        });
        if let Some(size) = oversized {
            return Err(self.refuse_too_large(new, size, now));
        }
        let ids: Vec<String> = new.iter().map(|d| d.id.clone()).collect();
        for delivery in new {
            self.deliveries.await_write(&delivery.id, &delivery.webhook_id);
            self.deliveries.push(delivery);
        }
        Ok(ids)
    }

    /// Logs `refused` as failed, unsent, because one of them is `size`
    /// bytes: an event is refused for every webhook or none.
    fn refuse_too_large(&mut self, refused: Vec<Delivery>, size: usize, now: Millis) -> EngineError {
        let error = EngineError::PayloadTooLarge(size);
        for mut delivery in refused {
            delivery.state = DeliveryState::Failed;
            delivery.reason = Some(format!("refused: {error}"));
            delivery.finished_at = Some(now);
            self.deliveries.log_finished(delivery);
        }
        error
    }
}

/// `X-AutoHook-Delivery` of a delivery's attempt `number`:
/// `<delivery id>.<number>`. Written in place: `format!` here and in the
/// attempt's entry in flight was 1.5 % of a burst's instructions.
fn attempt_header(delivery_id: &str, number: usize) -> String {
    let mut header = String::with_capacity(delivery_id.len() + 4);
    header.push_str(delivery_id);
    header.push('.');
    header.push_str(itoa::Buffer::new().format(number));
    header
}

/// `webhook_id`'s entry in `floors` (from [`Webhooks::floors`]); a webhook the list
/// does not have is not held back.
fn floor_of(floors: &[(&str, Option<Millis>)], webhook_id: &str) -> Option<Millis> {
    floors.iter().find(|(id, _)| *id == webhook_id).map_or(Some(Millis(0)), |(_, at)| *at)
}
