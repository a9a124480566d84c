//! Campaign settings, declared in the same [`settings!`] table as a
//! webhook's: one row per field, from which the input the popup sends,
//! what is stored, the defaults, `apply`, the limits and controls the
//! catalog serves and the fields errors name all follow. Campaign settings
//! are stored as they are used, so the rows check input as it is applied.

use serde::{Deserialize, Serialize};

use super::cron::{Cron, MAX_CRON_CHARS};
use super::CampaignError;
use crate::config::parse_variant;
use crate::settings::{settings, Control};

pub(crate) const MAX_PHRASES: usize = 1000;
pub(crate) const MAX_PHRASE_CHARS: usize = 4096;
pub(crate) const MAX_INTERVAL_SECONDS: u32 = 86_400;
pub(crate) const MAX_SELECTOR_CHARS: usize = 1000;

/// Each setting's limits as `catalog.get` gives them to the popup, and
/// those of the target's selectors and the schedule's `cron`.
pub(crate) fn limits() -> serde_json::Value {
    let mut limits = CampaignSettings::limits();
    limits["input"] = serde_json::json!({"maxChars": MAX_SELECTOR_CHARS});
    limits["button"] = serde_json::json!({"maxChars": MAX_SELECTOR_CHARS});
    limits["cron"] = serde_json::json!({"maxChars": MAX_CRON_CHARS});
    limits
}

/// Phrase order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Random, never the same phrase twice in a row.
    #[default]
    Random,
    /// One after another, from the top again after the last.
    Sequential,
}

/// How a message is sent once typed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendBy {
    /// The Enter key in the input.
    #[default]
    Enter,
    /// A click on the chosen send button.
    Button,
}

/// A scheduled start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// Five-field cron expression, in local time.
    pub cron: Cron,
    /// A scheduled run stops after this many messages.
    pub stop_after_messages: Option<u32>,
    /// A scheduled run stops after this many minutes.
    pub stop_after_minutes: Option<u32>,
}

/// A schedule as a caller sends it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduleInput {
    /// Empty: no schedule.
    pub cron: String,
    /// 0 or missing: no message limit.
    pub stop_after_messages: Option<u32>,
    /// 0 or missing: no time limit.
    pub stop_after_minutes: Option<u32>,
}

settings! {
    /// Campaign settings as a caller sends them; missing fields stay as they are.
    input CampaignInput;
    /// What the user configured.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    stored CampaignSettings;
    error CampaignError;
    defaults();
    rules check_intervals;
    fields {
        /// What to send, one phrase per entry, up to 1000 of up to 4096
        /// characters each; blank ones are dropped.
        phrases = "phrases" {
            input: Vec<String> => convert(parse_phrases),
            stored: Vec<String> = Vec::new(),
            control: Control::Lines,
            limits: {"maxItems": MAX_PHRASES, "maxChars": MAX_PHRASE_CHARS},
            errors: [NoPhrases, PhrasesTooLong],
        },
        /// In which order: `random` or `sequential`.
        order = "order" {
            input: String => convert(parse_order),
            stored: Order = Order::Random,
            control: Control::Choice(&["random", "sequential"]),
            errors: [Order(_)],
        },
        /// Shortest wait between messages, in seconds, 1 to 86400.
        interval_min_seconds = "intervalMinSeconds" {
            input: u32 => replace,
            stored: u32 = 30,
            control: Control::Number,
            limits: {"min": 1, "max": MAX_INTERVAL_SECONDS},
            errors: [IntervalMin],
        },
        /// Longest wait between messages, in seconds, 1 to 86400 and at
        /// least the shortest.
        interval_max_seconds = "intervalMaxSeconds" {
            input: u32 => replace,
            stored: u32 = 60,
            control: Control::Number,
            limits: {"min": 1, "max": MAX_INTERVAL_SECONDS},
            errors: [IntervalMax],
        },
        /// Messages a day; the campaign stops at it. `None` (0 as input): no limit.
        daily_limit = "dailyLimit" {
            input: u32 => map(limit),
            stored: Option<u32> = Some(100),
            control: Control::Number,
            errors: [LimitReached(_)],
        },
        /// Enter or the send button: `enter` or `button`.
        send_by = "sendBy" {
            input: String => convert(parse_send_by),
            stored: SendBy = SendBy::Enter,
            control: Control::Choice(&["enter", "button"]),
            errors: [SendBy(_)],
        },
        /// Whether `message_sent` payloads carry the text (privacy switch).
        include_text = "includeText" {
            input: bool => replace,
            stored: bool = true,
            control: Control::Bool,
        },
        /// Optional scheduled start: a cron expression (empty removes the
        /// schedule) and its stops.
        schedule = "schedule" {
            input: ScheduleInput => convert(parse_schedule),
            stored: Option<Schedule> = None,
            control: Control::Own,
            errors: [Cron(_), CronNever(_)],
        },
    }
}

