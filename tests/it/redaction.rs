//! The log never holds a credential: random signing secrets, credential
//! header values and URL tokens, written into the URL, the headers, the
//! body and the response plain and encoded every way a request or an echo
//! carries them, are nowhere in what the log keeps.

use autohook::limits::{MIN_SECRET_CHARS, REDACTED};
use autohook::{Engine, HttpRequest, LoggedRequest, Millis, Outcome, Output, WebhookInput};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::json;

use crate::common::regressions;

/// Characters of a credential: those that need percent-encoding or JSON or
/// mrkdwn escaping among them. No `[` or `]`, so no value can hide inside
/// the `[redacted]` that replaces another.
const CHARS: &[&str] = &[
    "a", "Z", "7", "-", "_", ".", "~", ":", "/", "?", "#", "&", "=", "+", " ", "%", "\"", "\\", "'", "<", ">", "@", ";", ",", "é", "ÿ",
    "€", "🎉",
];
/// What a header value may hold: Latin-1, as fetch requires.
const HEADER_CHARS: &[&str] = &["a", "Z", "7", "-", ":", "/", "?", "&", "=", "+", " ", "%", "\"", "\\", "<", "é", "ÿ"];
/// One of these starts every value, so none is a substring of `[redacted]`.
const MARKERS: &[&str] = &["Q", "7", ":", "%", "é", "🎉", "\\"];

fn value_of(chars: &'static [&'static str]) -> impl Strategy<Value = String> {
    let markers = MARKERS.iter().copied().filter(|m| chars.contains(m)).collect::<Vec<_>>();
    (select(markers), prop::collection::vec(select(chars), MIN_SECRET_CHARS..30))
        .prop_map(|(marker, rest)| format!("{marker}{}", rest.concat()))
}

fn value() -> impl Strategy<Value = String> {
    value_of(CHARS)
}

fn header_value() -> impl Strategy<Value = String> {
    value_of(HEADER_CHARS)
}

fn percent(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

fn percent_lower(text: &str) -> String {
    text.bytes().map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02x}") }).collect()
}

