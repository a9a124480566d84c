//! One event on its way to one webhook: its attempts, its state, and what
//! the log keeps of it.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::event::{Cause, Event, Payload};
use crate::redact::{self, Credentials, Redactor, REDACTED};
use crate::request::HttpRequest;
use crate::time::Millis;

/// Request bodies kept in the log are cut to this many bytes.
pub const LOGGED_BODY_BYTES: usize = 4096;
/// Response bodies kept in the log are cut to this many bytes.
pub const LOGGED_RESPONSE_BYTES: usize = 1024;
/// Longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER_MS: u64 = 3_600_000;

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting in the outbox for its next attempt (or in flight).
    Pending,
    /// A 2xx arrived.
    Delivered,
    /// Retries ran out or the failure was not retryable.
    Failed,
    /// Dropped before it finished: its webhook was disabled or deleted.
    Cancelled,
    /// Never sent: the webhook's filter excluded the event.
    Skipped,
    /// Waiting, unsent, while its webhook is turned off after too many
    /// failures in a row: delivered or discarded when the user turns it on.
    Held,
    /// A batch still taking events: sent (pending) once it is full or its
    /// first event is its webhook's `maxWaitSeconds` old.
    Open,
}

impl DeliveryState {
    /// Whether the delivery is still in the outbox: pending, held or open.
    pub fn is_unfinished(self) -> bool {
        matches!(self, DeliveryState::Pending | DeliveryState::Held | DeliveryState::Open)
    }
}

/// What happened to one attempt, as the adapter saw it: facts only. The
/// engine decides from these alone whether to retry ([`Outcome::verdict`])
/// and how the log words it ([`Outcome::error`], [`Outcome::failure`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The receiver answered with a status that is not a redirect the
    /// browser held back (those are [`Outcome::Redirect`]).
    Response {
        /// HTTP status.
        status: u16,
        /// The `Retry-After` header, if any, whatever the status: the
        /// engine decides which statuses honour it.
        retry_after: Option<String>,
        /// The start of the response body.
        body: String,
    },
    /// The receiver answered with a redirect, which is not followed (a
    /// webhook's data must not go where its owner did not point it).
    Redirect {
        /// The redirect's status, if the browser tells it. A fetch with
        /// `redirect: "manual"` gets an opaque redirect, which hides it:
        /// `None` there.
        status: Option<u16>,
        /// Where it pointed, if the browser tells it (an opaque redirect
        /// does not).
        location: Option<String>,
    },
    /// No answer within the webhook's timeout.
    Timeout,
    /// Not sent: the extension may not reach this origin (without host
    /// permission the browser would fail the request with a bare CORS error).
    PermissionMissing {
        /// The origin, e.g. `https://h.test`.
        origin: String,
    },
    /// Not sent: the browser rejected one of the request's headers.
    InvalidHeader {
        /// What the browser said.
        message: String,
    },
    /// The request got no answer: refused, DNS, TLS, CORS.
    NetworkError {
        /// What the browser said.
        message: String,
    },
    /// The extension stopped during the attempt, so no result came back
    /// (the engine's own outcome for such an attempt when it restarts).
    Interrupted,
    /// The request failed while the browser was offline: nothing reached
    /// a receiver, so the attempt does not count against the retries.
    Offline,
}

/// How the engine treats an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: done.
    Success,
    /// Worth another try, after at least this long if the receiver said so.
    Retry(Option<u64>),
    /// Not worth another try.
    Fail,
    /// 410 Gone: fail and disable the webhook.
    Gone,
    /// The browser is offline: try again once it is back, as if this
    /// attempt had not been made.
    Offline,
}

/// What kind of failure an attempt was, kept with it in the log so a Test's
/// reply (`failure`) and the UI give a plain-language reason without
/// reading the error text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// A redirect, not followed.
    Redirect,
    /// A 4xx status.
    ClientError,
    /// Any other status that is not a success: 5xx, and a 1xx or 3xx the
    /// browser did not treat as a redirect.
    ServerError,
    /// The extension may not reach the receiver's origin.
    Permission,
    /// No answer within the timeout.
    Timeout,
    /// No answer at all: the connection failed, the browser rejected a
    /// header, or the extension stopped during the attempt.
    Network,
    /// The browser was offline; the attempt is not counted.
    Offline,
}