impl CampaignSettings {
    /// The shortest wait between messages, in ms: the pace replies may not beat.
    pub(super) fn interval_min_ms(&self) -> u64 {
        u64::from(self.interval_min_seconds) * 1000
    }
}

impl Default for CampaignSettings {
    fn default() -> CampaignSettings {
        CampaignSettings::defaults()
    }
}

fn parse_phrases(phrases: Vec<String>) -> Result<Vec<String>, CampaignError> {
    let phrases: Vec<String> = phrases.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    if phrases.is_empty() {
        return Err(CampaignError::NoPhrases);
    }
    if phrases.len() > MAX_PHRASES || phrases.iter().any(|p| p.chars().count() > MAX_PHRASE_CHARS) {
        return Err(CampaignError::PhrasesTooLong);
    }
    Ok(phrases)
}

fn parse_order(order: String) -> Result<Order, CampaignError> {
    parse_variant(&order).ok_or(CampaignError::Order(order))
}

fn parse_send_by(send_by: String) -> Result<SendBy, CampaignError> {
    parse_variant(&send_by).ok_or(CampaignError::SendBy(send_by))
}

/// A daily limit as given: 0 is none.
fn limit(messages: u32) -> Option<u32> {
    Some(messages).filter(|limit| *limit > 0)
}

/// A schedule as given: no cron is none; a stop of 0 is none.
fn parse_schedule(schedule: ScheduleInput) -> Result<Option<Schedule>, CampaignError> {
    let cron = schedule.cron.trim();
    if cron.is_empty() {
        return Ok(None);
    }
    Ok(Some(Schedule {
        cron: Cron::parse(cron)?,
        stop_after_messages: schedule.stop_after_messages.filter(|n| *n > 0),
        stop_after_minutes: schedule.stop_after_minutes.filter(|n| *n > 0),
    }))
}

/// The intervals, once both are applied: each in range, the longest no
/// shorter than the shortest.
fn check_intervals(settings: &CampaignSettings) -> Result<(), CampaignError> {
    if !(1..=MAX_INTERVAL_SECONDS).contains(&settings.interval_min_seconds) {
        return Err(CampaignError::IntervalMin);
    }
    if !(settings.interval_min_seconds..=MAX_INTERVAL_SECONDS).contains(&settings.interval_max_seconds) {
        return Err(CampaignError::IntervalMax);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::cron::CronError;

    #[test]
    fn each_limit_is_written_in_its_fields_doc() {
        crate::settings::assert_limits_documented(&CampaignSettings::limits(), include_str!("settings.rs"));
    }

    /// Each error names a field but the campaign's state. The match has no
    /// wildcard: a new variant does not compile until it is listed there,
    /// and so in the list.
    #[test]
    fn every_error_but_a_state_names_a_field() {
        use CampaignError::*;
        let text = String::new;
        let errors = [
            NoPhrases,
            PhrasesTooLong,
            Order(text()),
            SendBy(text()),
            IntervalMin,
            IntervalMax,
            Cron(CronError { column: 1, problem: text() }),
            CronNever(text()),
            NoTarget,
            NoButton,
            Selector,
            Site(text()),
            Running,
            WrongState("idle", "pause"),
            LimitReached(1),
            PickTokenMissing,
            PickTokenInvalid,
            PickExpired,
            PickSite { started: text(), now: text() },
        ];
        for error in errors {
            let state = match &error {
                Running | WrongState(..) => true,
                NoPhrases
                | PhrasesTooLong
                | Order(_)
                | SendBy(_)
                | IntervalMin
                | IntervalMax
                | Cron(_)
                | CronNever(_)
                | NoTarget
                | NoButton
                | Selector
                | Site(_)
                | LimitReached(_)
                | PickTokenMissing
                | PickTokenInvalid
                | PickExpired
                | PickSite { .. } => false,
            };
            assert_eq!(error.field().is_none(), state, "{error:?}");
        }
    }

    #[test]
    fn every_choice_the_catalog_offers_parses() {
        for field in CampaignSettings::fields().as_array().unwrap() {
            for choice in field["choices"].as_array().into_iter().flatten() {
                let input = serde_json::json!({field["name"].as_str().unwrap(): choice});
                let input: CampaignInput = serde_json::from_value(input).unwrap();
                CampaignSettings::defaults().apply(input).unwrap_or_else(|e| panic!("{field}: {e}"));
            }
        }
    }
}
