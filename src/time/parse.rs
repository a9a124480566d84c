//! Reading times from text: RFC 3339 (a template's ISO 8601 time) and
//! RFC 2822 (an HTTP date in `Retry-After`), accepting exactly what chrono
//! 0.4's `parse_from_rfc3339` and `parse_from_rfc2822` accepted, which
//! these replaced (tests/it/fuzz.rs compares them).

use super::civil::{Date, DateTime};

/// `1996-12-19T16:39:57-08:00` (`t` or a space may separate date and
/// time; `z` or `−` may be used; any number of fraction digits, nine kept;
/// `:60` is a leap second), as an instant in UTC.
pub fn rfc3339(text: &str) -> Option<DateTime> {
    let bytes = text.as_bytes();
    if bytes.len() < 19 {
        return None;
    }
    let digits = |at: usize, count: usize| -> Option<u32> {
        bytes[at..at + count].iter().try_fold(0, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, byte)| bytes[at] != byte) || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    let date = Date::new(digits(0, 4)?.into(), digits(5, 2)?, digits(8, 2)?)?;
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    let (second, mut nanos) = if second == 60 { (59, 1_000_000_000) } else { (second, 0) };
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let (after, fraction) = nanoseconds(fraction)?;
        nanos += fraction;
        rest = after;
    }
    if hour >= 24 || minute >= 60 || second >= 60 {
        return None;
    }
    let offset = match rest.as_bytes().first()? {
        b'Z' | b'z' if rest.len() == 1 => 0,
        _ => {
            let (sign, rest) = offset_sign(rest, true)?;
            let (hours, rest) = (two_digits(rest)?, &rest[2..]);
            let rest = rest.strip_prefix(':')?;
            let minutes = offset_minutes(rest)?;
            if rest.len() != 2 {
                return None;
            }
            sign * (hours * 3600 + minutes * 60)
        }
    };
    if offset.abs() >= 86_400 {
        return None;
    }
    DateTime::from_local(date, (hour, minute, second), nanos, offset)
}

/// `Wed, 21 Oct 2015 07:28:00 GMT`, as an instant in UTC. Lenient as
/// chrono was: the weekday and seconds are optional, spaces may repeat,
/// two- and three-digit years are 1900s or 2000s, zones are an offset or a
/// name (`UT`, `GMT`, US zones, military letters), comments may follow.
pub fn rfc2822(text: &str) -> Option<DateTime> {
    let mut s = text.trim_start();
    let mut weekday = None;
    if let Some(day) = name_of_three(s, &["mon", "tue", "wed", "thu", "fri", "sat", "sun"]) {
        s = s[3..].strip_prefix(',')?;
        weekday = Some(day as u32);
    }
    s = s.trim_start();
    let (rest, day) = number(s, 1, 2)?;
    s = space(rest)?;
    let month = name_of_three(s, &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])?;
    s = space(&s[3..])?;
    let (rest, year) = number(s, 2, usize::MAX)?;
    let year = match (s.len() - rest.len(), year) {
        (2, 0..=49) => year + 2000,
        (2, 50..=99) | (3, _) => year + 1900,
        _ => year,
    };
    s = space(rest)?;
    let (rest, hour) = number(s, 2, 2)?;
    s = rest.trim_start().strip_prefix(':')?.trim_start();
    let (rest, minute) = number(s, 2, 2)?;
    s = rest;
    let mut second = 0;
    if let Some(after) = s.trim_start().strip_prefix(':') {
        (s, second) = number(after, 2, 2)?;
    }
    s = space(s)?;
    let (rest, offset) = zone(s)?;
    s = rest;
    while let Some(rest) = comment(s) {
        s = rest;
    }
    if !s.is_empty() || day < 1 || hour > 23 || minute > 59 || second > 60 || offset.abs() >= 86_400 {
        return None;
    }
    let date = Date::new(i32::try_from(year).ok()?.into(), month as u32 + 1, day as u32)?;
    if weekday.is_some_and(|weekday| weekday != date.weekday_from_monday()) {
        return None;
    }
    let (second, nanos) = if second == 60 { (59, 1_000_000_000) } else { (second as u32, 0) };
    DateTime::from_local(date, (hour as u32, minute as u32, second), nanos, offset)
}

