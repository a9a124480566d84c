//! Why webhook input or stored settings were refused: one variant per
//! problem, each with its message, and the field it is about.

use thiserror::Error;

use super::{BATCH_EVENTS_RANGE, BATCH_WAIT_RANGE_S, MAX_AUTO_DISABLE_AFTER, MAX_NAME_CHARS, MAX_RETRIES, RATE_RANGE, TIMEOUT_RANGE_MS};
use crate::filter::FilterError;
use crate::preset::Preset;
use crate::signing::SecretError;
use crate::template::TemplateError;

/// Why webhook input was refused. [`ConfigError::field`] names the field.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// No URL on create.
    #[error("url is required")]
    UrlMissing,
    /// An import whose URL was left out of the file (it holds a credential)
    /// and that matches no webhook here to take it from.
    #[error("url was left out of the export (it holds a credential) and no webhook here has it; export with secrets to move it")]
    UrlOmitted,
    /// An import whose URL was left out of the file (it holds a credential)
    /// and that changes where, or for what, the webhook here sends it.
    #[error(
        "url was left out of the export (it holds a credential), and the file changes {0}: this browser's URL is not sent somewhere new; export with secrets to move it"
    )]
    UrlOmittedRedirected(String),
    /// The URL does not parse.
    #[error("url does not parse: {0}")]
    UrlUnparsable(String),
    /// Only http and https can be delivered to.
    #[error("url must use http or https, not {0}")]
    UrlScheme(String),
    /// `user:password@` in a URL would leak into logs and exports.
    #[error("url must not contain a user name or password; use a header instead")]
    UrlCredentials,
    /// A text over its limit (see the module's table of limits).
    #[error("{what} must be at most {max} characters (it has {chars})")]
    TooLong {
        /// The message-API field.
        field: &'static str,
        /// Which text: the field, or a part of it such as one header's value.
        what: String,
        /// The limit.
        max: usize,
        /// The text's length in characters.
        chars: usize,
    },
    /// A list over its limit.
    #[error("{field} must have at most {max} {items} (it has {count})")]
    TooMany {
        /// The message-API field.
        field: &'static str,
        /// What the list holds.
        items: &'static str,
        /// The limit.
        max: usize,
        /// How many it has.
        count: usize,
    },
    /// An empty name.
    #[error("name must not be empty")]
    NameEmpty,
    /// A name of 100 characters or more.
    #[error("name must be under {MAX_NAME_CHARS} characters (it has {0})")]
    NameTooLong(usize),
    /// A method other than the four supported.
    #[error("method must be POST, GET, PUT or PATCH, not {0:?}")]
    Method(String),
    /// An empty event list.
    #[error("events must name at least one event")]
    NoEvents,
    /// An event name that does not exist.
    #[error("events: {0:?} is not an event")]
    UnknownEvent(String),
    /// `headers` and `headersJson` both given.
    #[error("headers: give either headers or headersJson, not both")]
    HeadersTwice,
    /// Header JSON text that does not parse.
    #[error("headers JSON does not parse at line {line}, column {column}: {reason}")]
    HeadersJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The parser's explanation.
        reason: String,
    },
    /// Headers that are not a JSON object.
    #[error("headers must be an object of header names to values")]
    HeadersNotObject,
    /// A header whose value is neither a string nor `{"value", "secret"}`.
    #[error("header {0:?} must have a string value, or be {{\"value\": \"…\", \"secret\": false}}")]
    HeaderNotString(String),
    /// A header given without a value that has none stored to keep.
    #[error("header {0:?} has no value: give one (a value is left out only to keep the stored one)")]
    HeaderValueMissing(String),
    /// A header that never carries a credential, marked secret.
    #[error("header {0:?} never carries a credential, so it cannot be marked secret")]
    HeaderNeverSecret(String),
    /// A header name that is not an HTTP token.
    #[error("header name {0:?} is not a valid HTTP header name")]
    HeaderName(String),
    /// CR, LF or NUL would split or end the header.
    #[error("header {0:?} has a line break or NUL in its value")]
    HeaderValue(String),
    /// fetch throws on a header value beyond Latin-1.
    #[error("header {0:?} has characters a header cannot carry: only Latin-1 text is allowed")]
    HeaderNotLatin1(String),
    /// The browser would silently drop it.
    #[error("header {0:?} is forbidden: the browser would drop it from the request")]
    HeaderForbidden(String),
    /// AutoHook sets it itself.
    #[error("header {0:?} is set by AutoHook itself")]
    HeaderReserved(String),
    /// A secret that cannot be used.
    #[error("secret {0}")]
    Secret(#[from] SecretError),
    /// Too many retries or too long a delay.
    #[error("retrySchedule must have at most {MAX_RETRIES} delays of at most one hour each")]
    RetrySchedule,
    /// Timeout out of range.
    #[error("timeoutMs must be between {} and {} ms", TIMEOUT_RANGE_MS.0, TIMEOUT_RANGE_MS.1)]
    Timeout,
    /// A preset that does not exist.
    #[error("preset must be {}, not {:?}", Preset::one_of(), .0)]
    Preset(String),
    /// The telegram preset without a chat.
    #[error("chatId is required for the telegram preset (the chat's numeric id or @channel)")]
    ChatIdMissing,
    /// A service preset with GET.
    #[error("method must be POST, PUT or PATCH for a service preset: it sends a JSON body")]
    PresetNeedsBody,
    /// Acting on replies over a channel others can write to.
    #[error(
        "actOnReplies needs an https URL or a loopback one (127.0.0.1, [::1], localhost): over plain http, anyone on the network path could type into the chat"
    )]
    RepliesNeedPrivateChannel,
    /// The custom preset without a template.
    #[error("template is required for the custom preset")]
    TemplateMissing,
    /// A body template that cannot render.
    #[error("template: {0}")]
    Template(TemplateError),
    /// A header value template that cannot render.
    #[error("header {0:?}: {1}")]
    HeaderTemplate(String, TemplateError),
    /// A URL query template that cannot render.
    #[error("url query: {0}")]
    QueryTemplate(TemplateError),
    /// A filter condition that does not parse.
    #[error("filters: {0}")]
    Filters(#[from] FilterError),
    /// Rate out of range.
    #[error("ratePerMinute must be between {} and {}", RATE_RANGE.0, RATE_RANGE.1)]
    Rate,
    /// Auto-disable threshold out of range.
    #[error("autoDisableAfter must be between 0 (never) and {MAX_AUTO_DISABLE_AFTER}")]
    AutoDisableAfter,
    /// Batch settings out of range.
    #[error(
        "batch: maxEvents must be from {} to {} and maxWaitSeconds from {} to {}",
        BATCH_EVENTS_RANGE.0, BATCH_EVENTS_RANGE.1, BATCH_WAIT_RANGE_S.0, BATCH_WAIT_RANGE_S.1
    )]
    Batch,
    /// A secret rotation's overlap out of range.
    #[error("overlapHours must be more than 0 and at most 168 (a week)")]
    OverlapHours,
}

