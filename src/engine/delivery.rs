//! One event on its way to one webhook: its attempts, its state, and what
//! the log keeps of it.

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::redact::{self, Redactor, REDACTED};
use crate::request::HttpRequest;
use crate::signing::SECRET_PREFIX;
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
}

/// What came back from one attempt, as the adapter saw it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum Outcome {
    /// The receiver answered. A redirect (not followed) has status 0.
    Response {
        /// HTTP status.
        status: u16,
        /// The `Retry-After` header, if any.
        retry_after: Option<String>,
        /// The start of the response body.
        body: String,
    },
    /// No answer within the webhook's timeout.
    Timeout,
    /// The request never got an answer: refused, DNS, CORS, permission.
    NetworkError {
        /// What the browser said.
        message: String,
    },
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
}

impl Outcome {
    /// Classifies the outcome: network errors, timeouts, 408, 425, 429 and
    /// 5xx are retried; 410 disables; other 3xx and 4xx fail at once.
    pub fn verdict(&self, now: Millis) -> Verdict {
        match self {
            Outcome::Timeout | Outcome::NetworkError { .. } => Verdict::Retry(None),
            Outcome::Response { status, retry_after, .. } => match status {
                200..=299 => Verdict::Success,
                410 => Verdict::Gone,
                429 | 503 => Verdict::Retry(retry_after.as_deref().and_then(|v| retry_after_ms(v, now))),
                408 | 425 | 500..=599 => Verdict::Retry(None),
                _ => Verdict::Fail,
            },
        }
    }

    /// HTTP status, if the receiver answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Response { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The outcome as the log keeps it: the start of the response body and
    /// any error message with the request's credentials scrubbed, since a
    /// receiver may echo the request back.
    pub fn redacted(self, redactor: &Redactor) -> Outcome {
        match self {
            Outcome::Response { status, retry_after, body } => {
                let (body, _) = logged_start(redactor, &body, LOGGED_RESPONSE_BYTES);
                Outcome::Response { status, retry_after, body }
            }
            Outcome::NetworkError { message } => Outcome::NetworkError { message: redactor.scrub(&message) },
            Outcome::Timeout => Outcome::Timeout,
        }
    }

    /// A plain-language reason for a failed outcome.
    pub fn error(&self, timeout_ms: u64) -> Option<String> {
        match self {
            Outcome::Response { status: 0, .. } => Some("redirect not followed".into()),
            Outcome::Response { status: 200..=299, .. } => None,
            Outcome::Response { status, .. } => Some(format!("HTTP {status}")),
            Outcome::Timeout => Some(format!("timed out after {timeout_ms} ms")),
            Outcome::NetworkError { message } => Some(message.clone()),
        }
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
    /// Why it failed, if it did.
    pub error: Option<String>,
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
    /// What the log keeps of `request`, sent by a webhook that signs with
    /// `secret`; and the [`Redactor`] holding the request's credentials, to
    /// scrub its response with ([`Outcome::redacted`]).
    pub fn redacted(request: &HttpRequest, secret: Option<&str>) -> (LoggedRequest, Redactor) {
        let (url, url_secrets) = redact::url(&request.url);
        let credentials = request.headers.iter().filter(|(name, _)| redact::is_sensitive_header(name)).map(|(_, value)| value.as_str());
        // `Bearer <token>`: an echo may carry the token alone, as configured
        // (padding included, which can take it past the minimum length) or
        // trimmed, as the browser sends it.
        let tokens = credentials.clone().filter_map(|value| value.split_once(' ').map(|(_, token)| token));
        let tokens = tokens.flat_map(|token| [token, token.trim()]);
        // `whsec_<base64>`: the base64 alone is the key too.
        let secrets = secret.into_iter().flat_map(|secret| [secret, secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret)]);
        let values = secrets.chain(credentials).chain(tokens).chain(url_secrets.iter().map(String::as_str));
        let redactor = Redactor::new(values);
        let headers = request
            .headers
            .iter()
            .map(|(name, value)| {
                let value = if redact::is_sensitive_header(name) { REDACTED.to_string() } else { redactor.scrub(value) };
                (name.clone(), value)
            })
            .collect();
        let (body, body_truncated) = match request.body.as_deref() {
            Some(body) => {
                let (body, cut) = logged_start(&redactor, body, LOGGED_BODY_BYTES);
                (Some(body), cut)
            }
            None => (None, false),
        };
        let logged = LoggedRequest { method: request.method.into(), url: redactor.scrub(&url), headers, body, body_truncated };
        (logged, redactor)
    }
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
    /// What is delivered; its id is the `webhook-id` header.
    pub event: Event,
    /// When it entered the outbox.
    pub created_at: Millis,
    /// Where it stands.
    pub state: DeliveryState,
    /// When it reached its final state.
    #[serde(default)]
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
}

impl Delivery {
    /// The attempt now in flight or last made.
    pub fn last_attempt_mut(&mut self) -> Option<&mut Attempt> {
        self.attempts.last_mut()
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
        for status in [0, 301, 400, 401, 404, 422] {
            assert_eq!(response(status, None).verdict(now), Verdict::Fail, "{status}");
        }
        assert_eq!(response(204, None).verdict(now), Verdict::Success);
        assert_eq!(response(410, None).verdict(now), Verdict::Gone);
        assert_eq!(Outcome::Timeout.verdict(now), Verdict::Retry(None));
    }

    #[test]
    fn honours_retry_after_in_seconds_or_as_a_date_capped_at_an_hour() {
        let now = Millis(1_445_412_470_000);
        assert_eq!(response(429, Some("7")).verdict(now), Verdict::Retry(Some(7000)));
        assert_eq!(
            response(503, Some("Wed, 21 Oct 2015 07:28:00 GMT")).verdict(now),
            Verdict::Retry(Some(10_000))
        );
        assert_eq!(response(429, Some("86400")).verdict(now), Verdict::Retry(Some(3_600_000)));
        assert_eq!(response(429, Some("later")).verdict(now), Verdict::Retry(None));
    }

    #[test]
    fn logged_requests_hide_secret_headers_and_cut_long_bodies() {
        let request = HttpRequest {
            method: "POST",
            url: "https://h.test/".into(),
            headers: vec![("Authorization".into(), "Bearer t".into()), ("X-Team".into(), "ops".into())],
            body: Some("é".repeat(3000)),
        };
        let (logged, _) = LoggedRequest::redacted(&request, None);
        assert_eq!(logged.headers[0].1, "[redacted]");
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
        let (logged, redactor) = LoggedRequest::redacted(&request, None);
        assert_eq!(logged.url, "https://h.test/in");
        assert_eq!(logged.headers[1].1, "[redacted]");
        assert!(logged.body.as_ref().unwrap().ends_with("a[reda") && logged.body_truncated);
        let echo = format!("{}{token}", "b".repeat(LOGGED_RESPONSE_BYTES - 3));
        let answer = Outcome::Response { status: 200, retry_after: None, body: echo }.redacted(&redactor);
        let Outcome::Response { body, .. } = answer else { unreachable!("a response stays a response") };
        assert!(body.ends_with("b[re") && body.len() == LOGGED_RESPONSE_BYTES, "{body}");
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
        let (logged, _) = LoggedRequest::redacted(&request, None);
        assert_eq!(logged.body.as_deref(), Some("{\"error\":[\"[redacted]\"]}"));
    }

    #[test]
    fn truncate_never_splits_a_character() {
        assert_eq!(truncate("aé", 2), "a");
        assert_eq!(truncate("abc", 5), "abc");
    }
}
