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

use super::Webhook;
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

    /// A delivery succeeded: it ends the run of failures, unless AutoHook
    /// turned the webhook off (then only the user turning it on does).
    /// Whether anything changed.
    pub fn delivered(&mut self) -> bool {
        if self.consecutive_failures == 0 || self.auto_disabled {
            return false;
        }
        self.consecutive_failures = 0;
        self.failing_since = None;
        self.failing_notice_owed = false;
        true
    }

    /// A delivery failed for `reason` at `now`. Whether to tell the user
    /// the webhook is failing: at the first failure of a run, or at the
    /// next after one whose notice the cap dropped ([`Health::failing_notice_owed`]),
    /// never twice within [`FAILING_NOTICE_EVERY_MS`].
    pub fn failed(&mut self, reason: Option<&str>, now: Millis) -> bool {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.failing_since.get_or_insert(now);
        self.last_reason = reason.map(str::to_string);
        let quiet = self.notified_failing_at.is_some_and(|at| at.plus(FAILING_NOTICE_EVERY_MS) > now);
        (self.consecutive_failures == 1 || self.failing_notice_owed) && !quiet
    }

    /// What became of the "failing" notice [`Health::failed`] asked for:
    /// `shown`, or dropped by the cap though the user wants it (`owed`).
    pub fn failing_told(&mut self, shown: bool, owed: bool, now: Millis) {
        if shown {
            self.notified_failing_at = Some(now);
        }
        self.failing_notice_owed = owed;
    }

    /// Notes the status a non-Test attempt got at `now`, for the run of
    /// 429 answers ([`Health::throttled_since`]). Whether anything changed.
    pub fn answered(&mut self, status: Option<u16>, now: Millis) -> bool {
        if status != Some(429) {
            let ended = self.throttled_since.take().is_some();
            if ended {
                self.throttled_at = None;
            }
            return ended;
        }
        if self.throttled_at.is_none_or(|at| at > now || now.since(at) > THROTTLED_GAP_MS) {
            self.throttled_since = Some(now);
        }
        self.throttled_at = Some(now);
        true
    }

    /// The user changed the webhook (another URL, turned on again): a run
    /// of 429 answers starts anew.
    fn changed_by_user(&mut self) {
        (self.throttled_since, self.throttled_at) = (None, None);
    }

    /// Forgets the run of failures and AutoHook's disable: the user turned
    /// the webhook on again.
    fn recovered(&mut self) {
        let notified = self.notified_failing_at;
        *self = Health { notified_failing_at: notified, ..Health::default() };
    }
}

impl Webhook {
    /// AutoHook turns the webhook off for `reason` at `now`: after its
    /// failures it holds its events (`hold`); after a 410 Gone it does not.
    pub(super) fn turn_off_by_autohook(&mut self, reason: String, hold: bool, now: Millis) {
        self.config.disable();
        self.disabled_reason = Some(reason);
        self.health.auto_disabled = hold;
        self.health.disabled_at = Some(now);
    }

    /// Why to turn the webhook off, once its run of failures reaches its
    /// `autoDisableAfter` (0: never) while it is on.
    pub(super) fn failures_disable_reason(&self) -> Option<String> {
        let limit = self.config.valid().map_or(0, |c| c.auto_disable_after);
        let failures = self.health.consecutive_failures;
        if limit == 0 || failures < limit || !self.config.enabled() {
            return None;
        }
        let last = self.health.last_reason.clone().unwrap_or_default();
        Some(format!("{failures} deliveries in a row failed (the last: {last}); its events are held until it is on again"))
    }