impl ConfigError {
    /// The message-API field the error is about: the setting whose row
    /// claims it, or the field a limit's error carries.
    pub fn field(&self) -> &'static str {
        match self {
            ConfigError::TooLong { field, .. } | ConfigError::TooMany { field, .. } => field,
            // A secret rotation's, not a setting's.
            ConfigError::OverlapHours => "overlapHours",
            // Every other error is claimed by a row (the fuzz targets check
            // that each names a field).
            other => other.setting().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::FilterError;
    use crate::signing::SecretError;
    use crate::template::TemplateError;

    /// One of each error, so each is held to naming a field. The match in
    /// the test has no wildcard: a new variant does not compile until it is
    /// listed there, and so here.
    fn one_of_each() -> Vec<ConfigError> {
        use ConfigError::*;
        let text = String::new;
        let template = || TemplateError { line: 1, column: 1, problem: text() };
        vec![
            UrlMissing,
            UrlOmitted,
            UrlOmittedRedirected(text()),
            UrlUnparsable(text()),
            UrlScheme(text()),
            UrlCredentials,
            TooLong { field: "secret", what: text(), max: 1, chars: 2 },
            TooMany { field: "events", items: "names", max: 1, count: 2 },
            NameEmpty,
            NameTooLong(100),
            Method(text()),
            NoEvents,
            UnknownEvent(text()),
            HeadersTwice,
            HeadersJson { line: 1, column: 1, reason: text() },
            HeadersNotObject,
            HeaderNotString(text()),
            HeaderValueMissing(text()),
            HeaderNeverSecret(text()),
            HeaderName(text()),
            HeaderValue(text()),
            HeaderNotLatin1(text()),
            HeaderForbidden(text()),
            HeaderReserved(text()),
            Secret(SecretError::Empty),
            RetrySchedule,
            Timeout,
            Preset(text()),
            ChatIdMissing,
            PresetNeedsBody,
            RepliesNeedPrivateChannel,
            TemplateMissing,
            Template(template()),
            HeaderTemplate(text(), template()),
            QueryTemplate(template()),
            Filters(FilterError { number: 1, column: 1, problem: text() }),
            Rate,
            AutoDisableAfter,
            Batch,
            OverlapHours,
        ]
    }

    #[test]
    fn every_error_names_a_field() {
        use ConfigError::*;
        for error in one_of_each() {
            match &error {
                UrlMissing
                | UrlOmitted
                | UrlOmittedRedirected(_)
                | UrlUnparsable(_)
                | UrlScheme(_)
                | UrlCredentials
                | TooLong { .. }
                | TooMany { .. }
                | NameEmpty
                | NameTooLong(_)
                | Method(_)
                | NoEvents
                | UnknownEvent(_)
                | HeadersTwice
                | HeadersJson { .. }
                | HeadersNotObject
                | HeaderNotString(_)
                | HeaderValueMissing(_)
                | HeaderNeverSecret(_)
                | HeaderName(_)
                | HeaderValue(_)
                | HeaderNotLatin1(_)
                | HeaderForbidden(_)
                | HeaderReserved(_)
                | Secret(_)
                | RetrySchedule
                | Timeout
                | Preset(_)
                | ChatIdMissing
                | PresetNeedsBody
                | RepliesNeedPrivateChannel
                | TemplateMissing
                | Template(_)
                | HeaderTemplate(..)
                | QueryTemplate(_)
                | Filters(_)
                | Rate
                | AutoDisableAfter
                | Batch
                | OverlapHours => {}
            }
            assert!(!error.field().is_empty(), "{error:?} is claimed by no row of the settings table");
        }
    }
}
