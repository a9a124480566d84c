//! Cron expressions for scheduled campaign starts: the classic five fields
//! `minute hour day-of-month month day-of-week`, evaluated in the user's
//! local time (the caller gives its UTC offset).
//!
//! Each field is `*`, a value, a range `a-b`, a step `*/n` or `a-b/n`, or a
//! comma list of those; months and weekdays also take English names
//! (`jan`, `mon`), and Sunday is 0 or 7. As in Vixie cron, when both
//! day-of-month and day-of-week are restricted, a day matching either runs.
//!
//! An expression has at most [`MAX_CRON_CHARS`] characters; any text parses
//! to a [`Cron`] or to an error with a column counted in characters.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::time::{Date, DateTime, Millis};

/// Longest expression, in characters: every minute listed one by one
/// (`0,1,…,59`, 170 characters) still fits.
pub const MAX_CRON_CHARS: usize = 256;

/// Why an expression does not parse: where, and what is wrong.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("column {column}: {problem}")]
pub struct CronError {
    /// 1-based column in the expression, counted in characters.
    pub column: usize,
    /// What is wrong.
    pub problem: String,
}

/// A parsed expression: the allowed values of each field as bit sets, and
/// the text they were parsed from, which is what is stored and shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cron {
    source: String,
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// Whether day-of-month / day-of-week were `*` (for the either-or rule).
    any_day: bool,
    any_weekday: bool,
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field { name: "minute", min: 0, max: 59, names: &[] },
    Field { name: "hour", min: 0, max: 23, names: &[] },
    Field { name: "day of month", min: 1, max: 31, names: &[] },
    Field { name: "month", min: 1, max: 12, names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
    Field { name: "day of week", min: 0, max: 7, names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

/// How far ahead [`Cron::next_after`] looks: an expression such as
/// `0 0 30 2 *` (30 February) never matches.
const HORIZON_DAYS: i64 = 366 * 5;

/// A problem at a byte offset of the expression. Offsets come from
/// splitting at ASCII separators, so they are character boundaries;
/// [`Cron::parse`] turns them into columns.
type Parsed<T> = Result<T, (usize, String)>;

impl Cron {
    /// Parses a five-field expression.
    pub fn parse(text: &str) -> Result<Cron, CronError> {
        Cron::fields(text).map_err(|(offset, problem)| {
            let column = text.get(..offset).map_or(text.chars().count(), |before| before.chars().count()) + 1;
            CronError { column, problem }
        })
    }

    /// The text it was parsed from.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    fn fields(text: &str) -> Parsed<Cron> {
        if let Some((offset, _)) = text.char_indices().nth(MAX_CRON_CHARS) {
            let chars = text.chars().count();
            return Err((offset, format!("an expression may have at most {MAX_CRON_CHARS} characters (this one has {chars})")));
        }
        let mut fields = Vec::with_capacity(5);
        let mut offset = 0;
        for part in text.split(' ') {
            if !part.is_empty() {
                fields.push((offset, part));
            }
            offset += part.len() + 1;
        }
        if fields.len() != 5 {
            let at = fields.get(5).map_or(text.len(), |(at, _)| *at);
            return Err((at, format!("expected 5 fields (minute hour day month weekday), found {}", fields.len())));
        }
        let mut sets = [0u64; 5];
        for ((set, field), (at, part)) in sets.iter_mut().zip(&FIELDS).zip(&fields) {
            *set = parse_field(field, part, *at)?;
        }
        // Sunday is both 0 and 7.
        if sets[4] & (1 << 7) != 0 {
            sets[4] |= 1;
        }
        Ok(Cron {
            source: text.to_string(),
            minutes: sets[0],
            hours: sets[1],
            days: sets[2],
            months: sets[3],
            weekdays: sets[4],
            any_day: fields[2].1 == "*",
            any_weekday: fields[4].1 == "*",
        })
    }

    /// The first whole minute strictly after `after` that the expression
    /// matches, in local time `utc_offset_minutes` east of UTC; `None` if
    /// none comes within five years, or before the calendar's last date.
    pub fn next_after(&self, after: Millis, utc_offset_minutes: i32) -> Option<Millis> {
        const MINUTES_PER_DAY: i64 = 24 * 60;
        let offset_ms = i64::from(utc_offset_minutes) * 60_000;
        let local = DateTime::from_millis(i64::try_from(after.0).ok()?.checked_add(offset_ms)?)?;
        // Local time in minutes since the epoch.
        let mut t = local.unix_seconds().div_euclid(60) + 1;
        let end = t + HORIZON_DAYS * MINUTES_PER_DAY;
        while t < end {
            let date = Date::from_days(t.div_euclid(MINUTES_PER_DAY))?;
            let of_day = t.rem_euclid(MINUTES_PER_DAY);
            if !self.day_matches(date) {
                t += MINUTES_PER_DAY - of_day;
            } else if self.hours & (1 << (of_day / 60)) == 0 {
                t += 60 - of_day % 60;
            } else if self.minutes & (1 << (of_day % 60)) == 0 {
                t += 1;
            } else {
                return u64::try_from(t * 60_000 - offset_ms).ok().map(Millis);
            }
        }
        None
    }

    fn day_matches(&self, date: Date) -> bool {
        if self.months & (1 << date.month) == 0 {
            return false;
        }
        let day = self.days & (1 << date.day) != 0;
        let weekday = self.weekdays & (1 << date.weekday_from_sunday()) != 0;
        match (self.any_day, self.any_weekday) {
            (false, false) => day || weekday,
            _ => day && weekday,
        }
    }
}

fn parse_field(field: &Field, text: &str, at: usize) -> Parsed<u64> {
    let mut set = 0u64;
    let mut offset = at;
    for item in text.split(',') {
        set |= parse_item(field, item, offset)?;
        offset += item.len() + 1;
    }
    Ok(set)
}

/// One list item: `*`, `v`, `a-b`, each optionally `/step`.
fn parse_item(field: &Field, item: &str, at: usize) -> Parsed<u64> {
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => {
            let step_at = at + range.len() + 1;
            match step.parse::<u32>() {
                Ok(n) if n > 0 => (range, n),
                _ => return Err((step_at, format!("{}: step {step:?} must be a whole number from 1", field.name))),
            }
        }
        None => (item, 1),
    };
    let (low, high) = match range {
        "*" => (field.min, field.max),
        _ => match range.split_once('-') {
            Some((a, b)) => (value(field, a, at)?, value(field, b, at + a.len() + 1)?),
            None => {
                let v = value(field, range, at)?;
                // `5/15` means from 5 to the end in steps of 15.
                (v, if step > 1 { field.max } else { v })
            }
        },
    };
    if low > high {
        return Err((at, format!("{}: range {range} runs backwards", field.name)));
    }
    Ok((low..=high).step_by(step as usize).fold(0, |set, v| set | (1 << v)))
}

