//! What taps the user on the shoulder: the toolbar badge and browser
//! notifications. The engine decides both; the shell only shows them
//! ([`super::Notice::Badge`], [`super::Notice::Notify`]). This module holds
//! their types and the [`Alerts`] part; when a notification is made is one
//! of the cross-part rules ([`super::rules`]).
//!
//! The badge is derived, never stored as such: `!` while a webhook is
//! auto-disabled, else the number of failed deliveries since the user last
//! opened the log or the popup (a counter, stored under `badge`, so it
//! survives a stopped worker and counts past the log's 500 entries).
//!
//! A notification carries facts, not text: its kind, the webhook's name
//! (the user's own), an HTTP status and a failure kind. The shell words it
//! from those, so nothing a receiver says can reach it.
//!
//! Nor can a receiver tap the user on the shoulder at will: a notification
//! has the cause of what set it off (a delivery's, or the campaign
//! events'), and one whose chain starts at an acted-on reply counts against
//! the webhook that reply answered, at most
//! [`REPLY_NOTIFICATIONS_PER_HOUR`] an hour each ([`Notified`], stored under
//! `notified`). A receiver that resumes a campaign whose sends fail could
//! otherwise have it notify "paused on an error" once every two intervals.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::state::Key;
use super::stored::{Stored, Writes};
use super::{Failure, Notice};
use crate::time::Millis;

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

/// Most notifications that the acted-on replies of one webhook set off
/// shown in any hour; the rest are dropped, while what set them off (a
/// pause, a failure) still happens and is logged. Three: enough to learn
/// that a receiver's replies are pausing the campaign, too few to bury the
/// user's other notifications.
pub const REPLY_NOTIFICATIONS_PER_HOUR: usize = 3;
/// The window [`REPLY_NOTIFICATIONS_PER_HOUR`] counts in, rolling.
const HOUR_MS: u64 = 3_600_000;

/// What is stored under `notified`: by webhook id, when the notifications
/// that its acted-on replies set off were shown in the last hour, so the
/// cap holds across a stopped worker. Bounded: only webhooks that exist
/// have an entry, of at most [`REPLY_NOTIFICATIONS_PER_HOUR`] times, so at
/// most [`super::MAX_WEBHOOKS`] × 3 times in all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Notified(BTreeMap<String, Vec<Millis>>);

impl Notified {
    /// Keeps only what still counts at `now` and stays within the bound:
    /// times less than an hour old (one after `now` means the clock went
    /// back, and must not silence a webhook for good), the newest
    /// [`REPLY_NOTIFICATIONS_PER_HOUR`] of them (a stored record may say
    /// anything), of webhooks that `exists`.
    fn prune(&mut self, exists: impl Fn(&str) -> bool, now: Millis) {
        self.0.retain(|webhook_id, times| {
            times.retain(|at| *at <= now && now.since(*at) < HOUR_MS);
            times.sort_unstable();
            times.drain(..times.len().saturating_sub(REPLY_NOTIFICATIONS_PER_HOUR));
            !times.is_empty() && exists(webhook_id)
        });
    }

    /// Counts one more notification set off by `replier`'s reply at `now`
    /// unless its allowance is spent; whether it did. Call after pruning.
    fn admit(&mut self, replier: &str, now: Millis) -> bool {
        let times = self.0.entry(replier.to_string()).or_default();
        let admitted = times.len() < REPLY_NOTIFICATIONS_PER_HOUR;
        if admitted {
            times.push(now);
        }
        admitted
    }
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

/// The badge's count of unseen failures and the cap on the notifications
/// replies set off, each stored under its own key, with the notices the
/// driver is yet to be told and the badge it was last told to show.
#[derive(Debug, Default)]
pub(super) struct Alerts {
    unseen: Stored<Unseen>,
    notified: Stored<Notified>,
    /// Told in order, before the badge.
    notices: VecDeque<Notice>,
    /// `None` after a start: the first drain tells the badge.
    shown_badge: Option<Badge>,
}

impl Alerts {
    /// As stored.
    pub fn new(unseen: Unseen, notified: Notified) -> Alerts {
        Alerts { unseen: Stored::new(unseen), notified: Stored::new(notified), ..Alerts::default() }
    }

