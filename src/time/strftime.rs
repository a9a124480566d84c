//! strftime formats for the template filter `date:"…"`, read and written
//! as chrono 0.4 did when it did this (templates saved then keep their
//! output; tests/it/fuzz.rs compares the two): the same specifiers,
//! padding modifiers (`%-d`, `%_d`, `%0e`) and composites (`%F`, `%c`),
//! in English, for a time in UTC.
//!
//! One difference: chrono read `%#z` but could not write it (its
//! `to_string` panicked, which trapped the Wasm module on every render), so
//! here it is an invalid format, refused when the template is saved.

use std::fmt::Write;

use super::civil::DateTime;

/// Whether `format` has only specifiers that [`format()`] can write.
pub fn is_valid(format: &str) -> bool {
    Items::new(format).all(|item| item != Item::Error)
}

/// `time` written as `format` says. An invalid specifier (see [`is_valid`])
/// writes nothing.
pub fn format(time: DateTime, format: &str) -> String {
    let mut out = String::new();
    for item in Items::new(format) {
        // Writing to a String cannot fail.
        let _ = write_item(&mut out, time, &item);
    }
    out
}

/// How a number is padded to its width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pad {
    None,
    Zero,
    Space,
}

/// A number a specifier writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Numeric {
    Year,
    YearDiv100,
    YearMod100,
    IsoYear,
    IsoYearMod100,
    Quarter,
    Month,
    Day,
    WeekFromSunday,
    WeekFromMonday,
    IsoWeek,
    DaysFromSunday,
    WeekdayFromMonday,
    Ordinal,
    Hour,
    Hour12,
    Minute,
    Second,
    Nanosecond,
    Timestamp,
}

/// A text a specifier writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fixed {
    ShortMonthName,
    LongMonthName,
    ShortWeekdayName,
    LongWeekdayName,
    LowerAmPm,
    UpperAmPm,
    /// `%.f`: a dot and 3, 6 or 9 digits, or nothing on a whole second.
    Fraction,
    /// `%.3f`, `%3f` and their 6 and 9: exactly that many digits.
    Digits {
        digits: u8,
        dot: bool,
    },
    TimezoneName,
    /// `%z` (no colons), `%:z` (minutes), `%::z` (seconds), `%:::z` (hours only).
    Offset {
        colons: u8,
    },
    Rfc3339,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item<'a> {
    Text(&'a str),
    Numeric(Numeric, Pad),
    Fixed(Fixed),
    Error,
}

const fn zero(numeric: Numeric) -> Item<'static> {
    Item::Numeric(numeric, Pad::Zero)
}

const fn space(numeric: Numeric) -> Item<'static> {
    Item::Numeric(numeric, Pad::Space)
}

const fn bare(numeric: Numeric) -> Item<'static> {
    Item::Numeric(numeric, Pad::None)
}

use Numeric::*;

