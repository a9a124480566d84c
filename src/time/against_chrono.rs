//! src/time replaced chrono 0.4 in the module; these check, natively, that
//! it reads and writes times exactly as chrono did, on generated formats,
//! texts and instants (the leap seconds, far years and odd spacing
//! included), so that templates, HTTP dates and logged times keep their
//! meaning. `FUZZ_CASES` sets the cases, as in tests/it/fuzz.rs.

use chrono::format::{Item, StrftimeItems};
use chrono::{SecondsFormat, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm};

use super::{parse, strftime, DateTime, Millis};

fn budget() -> ProptestConfig {
    let cases = std::env::var("FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2_500);
    ProptestConfig { cases, failure_persistence: None, rng_algorithm: RngAlgorithm::XorShift, ..ProptestConfig::default() }
}

/// chrono's range in milliseconds, and a little beyond on both sides.
fn millis() -> impl Strategy<Value = i64> {
    let last = chrono::DateTime::<Utc>::MAX_UTC.timestamp_millis();
    let first = chrono::DateTime::<Utc>::MIN_UTC.timestamp_millis();
    prop_oneof![
        4 => -100_000_000_000_000i64..5_000_000_000_000_000,
        1 => (first - 100_000)..(first + 100_000_000_000),
        1 => (last - 100_000_000_000)..(last + 100_000),
        1 => any::<i64>(),
    ]
}

/// RFC 3339 texts: mostly well formed, with leap seconds, odd fractions,
/// offsets near the limits and single characters changed.
fn rfc3339_text() -> impl Strategy<Value = String> {
    let well_formed = (
        "[0-9]{4}",
        "0[0-9]|1[0-3]",
        "[0-3][0-9]",
        "[Tt ]",
        "[0-2][0-9]",
        "[0-6][0-9]",
        "[0-6][0-9]",
        "(\\.[0-9]{0,12})?",
        "[Zz]|[+\\-−][0-2][0-9]:[0-6][0-9]|[+\\-][0-9]{2}[0-9]{0,3}",
    )
        .prop_map(|(y, mo, d, t, h, mi, s, frac, zone)| format!("{y}-{mo}-{d}{t}{h}:{mi}:{s}{frac}{zone}"));
    prop_oneof![
        6 => well_formed.clone(),
        2 => (well_formed, any::<prop::sample::Index>(), "[0-9:\\-+.TZ é]").prop_map(|(text, at, with)| {
            let mut chars: Vec<char> = text.chars().collect();
            let at = at.index(chars.len());
            chars[at] = with.chars().next().unwrap_or(' ');
            chars.into_iter().collect()
        }),
        1 => "[ -~]{0,30}",
    ]
}

/// RFC 2822 texts, built from its grammar's parts with spacing, case and
/// zones varied, and some arbitrary text.
fn rfc2822_text() -> impl Strategy<Value = String> {
    (
        prop_oneof![3 => Just(String::new()), 1 => "(Mon|tue|WED|Thu|Fri|Sat|sun|Xyz), ?"],
        "[ \t]{0,2}(0?[1-9]|[12][0-9]|3[01]|[0-9]{1,3})",
        " {1,2}(Jan|feb|MAR|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Foo)",
        " {1,2}(19[0-9]{2}|20[0-9]{2}|[0-9]{1,6})",
        " {1,2}[0-9]{2} ?: ?[0-9]{2}( ?:[0-9]{2})?",
        " {0,2}([+\\-−][0-9]{4}|GMT|UT|ut|Z|EST|edt|CST|MDT|PST|pdt|[a-zA-Z]{1,3})",
        "( ?\\(([a-z ()\\\\]){0,8}\\)){0,2}",
    )
        .prop_map(|(weekday, day, month, year, time, zone, comment)| format!("{weekday}{day}{month}{year}{time}{zone}{comment}"))
}

/// strftime formats: specifiers, modifiers and text in any order.
fn format_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "(%[-_0#]?[a-zA-Z+%:.369]|%:{1,3}z|%\\.?[369]f|[ é\t-]){0,6}",
        1 => "[%a-zA-Z0-9:.#_ -]{0,10}",
    ]
}

/// chrono's output for a format, `None` where it refused the format or
/// could not write it.
fn chrono_format(time: chrono::DateTime<Utc>, format: &str) -> Option<String> {
    if StrftimeItems::new(format).any(|item| item == Item::Error) {
        return None;
    }
    let mut out = String::new();
    time.format_with_items(StrftimeItems::new(format)).write_to(&mut out).ok()?;
    Some(out)
}

fn chrono_rfc3339(text: &str) -> Option<chrono::DateTime<Utc>> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|time| time.with_timezone(&Utc))
}

fn same_instant(ours: Option<DateTime>, theirs: Option<chrono::DateTime<Utc>>) -> bool {
    ours.map(|time| (time.unix_seconds(), time.nanos())) == theirs.map(|time| (time.timestamp(), time.timestamp_subsec_nanos()))
}

proptest! {
    #![proptest_config(budget())]

    #[test]
    fn formats_are_accepted_and_written_as_chrono_did(format in format_text(), ms in millis()) {
        let (Some(ours), Some(theirs)) = (DateTime::from_millis(ms), chrono::DateTime::from_timestamp_millis(ms)) else {
            prop_assert_eq!(DateTime::from_millis(ms).is_some(), chrono::DateTime::from_timestamp_millis(ms).is_some(), "{}", ms);
            return Ok(());
        };
        let expected = chrono_format(theirs, &format);
        prop_assert_eq!(strftime::is_valid(&format), expected.is_some(), "{:?}", format);
        if let Some(expected) = expected {
            prop_assert_eq!(strftime::format(ours, &format), expected, "{:?} at {}", format, ms);
        }
    }

    #[test]
    fn rfc3339_times_parse_and_format_as_chrono_did(text in rfc3339_text(), format in format_text()) {
        let (ours, theirs) = (parse::rfc3339(&text), chrono_rfc3339(&text));
        prop_assert!(same_instant(ours, theirs), "{:?}: {:?} {:?}", text, ours, theirs);
        if let (Some(ours), Some(theirs), Some(expected)) = (ours, theirs, theirs.and_then(|t| chrono_format(t, &format))) {
            let _ = theirs;
            prop_assert_eq!(strftime::format(ours, &format), expected, "{:?} as {:?}", text, format);
        }
    }

    #[test]
    fn http_dates_parse_as_chrono_did(text in prop_oneof![3 => rfc2822_text(), 1 => "[ -~]{0,40}"]) {
        let expected = chrono::DateTime::parse_from_rfc2822(text.trim()).ok().and_then(|time| u64::try_from(time.timestamp_millis()).ok());
        prop_assert_eq!(Millis::parse_http_date(&text), expected.map(Millis), "{:?}", text);
    }

    #[test]
    fn iso8601_is_written_as_chrono_did(ms in any::<u64>()) {
        let chrono_ms = i64::try_from(ms).unwrap_or(i64::MAX);
        let expected = chrono::DateTime::from_timestamp_millis(chrono_ms).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Millis, true);
        prop_assert_eq!(Millis(ms).iso8601(), expected);
    }
}

#[test]
fn chrono_could_not_write_the_alternate_offset_so_it_is_refused() {
    let now = chrono::DateTime::from_timestamp_millis(0).unwrap();
    assert!(StrftimeItems::new("%#z").all(|item| item != Item::Error), "chrono accepted it");
    assert_eq!(chrono_format(now, "%#z"), None, "but could not write it");
    assert!(!strftime::is_valid("%#z"));
}