impl Outcome {
    /// Classifies the outcome: network errors, timeouts, 408, 425, 429 and
    /// 5xx are retried, 429 and 503 after their `Retry-After` (at most an
    /// hour); 410 disables; redirects and other 3xx and 4xx fail at once.
    pub fn verdict(&self, now: Millis) -> Verdict {
        match self {
            Outcome::Timeout
            | Outcome::PermissionMissing { .. }
            | Outcome::InvalidHeader { .. }
            | Outcome::NetworkError { .. }
            | Outcome::Interrupted => Verdict::Retry(None),
            Outcome::Redirect { .. } => Verdict::Fail,
            Outcome::Offline => Verdict::Offline,
            Outcome::Response { status, retry_after, .. } => match status {
                200..=299 => Verdict::Success,
                410 => Verdict::Gone,
                429 | 503 => Verdict::Retry(retry_after.as_deref().and_then(|v| retry_after_ms(v, now))),
                408 | 425 | 500..=599 => Verdict::Retry(None),
                _ => Verdict::Fail,
            },
        }
    }

    /// HTTP status, if the receiver answered and the browser tells it.
    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Response { status, .. } => Some(*status),
            Outcome::Redirect { status, .. } => *status,
            _ => None,
        }
    }

    /// What kind of failure this is; `None` for a success.
    pub fn failure(&self) -> Option<Failure> {
        Some(match self {
            Outcome::Response { status: 200..=299, .. } => return None,
            Outcome::Response { status: 400..=499, .. } => Failure::ClientError,
            Outcome::Response { .. } => Failure::ServerError,
            Outcome::Redirect { .. } => Failure::Redirect,
            Outcome::Timeout => Failure::Timeout,
            Outcome::PermissionMissing { .. } => Failure::Permission,
            Outcome::InvalidHeader { .. } | Outcome::NetworkError { .. } | Outcome::Interrupted => Failure::Network,
            Outcome::Offline => Failure::Offline,
        })
    }

    /// The outcome as the log keeps it: the start of the response body and
    /// whatever else the browser or receiver said, with the request's
    /// credentials scrubbed, since a receiver may echo the request back.
    pub fn redacted(self, redactor: &Redactor) -> Outcome {
        match self {
            Outcome::Response { status, retry_after, body } => {
                let (body, _) = logged_start(redactor, &body, LOGGED_RESPONSE_BYTES);
                Outcome::Response { status, retry_after, body }
            }
            Outcome::Redirect { status, location } => {
                let location = location.map(|location| logged_start(redactor, &location, LOGGED_RESPONSE_BYTES).0);
                Outcome::Redirect { status, location }
            }
            Outcome::PermissionMissing { origin } => Outcome::PermissionMissing { origin: redactor.scrub(&origin) },
            Outcome::InvalidHeader { message } => Outcome::InvalidHeader { message: redactor.scrub(&message) },
            Outcome::NetworkError { message } => Outcome::NetworkError { message: redactor.scrub(&message) },
            Outcome::Timeout => Outcome::Timeout,
            Outcome::Interrupted => Outcome::Interrupted,
            Outcome::Offline => Outcome::Offline,
        }
    }

    /// A plain-language reason for a failed outcome, as the log shows it.
    pub fn error(&self, timeout_ms: u64) -> Option<String> {
        Some(match self {
            Outcome::Response { status: 200..=299, .. } => return None,
            Outcome::Response { status, .. } => format!("HTTP {status}"),
            Outcome::Redirect { status, location } => {
                let status = status.map(|status| format!(" (HTTP {status})")).unwrap_or_default();
                let location = location.as_ref().map(|location| format!(" to {location}")).unwrap_or_default();
                format!("redirect not followed{status}{location}")
            }
            Outcome::Timeout => format!("timed out after {timeout_ms} ms"),
            Outcome::PermissionMissing { origin } => {
                format!("permission missing: AutoHook may not reach {origin}; grant access on the settings page")
            }
            Outcome::InvalidHeader { message } => format!("invalid header: {message}"),
            Outcome::NetworkError { message } => format!("connection failed: {message}"),
            Outcome::Interrupted => "interrupted: the extension was stopped during the attempt".into(),
            Outcome::Offline => "not sent: the browser was offline".into(),
        })
    }
}

