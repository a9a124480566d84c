//! Wall-clock time as the core sees it: an input, never read by the core.
//!
//! Time is Unix milliseconds (what `Date.now()` returns), so deadlines stay
//! meaningful after the service worker is stopped and its state restored.

#[cfg(all(test, not(target_arch = "wasm32")))]
mod against_chrono;
mod civil;
pub mod parse;
pub mod strftime;

use serde::{Deserialize, Serialize};

pub use civil::{Date, DateTime};

/// A point in time, in milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Millis(pub u64);

impl Millis {
    /// This instant moved `ms` milliseconds later.
    pub fn plus(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Millis) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Whole seconds since the epoch, as Standard Webhooks' `webhook-timestamp`.
    pub fn unix_seconds(self) -> u64 {
        self.0 / 1000
    }

    /// ISO 8601 in UTC with milliseconds, e.g. `2022-04-07T21:39:13.000Z`;
    /// the epoch's for a time beyond the year 262142.
    pub fn iso8601(self) -> String {
        let ms = i64::try_from(self.0).unwrap_or(i64::MAX);
        let time = DateTime::from_millis(ms).unwrap_or(DateTime::EPOCH);
        let mut text = String::with_capacity(24);
        // Writing to a String cannot fail.
        let _ = strftime::write_date_time(&mut text, time);
        text.push('.');
        strftime::push_digits(&mut text, time.nanos() / 1_000_000, 3);
        text.push('Z');
        text
    }

    /// Parses an HTTP date (`Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`).
    pub fn parse_http_date(text: &str) -> Option<Millis> {
        u64::try_from(parse::rfc2822(text.trim())?.millis()).ok().map(Millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_iso8601_utc_with_milliseconds() {
        assert_eq!(Millis(1_649_367_553_042).iso8601(), "2022-04-07T21:39:13.042Z");
        assert_eq!(Millis(0).iso8601(), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn parses_imf_fixdate() {
        assert_eq!(Millis::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Millis(1_445_412_480_000)));
        assert_eq!(Millis::parse_http_date("soon"), None);
    }
}