fn form(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn json(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap();
    quoted[1..quoted.len() - 1].to_string()
}

/// JSON as Python writes it by default: every non-ASCII character as `\uXXXX`.
fn ascii_json(text: &str) -> String {
    json(text).encode_utf16().map(|unit| if unit < 0x80 { char::from(unit as u8).to_string() } else { format!("\\u{unit:04X}") }).collect()
}

/// Every way `value` is written into the test's requests and echoes.
fn forms(value: &str) -> Vec<String> {
    vec![
        value.to_string(),
        percent(value),
        percent_lower(value),
        form(value),
        json(value),
        ascii_json(value),
        json(&json(value)),
        percent(&json(value)),
        form(&json(value)),
    ]
}

/// `text` holds none of `values`, in any of their forms.
fn holds_none(place: &str, text: &str, values: &[String]) -> Result<(), TestCaseError> {
    for value in values {
        for form in forms(value) {
            prop_assert!(!text.contains(&form), "{place} holds {form:?} (a form of {value:?}): {text:?}");
        }
    }
    Ok(())
}

/// `text`, cut for the log, does not end in the start of a value: the cut
/// came after scrubbing.
fn ends_in_no_part(place: &str, text: &str, values: &[String]) -> Result<(), TestCaseError> {
    for value in values {
        for form in forms(value) {
            let starts = form.char_indices().map(|(i, _)| i).filter(|&i| i >= MIN_SECRET_CHARS);
            for end in starts {
                prop_assert!(!text.ends_with(&form[..end]), "{place} ends in part of {form:?}: {text:?}");
            }
        }
    }
    Ok(())
}

fn logged_holds_none(logged: &LoggedRequest, values: &[String]) -> Result<(), TestCaseError> {
    holds_none("url", &logged.url, values)?;
    for (name, value) in &logged.headers {
        holds_none(name, value, values)?;
    }
    holds_none("body", logged.body.as_deref().unwrap_or_default(), values)
}

/// A body of `padding` filler, then each value in each of its forms: with
/// the padding random, some forms straddle the log's 4 KB cut.
fn body_with(values: &[String], padding: usize) -> String {
    let mut body = "x".repeat(padding);
    for value in values {
        for form in forms(value) {
            body.push_str(&form);
            body.push_str(" | ");
        }
    }
    body
}

/// What a receiver echoing the request would answer.
fn echo(request: &HttpRequest, padding: usize) -> String {
    format!("{}{} {:?} {}", "y".repeat(padding), request.url, request.headers, request.body.as_deref().unwrap_or_default())
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: regressions(), ..ProptestConfig::with_cases(256) })]

    #[test]
    fn a_logged_request_and_its_response_hold_no_credential(
        secret in value(),
        bearer in value(),
        api_key in value(),
        token in value(),
        query_key in value(),
        padding in 0usize..6000,
        echo_padding in 0usize..2000,
    ) {
        let values = vec![secret.clone(), format!("Bearer {bearer}"), bearer.clone(), api_key.clone(), format!("123:{token}"), query_key.clone()];
        let url = format!(
            "https://api.telegram.org/bot123:{}/sendMessage?api_key={}&echo={}&echo2={}#{}",
            percent(&token), form(&query_key), form(&secret), percent_lower(&bearer), percent(&api_key),
        );
        let request = HttpRequest {
            method: "POST",
            url,
            headers: vec![
                ("Authorization".into(), format!("Bearer {bearer}")),
                ("X-Api-Key".into(), api_key.clone()),
                ("X-Echo".into(), secret.clone()),
                ("X-Echo-Encoded".into(), percent(&format!("123:{token}"))),
            ],
            body: Some(body_with(&values, padding)),
        };
        let (logged, redactor) = LoggedRequest::redacted(&request, &[&secret]);
        logged_holds_none(&logged, &values)?;
        ends_in_no_part("body", logged.body.as_deref().unwrap_or_default(), &values)?;
        prop_assert!(!logged.url.contains('#'), "the fragment is dropped: {}", logged.url);

        let answer = Outcome::Response { status: 200, retry_after: None, body: echo(&request, echo_padding) };
        let Outcome::Response { body, .. } = answer.redacted(&redactor) else { unreachable!("a response stays a response") };
        holds_none("response", &body, &values)?;
        ends_in_no_part("response", &body, &values)?;
        prop_assert!(body.len() <= autohook::limits::LOGGED_RESPONSE_BYTES);
        let failure = Outcome::NetworkError { message: format!("could not reach {}", request.url) };
        let Outcome::NetworkError { message } = failure.redacted(&redactor) else { unreachable!("an error stays an error") };
        holds_none("error", &message, &values)?;
    }

    #[test]
    fn the_engines_log_holds_no_credential_whatever_the_preset(
        secret in header_value().prop_filter("a plain-text secret", |s| !s.starts_with("whsec_")),
        bearer in header_value(),
        api_key in header_value(),
        token in value(),
        query_key in value(),
        message_padding in 0usize..5000,
        shape in select(&[("POST", "raw"), ("GET", "raw"), ("POST", "slack"), ("POST", "discord"), ("POST", "teams"),
                          ("POST", "telegram"), ("POST", "ifttt")][..]),
    ) {
        let values = vec![secret.clone(), bearer.clone(), api_key.clone(), format!("123:{token}"), query_key.clone()];
        let (method, preset) = shape;
        let mut engine = Engine::new([3; 16]);
        let now = Millis(1_700_000_000_000);
        let input: WebhookInput = serde_json::from_value(json!({
            "url": format!("https://api.telegram.org/bot123:{}/sendMessage?api_key={}", percent(&token), form(&query_key)),
            "method": method,
            "preset": preset,
            "chatId": "-100",
            "secret": secret,
            "headers": {"Authorization": format!("Bearer {bearer}"), "X-Api-Key": api_key},
        })).unwrap();
        engine.create_webhook(input, now).unwrap();
        // The page's data carries every credential, as a careless page might.
        let message = format!("{}{}", "m".repeat(message_padding), values.join(" "));
        let ids = engine.emit("message_sent", json!({"message": message, "error": values}), now).unwrap();
        let batch = engine.take_changes().batch;
        engine.changes_saved(batch);
        let Output::Transmit(transmit) = engine.poll(now) else { panic!("a request is due") };
        let answer = Outcome::Response { status: 400, retry_after: None, body: echo(&transmit.request, 0) };
        engine.handle_response(transmit.attempt, answer, now);
        let delivery = engine.delivery(&ids[0]).unwrap();
        logged_holds_none(delivery.request.as_ref().unwrap(), &values)?;
        for attempt in &delivery.attempts {
            holds_none("response", attempt.response_body.as_deref().unwrap_or_default(), &values)?;
        }
        prop_assert!(delivery.request.as_ref().unwrap().url.contains(REDACTED));
    }
}

#[test]
fn short_values_stay_hidden_where_they_sit_but_are_not_hunted_elsewhere() {
    let request = HttpRequest {
        method: "POST",
        url: "https://h.test/in?key=1".into(),
        headers: vec![("X-Api-Key".into(), "true".into())],
        body: Some(r#"{"count":1,"ok":true}"#.into()),
    };
    let (logged, _) = LoggedRequest::redacted(&request, &["s"]);
    assert_eq!(logged.url, "https://h.test/in?key=[redacted]");
    assert_eq!(logged.headers, [("X-Api-Key".to_string(), REDACTED.to_string())]);
    assert_eq!(logged.body.as_deref(), Some(r#"{"count":1,"ok":true}"#), "the log stays readable");
}

#[test]
fn a_whsec_secret_is_hidden_with_and_without_its_prefix() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let request = HttpRequest {
        method: "POST",
        url: "https://h.test/in".into(),
        headers: Vec::new(),
        body: Some(format!("{secret} MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")),
    };
    let (logged, _) = LoggedRequest::redacted(&request, &[secret]);
    assert_eq!(logged.body.as_deref(), Some("[redacted] [redacted]"));
}