/// `Retry-After` as a delay: seconds, or an HTTP date; capped at one hour.
fn retry_after_ms(value: &str, now: Millis) -> Option<u64> {
    let delay = match value.trim().parse::<u64>() {
        Ok(seconds) => seconds.saturating_mul(1000),
        Err(_) => Millis::parse_http_date(value)?.since(now),
    };
    Some(delay.min(MAX_RETRY_AFTER_MS))
}

/// One try at delivering.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// The `X-AutoHook-Delivery` header it carried.
    pub delivery_header: String,
    /// When it started.
    pub started_at: Millis,
    /// How long it took; `None` while in flight.
    pub duration_ms: Option<u64>,
    /// HTTP status, if the receiver answered.
    pub status: Option<u16>,
    /// Why it failed, if it did, in plain language.
    pub error: Option<String>,
    /// What kind of failure it was, if it was one.
    pub failure: Option<Failure>,
    /// The first KB of the response body.
    pub response_body: Option<String>,
}

/// The last request sent, as the log keeps it: no credential anywhere
/// (see [`crate::redact`]), the body cut to 4 KB.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// Method.
    pub method: String,
    /// URL, without its fragment.
    pub url: String,
    /// Headers, credential headers' values replaced.
    pub headers: Vec<(String, String)>,
    /// The start of the body.
    pub body: Option<String>,
    /// Whether the body was cut.
    pub body_truncated: bool,
}

impl LoggedRequest {
    /// What the log keeps of `request`, sent by a webhook whose
    /// credentials are `credentials`, scrubbed by `redactor`, which holds
    /// them (see [`Credentials::redactor`]): kept to scrub the response
    /// with ([`Outcome::redacted`]).
    pub fn redacted(request: &HttpRequest, credentials: &Credentials<'_>, redactor: &Redactor) -> LoggedRequest {
        let shown = masked(request, credentials, redactor);
        let (body, body_truncated) = match request.body.as_deref() {
            Some(body) => {
                let (body, cut) = logged_start(redactor, body, LOGGED_BODY_BYTES);
                (Some(body), cut)
            }
            None => (None, false),
        };
        LoggedRequest { method: request.method.into(), url: shown.url, headers: shown.headers, body, body_truncated }
    }
}

/// `request` as a page may see it (the editor's preview): as the log
/// shows it, with the whole body.
pub fn shown_request(request: &HttpRequest, credentials: &Credentials<'_>) -> HttpRequest {
    let redactor = credentials.redactor();
    let shown = masked(request, credentials, &redactor);
    HttpRequest { body: request.body.as_deref().map(|body| redactor.scrub(body)), ..shown }
}

/// `request` without its body, its credentials masked where they sit (a
/// secret header's value as `•••• (<name>)`, the URL's parts as `••••`)
/// and scrubbed by `redactor` wherever else they appear.
fn masked(request: &HttpRequest, credentials: &Credentials<'_>, redactor: &Redactor) -> HttpRequest {
    let headers = request
        .headers
        .iter()
        .map(|(name, value)| {
            let value = if credentials.is_secret_header(name) { format!("{REDACTED} ({name})") } else { redactor.scrub(value) };
            (name.clone(), value)
        })
        .collect();
    // A request's URL is a parsed URL written out (`request::build`): with
    // no secret to mask and no fragment to drop, masking gives it back as
    // it is: parsing it again for that was 6 % of a burst's instructions.
    let url = match credentials.url.filter(|secrets| !secrets.is_empty()) {
        None if !request.url.contains('#') => request.url.clone(),
        _ => match (Url::parse(&request.url), credentials.url) {
            (Ok(url), Some(secrets)) => secrets.mask(&url).to_string(),
            (Ok(mut url), None) => {
                url.set_fragment(None);
                url.to_string()
            }
            // Never the case for a URL made from settings that parse; if it
            // were, its credentials could not be told apart.
            (Err(_), _) => REDACTED.to_string(),
        },
    };
    let url = redactor.scrub(&redact::shown(&url));
    HttpRequest { method: request.method, url, headers, body: None }
}