const DATE: &[Item<'static>] = &[zero(Month), Item::Text("/"), zero(Day), Item::Text("/"), zero(YearMod100)];
const ISO_DATE: &[Item<'static>] = &[zero(Year), Item::Text("-"), zero(Month), Item::Text("-"), zero(Day)];
const HOUR_MINUTE: &[Item<'static>] = &[zero(Hour), Item::Text(":"), zero(Minute)];
const TIME: &[Item<'static>] = &[zero(Hour), Item::Text(":"), zero(Minute), Item::Text(":"), zero(Second)];
const TIME_12: &[Item<'static>] =
    &[zero(Hour12), Item::Text(":"), zero(Minute), Item::Text(":"), zero(Second), Item::Text(" "), Item::Fixed(Fixed::UpperAmPm)];
const DATE_TIME: &[Item<'static>] = &[
    Item::Fixed(Fixed::ShortWeekdayName),
    Item::Text(" "),
    Item::Fixed(Fixed::ShortMonthName),
    Item::Text(" "),
    space(Day),
    Item::Text(" "),
    zero(Hour),
    Item::Text(":"),
    zero(Minute),
    Item::Text(":"),
    zero(Second),
    Item::Text(" "),
    zero(Year),
];
const DAY_MONTH_YEAR: &[Item<'static>] = &[space(Day), Item::Text("-"), Item::Fixed(Fixed::ShortMonthName), Item::Text("-"), zero(Year)];

/// The items of a format, in order: text runs, and each specifier as one
/// item or, for a composite, several.
struct Items<'a> {
    rest: &'a str,
    queue: &'static [Item<'static>],
}

impl<'a> Items<'a> {
    fn new(format: &'a str) -> Items<'a> {
        Items { rest: format, queue: &[] }
    }

    /// The item that starts the specifier after a `%`, from `spec` on.
    fn specifier(&mut self, mut chars: std::str::Chars<'a>) -> Item<'a> {
        let Some(mut spec) = chars.next() else {
            self.rest = "";
            return Item::Error;
        };
        let pad = match spec {
            '-' => Some(Pad::None),
            '0' => Some(Pad::Zero),
            '_' => Some(Pad::Space),
            _ => None,
        };
        if pad.is_some() || spec == '#' {
            let alternate = spec == '#';
            let Some(next) = chars.next() else {
                self.rest = "";
                return Item::Error;
            };
            spec = next;
            // `%#z` was the only alternate form; see the module's doc.
            if alternate {
                self.rest = chars.as_str();
                return Item::Error;
            }
        }
        let mut composite = |items: &'static [Item<'static>]| {
            self.queue = &items[1..];
            items[0]
        };
        let item = match spec {
            'A' => Item::Fixed(Fixed::LongWeekdayName),
            'B' => Item::Fixed(Fixed::LongMonthName),
            'C' => zero(YearDiv100),
            'D' | 'x' => composite(DATE),
            'F' => composite(ISO_DATE),
            'G' => zero(IsoYear),
            'H' => zero(Hour),
            'I' => zero(Hour12),
            'M' => zero(Minute),
            'P' => Item::Fixed(Fixed::LowerAmPm),
            'R' => composite(HOUR_MINUTE),
            'S' => zero(Second),
            'T' | 'X' => composite(TIME),
            'U' => zero(WeekFromSunday),
            'V' => zero(IsoWeek),
            'W' => zero(WeekFromMonday),
            'Y' => zero(Year),
            'Z' => Item::Fixed(Fixed::TimezoneName),
            'a' => Item::Fixed(Fixed::ShortWeekdayName),
            'b' | 'h' => Item::Fixed(Fixed::ShortMonthName),
            'c' => composite(DATE_TIME),
            'd' => zero(Day),
            'e' => space(Day),
            'f' => zero(Nanosecond),
            'g' => zero(IsoYearMod100),
            'j' => zero(Ordinal),
            'k' => space(Hour),
            'l' => space(Hour12),
            'm' => zero(Month),
            'n' => Item::Text("\n"),
            'p' => Item::Fixed(Fixed::UpperAmPm),
            'q' => bare(Quarter),
            'r' => composite(TIME_12),
            's' => bare(Timestamp),
            't' => Item::Text("\t"),
            'u' => bare(WeekdayFromMonday),
            'v' => composite(DAY_MONTH_YEAR),
            'w' => bare(DaysFromSunday),
            'y' => zero(YearMod100),
            'z' => Item::Fixed(Fixed::Offset { colons: 0 }),
            '+' => Item::Fixed(Fixed::Rfc3339),
            ':' => {
                let rest = chars.as_str();
                let colons = ["z", ":z", "::z"].iter().position(|tail| rest.starts_with(tail));
                match colons {
                    Some(more) => {
                        chars = rest[more + 1..].chars();
                        Item::Fixed(Fixed::Offset { colons: more as u8 + 1 })
                    }
                    None => Item::Error,
                }
            }
            '.' => match chars.next() {
                Some('f') => Item::Fixed(Fixed::Fraction),
                Some(digits @ ('3' | '6' | '9')) => match chars.next() {
                    Some('f') => Item::Fixed(Fixed::Digits { digits: digits as u8 - b'0', dot: true }),
                    _ => Item::Error,
                },
                _ => Item::Error,
            },
            digits @ ('3' | '6' | '9') => match chars.next() {
                Some('f') => Item::Fixed(Fixed::Digits { digits: digits as u8 - b'0', dot: false }),
                _ => Item::Error,
            },
            '%' => Item::Text("%"),
            _ => Item::Error,
        };
        self.rest = chars.as_str();
        match (pad, item) {
            (None, item) => item,
            // A padding modifier applies to a lone number only.
            (Some(pad), Item::Numeric(numeric, _)) if self.queue.is_empty() => Item::Numeric(numeric, pad),
            (Some(_), _) => Item::Error,
        }
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        if let Some((item, rest)) = self.queue.split_first() {
            self.queue = rest;
            return Some(*item);
        }
        let rest = self.rest;
        match rest.strip_prefix('%') {
            Some(spec) => Some(self.specifier(spec.chars())),
            None if rest.is_empty() => None,
            None => {
                let end = rest.find('%').unwrap_or(rest.len());
                self.rest = &rest[end..];
                Some(Item::Text(&rest[..end]))
            }
        }
    }
}

const SHORT_MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const LONG_MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const SHORT_WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

fn write_item(out: &mut String, time: DateTime, item: &Item<'_>) -> std::fmt::Result {
    let date = time.date();
    let (hour, minute, second) = time.hms();
    let nanos = time.nanos();
    let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
    match *item {
        Item::Text(text) => out.push_str(text),
        Item::Error => {}
        Item::Numeric(numeric, pad) => match numeric {
            Year => write_year(out, date.year, pad)?,
            IsoYear => write_year(out, date.iso_week().0, pad)?,
            Ordinal => write_padded(out, 3, date.ordinal().into(), pad, false)?,
            Nanosecond => write_padded(out, 9, (nanos % 1_000_000_000).into(), pad, false)?,
            Timestamp => write_padded(out, 9, time.unix_seconds(), pad, false)?,
            Quarter => out.push(char::from(b'1' + ((date.month - 1) / 3) as u8)),
            DaysFromSunday => out.push(char::from(b'0' + date.weekday_from_sunday() as u8)),
            WeekdayFromMonday => out.push(char::from(b'1' + date.weekday_from_monday() as u8)),
            two_digits => {
                let value = match two_digits {
                    YearDiv100 => date.year.div_euclid(100),
                    YearMod100 => date.year.rem_euclid(100),
                    IsoYearMod100 => date.iso_week().0.rem_euclid(100),
                    Month => date.month.into(),
                    WeekFromSunday => weeks_from(date.ordinal(), date.weekday_from_sunday()),
                    WeekFromMonday => weeks_from(date.ordinal(), date.weekday_from_monday()),
                    IsoWeek => date.iso_week().1.into(),
                    Hour => hour.into(),
                    Hour12 => hour12.into(),
                    Minute => minute.into(),
                    Second => (second + nanos / 1_000_000_000).into(),
                    _ => date.day.into(),
                };
                // As chrono: the centuries of years beyond 25599 wrap as a byte.
                write_two(out, value as u8, pad);
            }
        },
        Item::Fixed(fixed) => match fixed {
            Fixed::ShortMonthName => out.push_str(SHORT_MONTHS[date.month as usize - 1]),
            Fixed::LongMonthName => out.push_str(LONG_MONTHS[date.month as usize - 1]),
            Fixed::ShortWeekdayName => out.push_str(SHORT_WEEKDAYS[date.weekday_from_sunday() as usize]),
            Fixed::LongWeekdayName => out.push_str(LONG_WEEKDAYS[date.weekday_from_sunday() as usize]),
            Fixed::LowerAmPm => out.push_str(if hour >= 12 { "pm" } else { "am" }),
            Fixed::UpperAmPm => out.push_str(if hour >= 12 { "PM" } else { "AM" }),
            Fixed::Fraction => write_fraction(out, nanos % 1_000_000_000)?,
            Fixed::Digits { digits, dot } => {
                if dot {
                    out.push('.');
                }
                match digits {
                    3 => write!(out, "{:03}", nanos / 1_000_000 % 1000)?,
                    6 => write!(out, "{:06}", nanos / 1000 % 1_000_000)?,
                    _ => write!(out, "{:09}", nanos % 1_000_000_000)?,
                }
            }
            Fixed::TimezoneName => out.push_str("UTC"),
            Fixed::Offset { colons } => out.push_str(["+0000", "+00:00", "+00:00:00", "+00"][usize::from(colons)]),
            Fixed::Rfc3339 => write_rfc3339(out, time)?,
        },
    }
    Ok(())
}

/// Weeks of the year whose first day is the one `since_first` days before
/// the date's weekday; days before the first such week are week 0.
fn weeks_from(ordinal: u32, since_first: u32) -> i64 {
    (i64::from(ordinal) - i64::from(since_first) + 6) / 7
}

fn write_two(out: &mut String, value: u8, pad: Pad) {
    match (value / 10, pad) {
        (0, Pad::None) => {}
        (0, Pad::Space) => out.push(' '),
        (tens, _) => out.push(char::from(b'0'.wrapping_add(tens))),
    }
    out.push(char::from(b'0' + value % 10));
}

fn write_year(out: &mut String, year: i64, pad: Pad) -> std::fmt::Result {
    write_padded(out, 4, year, pad, !(0..10_000).contains(&year))
}

fn write_padded(out: &mut String, width: usize, value: i64, pad: Pad, sign: bool) -> std::fmt::Result {
    match (pad, sign) {
        (Pad::None, false) => write!(out, "{value}"),
        (Pad::Zero, false) => write!(out, "{value:0width$}"),
        (Pad::Space, false) => write!(out, "{value:width$}"),
        (Pad::None, true) => write!(out, "{value:+}"),
        (Pad::Zero, true) => write!(out, "{value:+0width$}", width = width + 1),
        (Pad::Space, true) => write!(out, "{value:+width$}", width = width + 1),
    }
}

/// A dot and the fraction in 3, 6 or 9 digits, as few as show it; nothing
/// for a whole second.
fn write_fraction(out: &mut String, nanos: u32) -> std::fmt::Result {
    if nanos == 0 {
        Ok(())
    } else if nanos % 1_000_000 == 0 {
        write!(out, ".{:03}", nanos / 1_000_000)
    } else if nanos % 1000 == 0 {
        write!(out, ".{:06}", nanos / 1000)
    } else {
        write!(out, ".{nanos:09}")
    }
}

/// `2022-04-07T21:39:13.042+00:00`: RFC 3339 with as many fraction digits
/// as show it (`%+`).
fn write_rfc3339(out: &mut String, time: DateTime) -> std::fmt::Result {
    write_date_time(out, time)?;
    write_fraction(out, time.nanos() % 1_000_000_000)?;
    out.push_str("+00:00");
    Ok(())
}

/// `2022-04-07T21:39:13`, a leap second as :60, a year beyond 0 to 9999
/// with its sign and at least 4 digits. Digit by digit rather than through
/// `write!`: the log's times are written for every event.
pub fn write_date_time(out: &mut String, time: DateTime) -> std::fmt::Result {
    let date = time.date();
    let (hour, minute, second) = time.hms();
    match u32::try_from(date.year) {
        Ok(year) if year <= 9999 => push_digits(out, year, 4),
        _ => write!(out, "{:+05}", date.year)?,
    }
    let second = second + time.nanos() / 1_000_000_000;
    for (separator, value) in [('-', date.month), ('-', date.day), ('T', hour), (':', minute), (':', second)] {
        out.push(separator);
        push_digits(out, value, 2);
    }
    Ok(())
}

/// The last `width` decimal digits of `value`, zeros first.
pub fn push_digits(out: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        out.push(char::from(b'0' + (value / 10u32.pow(place) % 10) as u8));
    }
}
