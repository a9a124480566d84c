//! What taps the user on the shoulder: the toolbar badge and browser
//! notifications. The engine decides both; the shell only shows them
//! ([`super::Notice::Badge`], [`super::Notice::Notify`]).
//!
//! The badge is derived, never stored as such: `!` while a webhook is
//! auto-disabled, else the number of failed deliveries since the user last
//! opened the log or the popup (a counter, stored under `badge`, so it
//! survives a stopped worker and counts past the log's 500 entries).
//!
//! A notification carries facts, not text: its kind, the webhook's name
//! (the user's own), an HTTP status and a failure kind. The shell words it
//! from those, so nothing a receiver says can reach it.

use serde::{Deserialize, Serialize};

use super::{Delivery, DeliveryState, Engine, Failure, Key};

/// The badge's colour for failures.
const BADGE_RED: &str = "#d93025";
/// More than this many unseen failures shows as this and a `+`.
const BADGE_MAX: u64 = 999;

/// The toolbar badge: `text` empty when there is nothing to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Badge {
    /// `!`, a count, or empty.
    pub text: String,
    /// A CSS colour.
    pub color: &'static str,
}

/// What is stored under `badge`: failed deliveries the user has not seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Unseen {
    /// Failed deliveries (not Tests) since the log or popup was last opened.
    pub failures: u64,
}

/// The kinds of notification, each with its switch on the settings page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum NotificationKind {
    /// A webhook's first failed delivery after a success.
    Failing,
    /// A webhook turned off by AutoHook (too many failures, or 410 Gone).
    Disabled,
    /// The campaign paused on an error.
    CampaignPaused,
    /// The campaign reached its daily limit.
    DailyLimit,
    /// Sealed records did not open at start (the sealing key is lost) and
    /// were set aside. Always shown: it costs the user their settings.
    RecordsUnopenable,
}

/// Which kinds of notification the user wants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NotificationSwitches {
    /// A webhook started failing.
    pub failing: bool,
    /// A webhook was turned off by AutoHook.
    pub disabled: bool,
    /// The campaign paused on an error.
    pub campaign_paused: bool,
    /// The daily limit was reached: off by default, it is expected.
    pub daily_limit: bool,
}

impl Default for NotificationSwitches {
    fn default() -> NotificationSwitches {
        NotificationSwitches { failing: true, disabled: true, campaign_paused: true, daily_limit: false }
    }
}

impl NotificationSwitches {
    /// Whether notifications of `kind` are on.
    pub fn wants(&self, kind: NotificationKind) -> bool {
        match kind {
            NotificationKind::Failing => self.failing,
            NotificationKind::Disabled => self.disabled,
            NotificationKind::CampaignPaused => self.campaign_paused,
            NotificationKind::DailyLimit => self.daily_limit,
            NotificationKind::RecordsUnopenable => true,
        }
    }
}

/// The switches `notifications.set` changes; absent ones stay.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwitchesInput {
    /// A webhook started failing.
    pub failing: Option<bool>,
    /// A webhook was turned off by AutoHook.
    pub disabled: Option<bool>,
    /// The campaign paused on an error.
    pub campaign_paused: Option<bool>,
    /// The daily limit was reached.
    pub daily_limit: Option<bool>,
}

/// A notification for the shell to show, as facts it words itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Unique: `<kind>:<webhook id or empty>:<random id>`, so a click can
    /// be traced back to the webhook without asking the engine.
    pub id: String,
    /// What happened.
    pub kind: NotificationKind,
    /// The webhook it is about, if one.
    pub webhook_id: Option<String>,
    /// Its name, as the user gave it.
    pub webhook_name: Option<String>,
    /// The last failed attempt's HTTP status, if the receiver answered.
    pub status: Option<u16>,
    /// The last failed attempt's kind of failure.
    pub failure: Option<Failure>,
    /// Failed deliveries in a row.
    pub consecutive_failures: Option<u32>,
    /// The campaign's daily limit.
    pub limit: Option<u64>,
}

impl Engine {
    /// The badge as it should be now.
    pub fn badge(&self) -> Badge {
        let text = if self.webhooks.iter().any(|w| w.health.auto_disabled) {
            "!".to_string()
        } else {
            match self.unseen.failures {
                0 => String::new(),
                n if n > BADGE_MAX => format!("{BADGE_MAX}+"),
                n => n.to_string(),
            }
        };
        Badge { text, color: BADGE_RED }
    }

    /// Failed deliveries not yet seen.
    pub fn unseen_failures(&self) -> u64 {
        self.unseen.failures
    }

    /// The user opened the log or the popup: the failures so far are seen.
    pub fn mark_seen(&mut self) {
        if self.unseen.failures > 0 {
            self.unseen.failures = 0;
            self.dirty.insert(Key::Badge);
        }
    }

    pub(super) fn count_unseen_failure(&mut self) {
        self.unseen.failures = self.unseen.failures.saturating_add(1);
        self.dirty.insert(Key::Badge);
    }

    /// Changes the notification switches `input` names.
    pub fn set_notifications(&mut self, input: SwitchesInput) {
        let switches = &mut self.settings.notifications;
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
        self.dirty.insert(Key::Settings);
    }

    /// Queues a notification of `kind` about the webhook at `webhook` (its
    /// last failed attempt's status and failure kind), or the campaign's
    /// daily `limit`, if the user has that kind switched on; whether it did.
    pub(super) fn notify(&mut self, kind: NotificationKind, webhook: Option<usize>, limit: Option<u64>) -> bool {
        if !self.settings.notifications.wants(kind) {
            return false;
        }
        let webhook = webhook.map(|index| &self.webhooks[index]);
        let failed = |d: &&Delivery| webhook.is_some_and(|w| d.webhook_id == w.id) && !d.test && d.state == DeliveryState::Failed;
        let last_attempt = self.log.iter().rev().find(failed).and_then(|d| d.attempts.last());
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
        self.notices.push_back(super::Notice::Notify(notification));
        true
    }
}