fn value(field: &Field, text: &str, at: usize) -> Parsed<u32> {
    let lower = text.to_ascii_lowercase();
    let named = field.names.iter().zip(field.min..).find_map(|(name, v)| (*name == lower).then_some(v));
    match named.or_else(|| text.parse::<u32>().ok()) {
        Some(v) if (field.min..=field.max).contains(&v) => Ok(v),
        _ => Err((at, format!("{}: {text:?} is not a value from {} to {}", field.name, field.min, field.max))),
    }
}

impl TryFrom<String> for Cron {
    type Error = CronError;

    fn try_from(text: String) -> Result<Cron, CronError> {
        Cron::parse(&text)
    }
}

impl From<Cron> for String {
    fn from(cron: Cron) -> String {
        cron.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Milliseconds of a UTC date and time.
    fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32) -> Millis {
        let date = Date::new(y, mo, d).unwrap();
        Millis(DateTime::from_local(date, (h, mi, 0), 0, 0).unwrap().millis() as u64)
    }

    fn next(expr: &str, after: Millis, offset: i32) -> Option<Millis> {
        Cron::parse(expr).unwrap().next_after(after, offset)
    }

    #[test]
    fn an_expression_is_stored_as_its_text_and_read_back_parsed() {
        let cron = Cron::parse("*/15 9-17 * * mon-fri").unwrap();
        let stored = serde_json::to_string(&cron).unwrap();
        assert_eq!(stored, "\"*/15 9-17 * * mon-fri\"");
        assert_eq!(serde_json::from_str::<Cron>(&stored).unwrap(), cron);
        let error = serde_json::from_str::<Cron>("\"0 25 * * *\"").unwrap_err();
        assert!(error.to_string().starts_with("column 3: "), "a stored expression that does not parse says where: {error}");
    }

    #[test]
    fn weekdays_at_nine_skip_the_weekend() {
        // Friday 2026-11-20 09:00 UTC has passed: next is Monday the 23rd.
        assert_eq!(next("0 9 * * 1-5", utc(2026, 11, 20, 9, 0), 0), Some(utc(2026, 11, 23, 9, 0)));
        assert_eq!(next("0 9 * * mon-fri", utc(2026, 11, 20, 8, 59), 0), Some(utc(2026, 11, 20, 9, 0)));
    }