    /// Why to turn the webhook off at `now`, once its receiver has answered
    /// nothing but 429 for [`THROTTLED_DISABLE_MS`] while it is on with
    /// `autoDisableAfter` set.
    pub(super) fn throttled_disable_reason(&self, now: Millis) -> Option<String> {
        let on = self.config.valid().is_ok_and(|c| c.auto_disable_after > 0) && self.config.enabled();
        let since = self.health.throttled_since?;
        (on && now.since(since) >= THROTTLED_DISABLE_MS).then(|| {
            format!(
                "its receiver answered nothing but 429 Too Many Requests for {} hours; its events are held until it is on again",
                THROTTLED_DISABLE_MS / 3_600_000
            )
        })
    }

    /// After a change by the user that asked for it on or off (`enabled`;
    /// `None`: left as it was): what becomes of AutoHook's disable. Turned
    /// off by hand, it no longer holds its events ([`Settled::TurnedOff`]);
    /// turned on again after AutoHook turned it off, it forgets the disable
    /// and its run of failures ([`Settled::Recovered`]).
    pub(super) fn settle_health(&mut self, enabled: Option<bool>) -> Settled {
        self.health.changed_by_user();
        if enabled == Some(false) && self.health.auto_disabled {
            self.health.auto_disabled = false;
            self.health.disabled_at = None;
            self.health.disabled_notice_owed = false;
            self.disabled_reason = None;
            return Settled::TurnedOff;
        }
        if !self.config.enabled() || self.health.disabled_at.is_none() {
            return Settled::Unchanged;
        }
        self.health.recovered();
        Settled::Recovered
    }
}

/// What a change by the user did to AutoHook's disable ([`Webhook::settle_health`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Settled {
    /// Nothing: it was not turned off by AutoHook, or stays off.
    Unchanged,
    /// Turned off by the user while AutoHook held its events.
    TurnedOff,
    /// Turned on again after AutoHook turned it off.
    Recovered,
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3_600_000;

    #[test]
    fn a_run_of_failures_is_told_once_then_again_only_when_a_dropped_notice_is_owed() {
        let mut health = Health::default();
        assert!(health.failed(Some("HTTP 500"), Millis(0)), "the first failure of a run");
        health.failing_told(true, false, Millis(0));
        assert!(!health.failed(Some("HTTP 502"), Millis(1)), "the run is told already");
        assert_eq!((health.consecutive_failures, health.failing_since), (2, Some(Millis(0))));
        assert_eq!(health.last_reason.as_deref(), Some("HTTP 502"));
        assert!(health.delivered());
        assert!(!health.delivered(), "no run to end");
        assert!(!health.failed(None, Millis(2)), "a new run within the quiet time is not told again");
        health.failing_told(false, true, Millis(2));
        assert!(health.failed(None, Millis(FAILING_NOTICE_EVERY_MS + 2)), "owed, and the quiet time is over");
    }

    #[test]
    fn a_run_of_429_answers_starts_again_after_a_gap_or_another_answer() {
        let mut health = Health::default();
        assert!(!health.answered(Some(200), Millis(0)), "no run, nothing changes");
        assert!(health.answered(Some(429), Millis(0)));
        assert!(health.answered(Some(429), Millis(HOUR)));
        assert_eq!(health.throttled_since, Some(Millis(0)));
        assert!(health.answered(Some(429), Millis(HOUR + THROTTLED_GAP_MS + 1)));
        assert_eq!(health.throttled_since, Some(Millis(HOUR + THROTTLED_GAP_MS + 1)), "a gap starts a new run");
        assert!(health.answered(Some(500), Millis(4 * HOUR)));
        assert_eq!((health.throttled_since, health.throttled_at), (None, None));
    }

    #[test]
    fn turning_on_again_forgets_the_run_but_not_when_the_user_was_last_told() {
        let mut health = Health {
            consecutive_failures: 5,
            auto_disabled: true,
            disabled_at: Some(Millis(9)),
            notified_failing_at: Some(Millis(3)),
            ..Health::default()
        };
        assert!(!health.delivered(), "a success in flight does not end AutoHook's disable");
        health.recovered();
        assert_eq!(health, Health { notified_failing_at: Some(Millis(3)), ..Health::default() });
    }
}