/// The start of `text` the log keeps, at most `max` bytes, and whether
/// anything was cut. `redactor` scrubs before the cut, reading far enough
/// past it that no cut leaves part of a credential, but no further: a body
/// can be 256 KB and a response any size.
fn logged_start(redactor: &Redactor, text: &str, max: usize) -> (String, bool) {
    let keep = truncate(text, max).len();
    let window = truncate(text, keep.saturating_add(redactor.reach()));
    let scrubbed = redactor.scrub_until(window, keep);
    let cut = text.len() > max || scrubbed.len() > max;
    (truncate(&scrubbed, max).to_string(), cut)
}

/// The longest prefix of `text` of at most `max` bytes that ends on a
/// character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// An event on its way to one webhook, and afterwards its log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// `dlv_…`.
    pub id: String,
    /// The webhook it goes to.
    pub webhook_id: String,
    /// The webhook's name when the delivery was made (it may be renamed or deleted).
    pub webhook_name: String,
    /// What is delivered; its id is the `webhook-id` header. For a batch:
    /// the batch's id, when it opened and its first event's kind, with no
    /// data (the events are in `batch`).
    pub event: Event,
    /// When it entered the outbox.
    pub created_at: Millis,
    /// Where it stands.
    pub state: DeliveryState,
    /// When it reached its final state.
    pub finished_at: Option<Millis>,
    /// When the next attempt is due (pending only).
    pub next_at: Millis,
    /// A Test delivery makes one attempt and is never retried.
    pub test: bool,
    /// Every attempt so far, oldest first.
    pub attempts: Vec<Attempt>,
    /// The last request whose result came back.
    pub request: Option<LoggedRequest>,
    /// Why it failed or was cancelled.
    pub reason: Option<String>,
    /// A batch's events, oldest first; empty for a delivery of one event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub batch: Vec<Event>,
    /// What its receiver's reply did, or why it was not acted on (only
    /// for webhooks with `actOnReplies` whose reply asked for something).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_action: Option<String>,
}

impl Attempt {
    /// Records what the attempt came to at `now` (`timeout_ms`, its
    /// webhook's, words a timeout); returns how long it took.
    pub fn record(&mut self, outcome: &Outcome, timeout_ms: u64, now: Millis) -> u64 {
        let duration = now.since(self.started_at);
        self.duration_ms = Some(duration);
        self.status = outcome.status();
        self.error = outcome.error(timeout_ms);
        self.failure = outcome.failure();
        if let Outcome::Response { body, .. } = outcome {
            self.response_body = Some(truncate(body, LOGGED_RESPONSE_BYTES).to_string());
        }
        duration
    }
}