/// The first one to nine digits as nanoseconds, and the text after any further digits.
fn nanoseconds(text: &str) -> Option<(&str, u32)> {
    let (rest, value) = number(text, 1, 9)?;
    let scale = 10u32.pow(9 - (text.len() - rest.len()) as u32);
    Some((rest.trim_start_matches(|c: char| c.is_ascii_digit()), value as u32 * scale))
}

/// `+`, `-` or (if `minus_sign`) `−`: the sign and the text after it.
fn offset_sign(text: &str, minus_sign: bool) -> Option<(i64, &str)> {
    let mut chars = text.chars();
    let sign = match chars.next()? {
        '+' => 1,
        '-' => -1,
        '−' if minus_sign => -1,
        _ => return None,
    };
    Some((sign, chars.as_str()))
}

fn two_digits(text: &str) -> Option<i64> {
    match text.as_bytes() {
        [tens @ b'0'..=b'9', ones @ b'0'..=b'9', ..] => Some(i64::from((tens - b'0') * 10 + (ones - b'0'))),
        _ => None,
    }
}

/// An offset's minutes, 00 to 59.
fn offset_minutes(text: &str) -> Option<i64> {
    two_digits(text).filter(|&minutes| minutes < 60)
}

/// An RFC 2822 zone in seconds east of UTC: `+hhmm`, `-hhmm` or a name.
fn zone(text: &str) -> Option<(&str, i64)> {
    let letters = text.bytes().position(|b| !b.is_ascii_alphabetic()).unwrap_or(text.len());
    if letters == 0 {
        let (sign, rest) = offset_sign(text, false)?;
        let hours = two_digits(rest)?;
        let minutes = offset_minutes(&rest[2..])?;
        return Some((&rest[4..], sign * (hours * 3600 + minutes * 60)));
    }
    let (name, rest) = text.split_at(letters);
    let hours = match name.to_ascii_lowercase().as_str() {
        "gmt" | "ut" | "z" => 0,
        "edt" => -4,
        "est" | "cdt" => -5,
        "cst" | "mdt" => -6,
        "mst" | "pdt" => -7,
        "pst" => -8,
        // Military zones, whose signs RFC 2822 calls unreliable: -0000.
        military if military.len() == 1 && military != "j" => 0,
        _ => return None,
    };
    Some((rest, hours * 3600))
}

/// After optional spaces, a parenthesised comment (nested, `\` escaping):
/// the text after it.
fn comment(text: &str) -> Option<&str> {
    let text = text.trim_start();
    let mut depth = 0usize;
    let mut escaped = false;
    for (at, byte) in text.bytes().enumerate() {
        match (depth, escaped, byte) {
            (0, _, b'(') => depth = 1,
            (0, _, _) => return None,
            (_, true, _) => escaped = false,
            (1, false, b')') => return Some(&text[at + 1..]),
            (_, false, b'\\') => escaped = true,
            (_, false, b'(') => depth += 1,
            (_, false, b')') => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Which of `names` (three lowercase ASCII letters each) `text` starts with, in any case.
fn name_of_three(text: &str, names: &[&str]) -> Option<usize> {
    let start = text.as_bytes().get(..3)?;
    names.iter().position(|name| name.as_bytes().iter().zip(start).all(|(n, b)| *n == b | 32))
}

/// At least `min` and at most `max` ASCII digits as a number: the text after them and the number.
fn number(text: &str, min: usize, max: usize) -> Option<(&str, i64)> {
    let count = text.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if count < min {
        return None;
    }
    let value = text.bytes().take(count).try_fold(0i64, |n, b| n.checked_mul(10)?.checked_add(i64::from(b - b'0')))?;
    Some((&text[count..], value))
}

/// Mandatory whitespace: the text after it.
fn space(text: &str) -> Option<&str> {
    let rest = text.trim_start();
    (rest.len() < text.len()).then_some(rest)
}
