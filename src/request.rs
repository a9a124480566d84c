//! The exact HTTP request one attempt sends: method, URL, headers and body,
//! signed over the bytes that go on the wire. Pure: the same inputs give the
//! same request, which is also what the settings page previews.

use serde::Serialize;
use url::Url;

use crate::config::{ConfigError, Method, StoredConfig, WebhookConfig};
use crate::event::{Payload, PAYLOAD_VERSION, SOURCE};
use crate::signing::{hex_signature, standard_signature, SecretError, SecretKey};
use crate::template::TemplateError;
use crate::time::Millis;

/// Largest body (or GET query) AutoHook sends.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// Header names AutoHook sets.
pub mod header {
    /// The event's wire name.
    pub const EVENT: &str = "X-AutoHook-Event";
    /// Unique per attempt.
    pub const DELIVERY: &str = "X-AutoHook-Delivery";
    /// `sha256=<hex>` over the body.
    pub const SIGNATURE: &str = "X-AutoHook-Signature";
    /// Standard Webhooks: the event id, stable across retries.
    pub const ID: &str = "webhook-id";
    /// Standard Webhooks: Unix seconds of the attempt.
    pub const TIMESTAMP: &str = "webhook-timestamp";
    /// Standard Webhooks: `v1,<base64>`.
    pub const STANDARD_SIGNATURE: &str = "webhook-signature";
}

/// A request ready for `fetch`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HttpRequest {
    /// The method.
    pub method: &'static str,
    /// The full URL (for GET, with the envelope in the query).
    pub url: String,
    /// Headers in the order they are sent.
    pub headers: Vec<(String, String)>,
    /// The body; `None` for GET.
    pub body: Option<String>,
}

impl HttpRequest {
    /// Size of what the signature covers, as [`payload_len`] counts it:
    /// the body, or for GET the query.
    pub fn payload_len(&self) -> usize {
        match &self.body {
            Some(body) => body.len(),
            None => self.url.split('#').next().and_then(|url| url.split_once('?')).map_or(0, |(_, query)| query.len()),
        }
    }
}

/// Size of what the signature covers (the body, or for GET the query), as
/// the 256 KB limit counts it: rendered, but not signed. Every event is
/// checked when it is emitted, and rendered again when it is sent: a body
/// with no URL template to render is counted without being written.
pub fn payload_len<'a>(config: &WebhookConfig, payload: impl Into<Payload<'a>>) -> Result<usize, TemplateError> {
    let payload = payload.into();
    if config.method == Method::Get || config.query_template().is_some() {
        let (url, body) = rendered(config, payload)?;
        return Ok(body.map_or_else(|| url.query().map_or(0, str::len), |body| body.len()));
    }
    Ok(match config.body_template() {
        Some(template) => template.render(payload)?.len(),
        None => config.preset.text_len(payload, config.chat_id.as_deref()),
    })
}

/// The URL and body with the event (or batch) and templates filled in.
fn rendered(config: &WebhookConfig, event: Payload<'_>) -> Result<(Url, Option<String>), TemplateError> {
    let mut url = config.url.clone();
    if let Some(query) = config.query_template() {
        url.set_query(Some(&query.render(event)?));
    }
    let body = match config.method {
        Method::Get => {
            if config.query_template().is_none() {
                append_envelope(&mut url, event);
            }
            None
        }
        Method::Post | Method::Put | Method::Patch => Some(match config.body_template() {
            Some(template) => template.render(event)?,
            None => config.preset.render_text(event, config.chat_id.as_deref()),
        }),
    };
    Ok((url, body))
}

/// Why a request could not be built. Nothing is sent then: the delivery
/// fails with this reason.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BuildError {
    /// One of the webhook's templates cannot render this event.
    #[error("template: {0}")]
    Template(#[from] TemplateError),
    /// The stored secret does not parse. Fail closed: a receiver that
    /// checks signatures must never get an unsigned request in its place.
    #[error("secret {0}; not sent, since it would go out unsigned")]
    Secret(SecretError),
    /// Another stored setting does not parse.
    #[error("not sent: its stored settings are invalid ({field}: {0})", field = .0.field())]
    Invalid(ConfigError),
}