impl Delivery {
    /// What its requests carry: its event, or its batch.
    pub fn payload(&self) -> Payload<'_> {
        match self.batch.as_slice() {
            [] => Payload::Event(&self.event),
            events => Payload::Batch { id: &self.event.id, events },
        }
    }

    /// What set it off: its event's cause, or for a batch (which stands
    /// for its events) the first reply's among its events' causes.
    pub fn cause(&self) -> &Cause {
        let replied = std::iter::once(&self.event).chain(&self.batch).map(|event| &event.cause).find(|cause| cause.replier().is_some());
        replied.unwrap_or(&self.event.cause)
    }

    /// The attempt now in flight or last made.
    pub fn last_attempt_mut(&mut self) -> Option<&mut Attempt> {
        self.attempts.last_mut()
    }

    /// Attempts that count against the retry schedule, the first
    /// included: one made while the browser was offline reached nobody.
    pub fn attempts_counted(&self) -> usize {
        self.attempts.iter().filter(|a| a.failure != Some(Failure::Offline)).count()
    }

    /// Whether the last attempt started but has no result (in flight, or cut
    /// off when the service worker stopped).
    pub fn awaiting_result(&self) -> bool {
        self.attempts.last().is_some_and(|a| a.duration_ms.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, retry_after: Option<&str>) -> Outcome {
        Outcome::Response { status, retry_after: retry_after.map(String::from), body: String::new() }
    }

    #[test]
    fn retries_exactly_the_retryable_outcomes() {
        let now = Millis(0);
        for status in [408, 425, 429, 500, 502, 503, 599] {
            assert_eq!(response(status, None).verdict(now), Verdict::Retry(None), "{status}");
        }
        for status in [301, 400, 401, 404, 422] {
            assert_eq!(response(status, None).verdict(now), Verdict::Fail, "{status}");
        }
        assert_eq!(response(204, None).verdict(now), Verdict::Success);
        assert_eq!(response(410, None).verdict(now), Verdict::Gone);
        for retried in [
            Outcome::Timeout,
            Outcome::NetworkError { message: "refused".into() },
            Outcome::InvalidHeader { message: "bad".into() },
            Outcome::PermissionMissing { origin: "https://h.test".into() },
            Outcome::Interrupted,
        ] {
            assert_eq!(retried.verdict(now), Verdict::Retry(None), "{retried:?}");
        }
        assert_eq!(Outcome::Redirect { status: None, location: None }.verdict(now), Verdict::Fail);
        assert_eq!(Outcome::Redirect { status: Some(307), location: None }.verdict(now), Verdict::Fail);
    }

    #[test]
    fn retry_after_counts_only_on_429_and_503() {
        let now = Millis(0);
        assert_eq!(response(503, Some("7")).verdict(now), Verdict::Retry(Some(7000)));
        for status in [408, 425, 500, 502] {
            assert_eq!(response(status, Some("7")).verdict(now), Verdict::Retry(None), "{status}");
        }
    }

    #[test]
    fn each_outcome_has_its_wording_and_failure_kind() {
        let redirect = |status, location: Option<&str>| Outcome::Redirect { status, location: location.map(String::from) };
        let cases = [
            (response(204, None), None, None),
            (response(404, None), Some("HTTP 404"), Some(Failure::ClientError)),
            (response(503, None), Some("HTTP 503"), Some(Failure::ServerError)),
            (response(304, None), Some("HTTP 304"), Some(Failure::ServerError)),
            (redirect(None, None), Some("redirect not followed"), Some(Failure::Redirect)),
            (
                redirect(Some(301), Some("https://elsewhere.test/")),
                Some("redirect not followed (HTTP 301) to https://elsewhere.test/"),
                Some(Failure::Redirect),
            ),
            (Outcome::Timeout, Some("timed out after 2000 ms"), Some(Failure::Timeout)),
            (
                Outcome::PermissionMissing { origin: "https://h.test".into() },
                Some("permission missing: AutoHook may not reach https://h.test; grant access on the settings page"),
                Some(Failure::Permission),
            ),
            (
                Outcome::NetworkError { message: "Failed to fetch".into() },
                Some("connection failed: Failed to fetch"),
                Some(Failure::Network),
            ),
            (Outcome::InvalidHeader { message: "bad name".into() }, Some("invalid header: bad name"), Some(Failure::Network)),
            (Outcome::Interrupted, Some("interrupted: the extension was stopped during the attempt"), Some(Failure::Network)),
        ];
        for (outcome, error, failure) in cases {
            assert_eq!(outcome.error(2000).as_deref(), error, "{outcome:?}");
            assert_eq!(outcome.failure(), failure, "{outcome:?}");
        }
        assert_eq!(redirect(None, None).status(), None, "an opaque redirect has no status");
        assert_eq!(redirect(Some(308), None).status(), Some(308));
    }

    #[test]
    fn honours_retry_after_in_seconds_or_as_a_date_capped_at_an_hour() {
        let now = Millis(1_445_412_470_000);
        assert_eq!(response(429, Some("7")).verdict(now), Verdict::Retry(Some(7000)));
        assert_eq!(response(503, Some("Wed, 21 Oct 2015 07:28:00 GMT")).verdict(now), Verdict::Retry(Some(10_000)));
        assert_eq!(response(429, Some("86400")).verdict(now), Verdict::Retry(Some(3_600_000)));
        assert_eq!(response(429, Some("later")).verdict(now), Verdict::Retry(None));
    }

    /// The credentials of a webhook whose secret headers are `headers`, and their values `values`.
    fn headers<'a>(headers: &[&'a str], values: &[&'a str]) -> Credentials<'a> {
        Credentials { headers: headers.to_vec(), header_values: values.to_vec(), ..Credentials::default() }
    }

    #[test]
    fn logged_requests_hide_secret_headers_and_cut_long_bodies() {
        let request = HttpRequest {
            method: "POST",
            url: "https://h.test/".into(),
            headers: vec![("X-Api-Pass".into(), "Bearer t".into()), ("X-Team".into(), "ops".into())],
            body: Some("é".repeat(3000)),
        };
        let credentials = headers(&["x-api-pass"], &["Bearer t"]);
        let logged = LoggedRequest::redacted(&request, &credentials, &credentials.redactor());
        assert_eq!(logged.headers[0].1, "•••• (X-Api-Pass)");
        assert_eq!(logged.headers[1].1, "ops");
        assert_eq!(logged.body.as_ref().unwrap().len(), 4096);
        assert!(logged.body_truncated);
    }

    #[test]
    fn credentials_are_scrubbed_before_the_cut_so_none_is_left_half_shown() {
        let token = "tok_0123456789abcdef";
        let request = HttpRequest {
            method: "POST",
            url: "https://h.test/in#x".into(),
            headers: vec![("Authorization".into(), format!("Bearer {token}")), ("X-Echo".into(), token.into())],
            body: Some(format!("{}{token}", "a".repeat(LOGGED_BODY_BYTES - 5))),
        };
        let bearer = format!("Bearer {token}");
        let credentials = headers(&["Authorization"], &[&bearer]);
        let redactor = credentials.redactor();
        let logged = LoggedRequest::redacted(&request, &credentials, &redactor);
        assert_eq!(logged.url, "https://h.test/in");
        assert_eq!(logged.headers[1].1, "••••", "found by value in a header that is not secret");
        // A mask is three bytes a dot: the cut keeps whole ones.
        assert!(logged.body.as_ref().unwrap().ends_with("a•") && logged.body_truncated);
        let echo = format!("{}{token}", "b".repeat(LOGGED_RESPONSE_BYTES - 6));
        let answer = Outcome::Response { status: 200, retry_after: None, body: echo }.redacted(&redactor);
        let Outcome::Response { body, .. } = answer else { unreachable!("a response stays a response") };
        assert!(body.ends_with("b••") && body.len() == LOGGED_RESPONSE_BYTES, "{body}");
    }

    #[test]
    fn a_bearer_token_padded_past_the_minimum_is_scrubbed_as_configured() {
        // Trimmed it is 5 characters, under the minimum; as configured, 7.
        let request = HttpRequest {
            method: "POST",
            url: "https://h.test/in".into(),
            headers: vec![("Authorization".into(), "Bearer 7aaaa  ".into())],
            body: Some("{\"error\":[\"7aaaa  \"]}".into()),
        };
        let credentials = headers(&["Authorization"], &["Bearer 7aaaa  "]);
        let logged = LoggedRequest::redacted(&request, &credentials, &credentials.redactor());
        assert_eq!(logged.body.as_deref(), Some("{\"error\":[\"••••\"]}"));
    }

    #[test]
    fn truncate_never_splits_a_character() {
        assert_eq!(truncate("aé", 2), "a");
        assert_eq!(truncate("abc", 5), "abc");
    }
}