    /// The badge: `!` while a webhook holds its events (`holding`), else
    /// the unseen failures.
    pub fn badge(&self, holding: bool) -> Badge {
        let text = if holding {
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

    /// Tells the driver `notice` at the next drain.
    pub fn tell(&mut self, notice: Notice) {
        self.notices.push_back(notice);
    }

    /// The next notice for the driver: those told, in order, then the
    /// badge (see [`Alerts::badge`] for `holding`, asked only then) if the
    /// driver was not told it last.
    pub fn next_notice(&mut self, holding: impl FnOnce() -> bool) -> Option<Notice> {
        if let Some(notice) = self.notices.pop_front() {
            return Some(notice);
        }
        let badge = self.badge(holding());
        (self.shown_badge.as_ref() != Some(&badge)).then(|| {
            self.shown_badge = Some(badge.clone());
            Notice::Badge(badge)
        })
    }

    /// Failed deliveries not yet seen.
    pub fn unseen_failures(&self) -> u64 {
        self.unseen.failures
    }

    /// The failures so far are seen.
    pub fn mark_seen(&mut self) {
        if self.unseen.failures > 0 {
            self.unseen.edit().failures = 0;
        }
    }

    /// One more failure not yet seen.
    pub fn count_failure(&mut self) {
        let unseen = self.unseen.edit();
        unseen.failures = unseen.failures.saturating_add(1);
    }

    /// Whether a notification that the reply of webhook `replier` set off
    /// may be shown at `now`, counting it if so. A webhook that no longer
    /// `exists` (or a reply a 1.0.0 build queued, which names none) has no
    /// allowance: its entry went with it, which keeps [`Notified`] bounded.
    pub fn admit(&mut self, replier: &str, exists: impl Fn(&str) -> bool, now: Millis) -> bool {
        self.prune(&exists, now);
        let notified = self.notified.edit();
        exists(replier) && notified.admit(replier, now)
    }

    /// Forgets reply-set-off notifications that no longer count at `now`,
    /// and those of webhooks that no longer `exist` (see [`Notified`]).
    pub fn prune(&mut self, exists: impl Fn(&str) -> bool, now: Millis) {
        // What no longer counts is dropped again at the next start.
        self.notified.edit_if(|notified| (notified.prune(exists, now), false));
    }

    /// Adds what changed to `writes`: under `badge` and `notified`.
    pub fn take_changes(&mut self, writes: &mut Writes) {
        self.unseen.take_change(Key::Badge, writes);
        self.notified.take_change(Key::Notified, writes);
    }

    /// `key` (`badge` or `notified`) is written with the next batch as it is.
    pub fn rewrite(&mut self, key: &Key) {
        match key {
            Key::Badge => self.unseen.rewrite(),
            Key::Notified => self.notified.rewrite(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: Millis = Millis(10 * HOUR_MS);

    fn written(alerts: &mut Alerts) -> Vec<String> {
        let mut writes = Writes::default();
        alerts.take_changes(&mut writes);
        writes.into_changes(1).set.into_keys().collect()
    }

    fn badge_told(alerts: &mut Alerts) -> Option<String> {
        match alerts.next_notice(|| false) {
            Some(Notice::Badge(badge)) => Some(badge.text),
            _ => None,
        }
    }

    #[test]
    fn notices_are_told_in_order_then_the_badge_when_it_changed() {
        let mut alerts = Alerts::default();
        let finished = |id: &str| Notice::Finished { delivery_id: id.into() };
        alerts.tell(finished("a"));
        alerts.tell(finished("b"));
        assert_eq!(alerts.next_notice(|| false), Some(finished("a")));
        assert_eq!(alerts.next_notice(|| false), Some(finished("b")));
        assert_eq!(badge_told(&mut alerts), Some(String::new()), "the badge, first after a start");
        assert_eq!(alerts.next_notice(|| false), None);
    }

    #[test]
    fn the_badge_counts_unseen_failures_is_told_when_it_changes_and_shows_a_holding_webhook() {
        let mut alerts = Alerts::default();
        assert_eq!(badge_told(&mut alerts), Some(String::new()), "told first after a start");
        assert_eq!(badge_told(&mut alerts), None, "unchanged");
        alerts.count_failure();
        assert_eq!(written(&mut alerts), ["badge"]);
        assert_eq!(badge_told(&mut alerts), Some("1".into()));
        assert_eq!(alerts.badge(true).text, "!");
        alerts.mark_seen();
        alerts.mark_seen();
        assert_eq!((alerts.unseen_failures(), written(&mut alerts)), (0, vec!["badge".to_string()]), "written once");
        let many = Alerts::new(Unseen { failures: BADGE_MAX + 1 }, Notified::default());
        assert_eq!(many.badge(false).text, "999+");
    }

    #[test]
    fn a_reply_notification_is_admitted_three_times_an_hour_for_a_webhook_that_exists() {
        let mut alerts = Alerts::default();
        let exists = |id: &str| id == "wh_a";
        let admitted = (0..4).filter(|_| alerts.admit("wh_a", exists, NOW)).count();
        assert_eq!(admitted, REPLY_NOTIFICATIONS_PER_HOUR);
        assert!(!alerts.admit("wh_gone", exists, NOW), "a deleted webhook has no allowance");
        assert!(alerts.admit("wh_a", exists, NOW.plus(HOUR_MS)), "an hour later");
        assert_eq!(written(&mut alerts), ["notified"]);
    }

    #[test]
    fn what_is_kept_for_the_cap_is_the_last_hour_of_existing_webhooks_at_most_three_each() {
        let ago = |ms: u64| Millis(NOW.0 - ms);
        let stored = json!({
            // An edited or foreign record: more than the cap, out of order, one an hour old, one from after a clock change.
            "wh_a": [ago(1), ago(HOUR_MS), ago(5), ago(4), ago(3), NOW.plus(1), ago(2)],
            "wh_b": [ago(HOUR_MS + 1)],
            "wh_gone": [ago(1)],
        });
        let mut notified: Notified = serde_json::from_value(stored).unwrap();
        notified.prune(|id| id != "wh_gone", NOW);
        assert_eq!(notified, serde_json::from_value(json!({"wh_a": [ago(3), ago(2), ago(1)]})).unwrap());
        assert!(!notified.admit("wh_a", NOW), "the allowance is spent");
        assert!(notified.admit("wh_b", NOW));
        // Once the oldest is an hour old, one more is allowed.
        notified.prune(|_| true, ago(3).plus(HOUR_MS));
        assert!(notified.admit("wh_a", ago(3).plus(HOUR_MS)));
    }
}