impl From<&ConfigError> for BuildError {
    fn from(error: &ConfigError) -> BuildError {
        match error {
            ConfigError::Secret(error) => BuildError::Secret(error.clone()),
            other => BuildError::Invalid(other.clone()),
        }
    }
}

/// Builds the request for one attempt at delivering an event or a batch
/// (`webhook-id` the batch's id, `X-AutoHook-Event: batch`) to `config`.
/// `previous` are the secrets a rotation replaced that still sign, newest
/// first: their signatures follow the current secret's in
/// `webhook-signature`, space-separated, as Standard Webhooks allows, so a
/// receiver holding any one of them verifies. `delivery_id` is the
/// attempt's unique id; `now` its signing time. Fails when one of the
/// webhook's templates cannot render this event.
pub fn build<'a>(
    config: &WebhookConfig,
    previous: &[&SecretKey],
    event: impl Into<Payload<'a>>,
    delivery_id: &str,
    now: Millis,
) -> Result<HttpRequest, TemplateError> {
    let event = event.into();
    let (url, body) = rendered(config, event)?;
    let payload = body.as_deref().unwrap_or_else(|| url.query().unwrap_or_default());
    let mut headers = Vec::with_capacity(config.headers.len() + 7);
    for (header, template) in config.headers_with_templates() {
        let value = match template {
            Some(template) => template.render(event)?,
            None => header.value.clone(),
        };
        headers.push((header.name.clone(), value));
    }
    if body.is_some() && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    headers.push((header::EVENT.into(), event.name().into()));
    headers.push((header::DELIVERY.into(), delivery_id.into()));
    headers.push((header::ID.into(), event.id().into()));
    if let Some(secret) = &config.secret {
        let timestamp = now.unix_seconds();
        headers.push((header::TIMESTAMP.into(), itoa::Buffer::new().format(timestamp).into()));
        let mut signatures = standard_signature(secret.key(), event.id(), timestamp, payload.as_bytes());
        for key in previous {
            signatures.push(' ');
            signatures.push_str(&standard_signature(key, event.id(), timestamp, payload.as_bytes()));
        }
        headers.push((header::STANDARD_SIGNATURE.into(), signatures));
        headers.push((header::SIGNATURE.into(), hex_signature(secret.key(), payload.as_bytes())));
    }
    Ok(HttpRequest { method: config.method.as_str(), url: url.into(), headers, body })
}

/// [`build`] for a webhook as stored: one whose stored settings do not
/// parse fails closed, with the reason, and nothing is sent.
pub fn build_stored<'a>(
    config: &StoredConfig,
    previous: &[&SecretKey],
    event: impl Into<Payload<'a>>,
    delivery_id: &str,
    now: Millis,
) -> Result<HttpRequest, BuildError> {
    Ok(build(config.valid()?, previous, event, delivery_id, now)?)
}

