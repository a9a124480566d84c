//! Dates and times in UTC on the proleptic Gregorian calendar, by day
//! counts from the Unix epoch (Howard Hinnant's `days_from_civil` and
//! `civil_from_days`, <https://howardhinnant.github.io/date_algorithms.html>).
//!
//! The range is chrono's, which this replaced (its code was 41,138 bytes of
//! the Wasm module's): years -262143 to 262142, so a millisecond figure
//! that chrono refused as a date is refused here too.

/// The first and last years a [`Date`] may have.
const YEARS: std::ops::RangeInclusive<i64> = -262_143..=262_142;

const SECONDS_PER_DAY: i64 = 86_400;

/// A calendar date. Only [`Date::new`] and [`Date::from_days`] make one, so
/// it is always a real day within [`YEARS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date {
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
}

impl Date {
    /// The date, if it exists and is within the range.
    pub fn new(year: i64, month: u32, day: u32) -> Option<Date> {
        let exists = YEARS.contains(&year) && (1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day);
        exists.then_some(Date { year, month, day })
    }

    /// The date `days` after 1970-01-01 (before it, if negative).
    pub fn from_days(days: i64) -> Option<Date> {
        if !DAYS.contains(&days) {
            return None;
        }
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153; // March is 0
        let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
        let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 } as u32;
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Some(Date { year, month, day })
    }

    /// Days from 1970-01-01 to this date.
    pub const fn days(self) -> i64 {
        let year = self.year - (self.month <= 2) as i64;
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let shifted_month = ((self.month + 9) % 12) as i64; // March is 0
        let day_of_year = (153 * shifted_month + 2) / 5 + self.day as i64 - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// Days since Sunday: 0 (Sunday) to 6 (Saturday).
    pub fn weekday_from_sunday(self) -> u32 {
        // 1970-01-01 was a Thursday.
        (self.days() + 4).rem_euclid(7) as u32
    }

    /// Days since Monday: 0 (Monday) to 6 (Sunday).
    pub fn weekday_from_monday(self) -> u32 {
        (self.weekday_from_sunday() + 6) % 7
    }

    /// Day of the year, 1 to 366.
    pub fn ordinal(self) -> u32 {
        (self.days() - Date { year: self.year, month: 1, day: 1 }.days()) as u32 + 1
    }

    /// The ISO 8601 week-numbering year and week (1 to 53).
    pub fn iso_week(self) -> (i64, u32) {
        let week = (self.ordinal() as i64 - i64::from(self.weekday_from_monday()) + 9) / 7;
        if week < 1 {
            (self.year - 1, iso_weeks_in(self.year - 1))
        } else if week > i64::from(iso_weeks_in(self.year)) {
            (self.year + 1, 1)
        } else {
            (self.year, week as u32)
        }
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// 53 if the year starts on a Thursday, or is a leap year starting on a Wednesday.
fn iso_weeks_in(year: i64) -> u32 {
    let january_first = (Date { year, month: 1, day: 1 }.days() + 3).rem_euclid(7); // 0 is Monday
    if january_first == 3 || (january_first == 2 && is_leap(year)) {
        53
    } else {
        52
    }
}

/// The day numbers of the range's first and last dates.
const DAYS: std::ops::RangeInclusive<i64> =
    Date { year: *YEARS.start(), month: 1, day: 1 }.days()..=Date { year: *YEARS.end(), month: 12, day: 31 }.days();

/// An instant in UTC, to the nanosecond. During a leap second (23:59:60,
/// which RFC 3339 text may name) `nanos` runs past a second: the seconds
/// stay at :59, as chrono kept them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    /// Seconds since the epoch, leap seconds not counted.
    secs: i64,
    /// Below 2,000,000,000; 1,000,000,000 or more only in a leap second.
    nanos: u32,
}

impl DateTime {
    /// The epoch, 1970-01-01T00:00:00Z.
    pub const EPOCH: DateTime = DateTime { secs: 0, nanos: 0 };

    /// The instant `ms` milliseconds after the epoch, if its date is in range.
    pub fn from_millis(ms: i64) -> Option<DateTime> {
        DateTime::new(ms.div_euclid(1000), ms.rem_euclid(1000) as u32 * 1_000_000)
    }

    /// The instant at `secs` (and `nanos`) after the epoch, if its date is in range.
    pub fn new(secs: i64, nanos: u32) -> Option<DateTime> {
        DAYS.contains(&secs.div_euclid(SECONDS_PER_DAY)).then_some(DateTime { secs, nanos })
    }

    /// The UTC instant of a date and time of day given at `offset` seconds
    /// east of UTC; `nanos` may hold a leap second. `None` if that instant's
    /// date is out of range.
    pub fn from_local(date: Date, hms: (u32, u32, u32), nanos: u32, offset: i64) -> Option<DateTime> {
        let (hour, minute, second) = hms;
        let local = date.days() * SECONDS_PER_DAY + i64::from(hour * 3600 + minute * 60 + second);
        DateTime::new(local - offset, nanos)
    }

    pub fn date(self) -> Date {
        // `new` checked the day.
        Date::from_days(self.secs.div_euclid(SECONDS_PER_DAY)).unwrap_or(Date { year: 1970, month: 1, day: 1 })
    }

    /// Hour, minute and second; the second is 59 during a leap second.
    pub fn hms(self) -> (u32, u32, u32) {
        let of_day = self.secs.rem_euclid(SECONDS_PER_DAY) as u32;
        (of_day / 3600, of_day / 60 % 60, of_day % 60)
    }

    /// Seconds since the epoch, leap seconds not counted.
    pub fn unix_seconds(self) -> i64 {
        self.secs
    }

    /// Nanoseconds into the second: 1,000,000,000 or more in a leap second.
    pub fn nanos(self) -> u32 {
        self.nanos
    }

    /// Milliseconds since the epoch; a leap second counts as the next second.
    pub fn millis(self) -> i64 {
        self.secs * 1000 + i64::from(self.nanos / 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_convert_both_ways_across_the_range() {
        let (first, last) = (*DAYS.start(), *DAYS.end());
        for days in DAYS.step_by(997).chain([first, last, -1, 0, 1, 59, 60, 11_016]) {
            let date = Date::from_days(days).unwrap();
            assert_eq!(date.days(), days, "{date:?}");
            assert_eq!(Date::new(date.year, date.month, date.day), Some(date));
        }
        assert_eq!(Date::from_days(0), Some(Date { year: 1970, month: 1, day: 1 }));
        assert_eq!(Date::from_days(first - 1), None);
        assert_eq!(Date::from_days(last + 1), None);
        assert_eq!(Date::new(2023, 2, 29), None);
        assert_eq!(Date::new(2024, 2, 29).map(Date::ordinal), Some(60));
    }

    #[test]
    fn iso_weeks_roll_over_at_the_ends_of_years() {
        assert_eq!(Date::new(2021, 1, 3).unwrap().iso_week(), (2020, 53));
        assert_eq!(Date::new(2024, 12, 30).unwrap().iso_week(), (2025, 1));
        assert_eq!(Date::new(2026, 12, 7).unwrap().iso_week(), (2026, 50));
    }
}