    #[test]
    fn local_time_is_utc_plus_the_offset() {
        // 09:00 in UTC+2 is 07:00 UTC; in UTC-5 it is 14:00 UTC.
        assert_eq!(next("0 9 * * *", utc(2026, 11, 22, 0, 0), 120), Some(utc(2026, 11, 22, 7, 0)));
        assert_eq!(next("0 9 * * *", utc(2026, 11, 22, 0, 0), -300), Some(utc(2026, 11, 22, 14, 0)));
    }

    #[test]
    fn steps_lists_and_names() {
        assert_eq!(next("*/15 * * * *", utc(2026, 1, 1, 10, 7), 0), Some(utc(2026, 1, 1, 10, 15)));
        assert_eq!(next("5,35 * * * *", utc(2026, 1, 1, 10, 35), 0), Some(utc(2026, 1, 1, 11, 5)));
        assert_eq!(next("0 0 1 jan,jul *", utc(2026, 2, 1, 0, 0), 0), Some(utc(2026, 7, 1, 0, 0)));
        assert_eq!(next("30 8 * * 7", utc(2026, 11, 22, 9, 0), 0), Some(utc(2026, 11, 29, 8, 30)), "7 is Sunday");
        assert_eq!(next("0 12 10-20/5 * *", utc(2026, 3, 15, 12, 0), 0), Some(utc(2026, 3, 20, 12, 0)));
    }

    #[test]
    fn day_of_month_or_day_of_week_when_both_are_given() {
        // The 1st of the month or any Monday: after Tue 2026-12-01 comes Mon the 7th.
        assert_eq!(next("0 0 1 * 1", utc(2026, 12, 1, 0, 0), 0), Some(utc(2026, 12, 7, 0, 0)));
    }

    #[test]
    fn expressions_over_the_length_limit_are_refused_at_the_limit() {
        let long = format!("0 0 * * {}", "1,".repeat(MAX_CRON_CHARS));
        let error = Cron::parse(&long).unwrap_err();
        assert_eq!(error.column, MAX_CRON_CHARS + 1);
        assert_eq!(error.problem, format!("an expression may have at most 256 characters (this one has {})", long.chars().count()));
        let every_minute: Vec<String> = (0..60).map(|m| m.to_string()).collect();
        assert!(Cron::parse(&format!("{} * * * *", every_minute.join(","))).is_ok());
    }

    #[test]
    fn the_end_of_time_has_no_next_start_instead_of_overflowing() {
        let cron = Cron::parse("* * * * *").unwrap();
        // The calendar's last millisecond, 262142-12-31T23:59:59.999Z.
        let last = utc(262_142, 12, 31, 23, 59).0 + 59_999;
        assert_eq!(cron.next_after(Millis(u64::MAX), 0), None);
        assert_eq!(cron.next_after(Millis(last), i32::MAX), None);
        assert_eq!(cron.next_after(Millis(last - 300 * 86_400_000), 0), Some(Millis(last - 300 * 86_400_000 - 59_999 + 60_000)));
        assert_eq!(Cron::parse("0 0 1 1 *").unwrap().next_after(Millis(last - 300 * 86_400_000), 0), None);
    }

    #[test]
    fn impossible_dates_never_fire() {
        assert_eq!(next("0 0 30 2 *", utc(2026, 1, 1, 0, 0), 0), None);
    }

    #[test]
    fn bad_expressions_name_the_column_and_the_field() {
        let cases = [
            ("0 9 * *", 8, "expected 5 fields"),
            ("0 9 * * 1-5 x", 13, "expected 5 fields"),
            ("60 9 * * *", 1, "minute: \"60\" is not a value from 0 to 59"),
            ("0 9 * * 5-1", 9, "day of week: range 5-1 runs backwards"),
            ("0 */0 * * *", 5, "hour: step \"0\" must be a whole number from 1"),
            ("0 9 * foo *", 7, "month: \"foo\" is not a value from 1 to 12"),
            ("0 9,25 * * *", 5, "hour: \"25\" is not a value from 0 to 23"),
            ("0 9 * é *", 7, "month: \"é\" is not a value from 1 to 12"),
            ("0 9 ≥ * * *", 11, "expected 5 fields"),
        ];
        for (expr, column, problem) in cases {
            let error = Cron::parse(expr).unwrap_err();
            assert_eq!(error.column, column, "{expr}: {error}");
            assert!(error.problem.contains(problem), "{expr}: {error}");
        }
    }
}