/// Appends the envelope's fields to the URL's query, so a GET carries the
/// event without a body; an existing query is kept first. A batch's are
/// `id`, `count`, `source`, `version` and `batch` (its envelopes as compact
/// JSON).
fn append_envelope(url: &mut Url, payload: Payload<'_>) {
    let event = match payload {
        Payload::Event(event) => event,
        Payload::Batch { .. } => {
            let envelope = payload.envelope();
            url.query_pairs_mut()
                .append_pair("id", payload.id())
                .append_pair("count", &envelope["count"].to_string())
                .append_pair("source", SOURCE)
                .append_pair("version", PAYLOAD_VERSION)
                .append_pair("batch", &envelope["batch"].to_string());
            return;
        }
    };
    let data = event.data.to_text();
    url.query_pairs_mut()
        .append_pair("id", &event.id)
        .append_pair("event", event.kind.as_str())
        .append_pair("timestamp", &event.at.iso8601())
        .append_pair("source", SOURCE)
        .append_pair("version", PAYLOAD_VERSION)
        .append_pair("data", &data);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WebhookInput;
    use crate::event::{Event, EventKind};
    use crate::signing::SecretKey;
    use serde_json::json;

    fn config(url: &str, method: &str, secret: Option<&str>) -> WebhookConfig {
        WebhookConfig::create(WebhookInput {
            url: Some(url.into()),
            method: Some(method.into()),
            secret: secret.map(String::from),
            headers: Some(json!({"Authorization": "Bearer t"})),
            ..Default::default()
        })
        .unwrap()
    }

    fn event() -> Event {
        Event::new("msg_1".into(), EventKind::MessageSent, Millis(1_000), json!({"message": "hé & co"}))
    }

    fn value<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
        request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    #[test]
    fn post_sends_the_envelope_as_json_with_both_signatures() {
        let request = build(&config("https://h.test/in", "POST", Some("s3cret")), &[], &event(), "dlv_1", Millis(5_000)).unwrap();
        let body = request.body.as_deref().unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(body).unwrap(), event().envelope());
        assert_eq!(value(&request, "content-type"), Some("application/json"));
        assert_eq!(value(&request, "authorization"), Some("Bearer t"));
        assert_eq!(value(&request, header::EVENT), Some("message_sent"));
        assert_eq!(value(&request, header::DELIVERY), Some("dlv_1"));
        assert_eq!(value(&request, header::ID), Some("msg_1"));
        assert_eq!(value(&request, header::TIMESTAMP), Some("5"));
        let key = SecretKey::parse("s3cret").unwrap();
        assert_eq!(value(&request, header::STANDARD_SIGNATURE), Some(standard_signature(&key, "msg_1", 5, body.as_bytes()).as_str()));
        assert_eq!(value(&request, header::SIGNATURE), Some(hex_signature(&key, body.as_bytes()).as_str()));
    }

    #[test]
    fn get_puts_the_envelope_in_the_query_and_signs_the_query() {
        let request = build(&config("https://h.test/in?team=ops", "GET", Some("s3cret")), &[], &event(), "dlv_1", Millis(5_000)).unwrap();
        assert_eq!(request.body, None);
        assert_eq!(value(&request, "content-type"), None);
        let url = Url::parse(&request.url).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs[0], ("team".into(), "ops".into()));
        assert_eq!(pairs[1], ("id".into(), "msg_1".into()));
        assert_eq!(pairs[2], ("event".into(), "message_sent".into()));
        assert_eq!(pairs[6], ("data".into(), r#"{"message":"hé & co"}"#.into()));
        let key = SecretKey::parse("s3cret").unwrap();
        let query = url.query().unwrap();
        assert_eq!(value(&request, header::SIGNATURE), Some(hex_signature(&key, query.as_bytes()).as_str()));
        let get = config("https://h.test/in?team=ops", "GET", Some("s3cret"));
        assert_eq!(payload_len(&get, &event()).unwrap(), query.len());
    }

    #[test]
    fn a_stored_webhook_whose_settings_do_not_parse_fails_closed_naming_the_field() {
        let mut raw = config("https://h.test/", "POST", Some("s3cret")).to_raw();
        raw.secret = Some("whsec_!!".into());
        let error = build_stored(&StoredConfig::from(raw.clone()), &[], &event(), "dlv_1", Millis(5_000)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "secret starts with whsec_ but the rest is not valid base64; not sent, since it would go out unsigned"
        );
        raw.secret = None;
        raw.timeout_ms = 0;
        let error = build_stored(&StoredConfig::from(raw), &[], &event(), "dlv_1", Millis(5_000)).unwrap_err();
        assert!(error.to_string().starts_with("not sent: its stored settings are invalid (timeoutMs: "), "{error}");
    }

    #[test]
    fn unsigned_webhooks_carry_ids_but_no_signature() {
        let request = build(&config("https://h.test/", "PUT", None), &[], &event(), "dlv_1", Millis(5_000)).unwrap();
        assert_eq!(request.method, "PUT");
        assert_eq!(value(&request, header::ID), Some("msg_1"));
        assert_eq!(value(&request, header::STANDARD_SIGNATURE), None);
        assert_eq!(value(&request, header::SIGNATURE), None);
    }
}
