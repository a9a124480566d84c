//! A webhook's custom headers: as a caller sends them (an object of names
//! to values, or its JSON text), as stored (`[name, value, secret?]`) and
//! parsed, each checked against what the browser's fetch sends and what
//! AutoHook sets itself, and its secret switch read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{check_chars, check_count, ConfigError, MAX_HEADERS, MAX_HEADERS_JSON_CHARS, MAX_HEADER_NAME_CHARS, MAX_HEADER_VALUE_CHARS};
use crate::redact::{is_secret_header, never_carries_credentials};

/// Headers the browser's fetch refuses to send (the Fetch standard's
/// forbidden request headers); `Proxy-` and `Sec-` prefixes are checked apart.
const FORBIDDEN_HEADERS: [&str; 21] = [
    "accept-charset", "accept-encoding", "access-control-request-headers", "access-control-request-method", "connection", "content-length",
    "cookie", "cookie2", "date", "dnt", "expect", "host", "keep-alive", "origin", "referer", "set-cookie", "te", "trailer",
    "transfer-encoding", "upgrade", "via",
];
/// Headers AutoHook sets itself on every request.
const RESERVED_HEADERS: [&str; 3] = ["webhook-id", "webhook-timestamp", "webhook-signature"];
const RESERVED_PREFIX: &str = "x-autohook-";

/// A custom header, parsed: its value is a credential (`secret`) unless
/// its name is one of the five that never carry one (`Content-Type`,
/// `Accept`… declared in `redact.rs`, listed by the catalog) or the user
/// switched it off. A credential is masked in the log and on
/// the settings page, and left out of an export without secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Its name, as given.
    pub name: String,
    /// Its value, as given (it may be a template).
    pub value: String,
    /// Whether its value is a credential.
    pub secret: bool,
}

/// A custom header as stored and as a file holds it: `[name, value]`, or
/// `[name, value, false]` for one the user switched to not secret.
/// Webhooks stored before the switch have the first form, which means
/// the default: secret, unless the name never carries a credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawHeader {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// Its switch, if set: `None` is secret, bar the never-credential names.
    pub secret: Option<bool>,
}

impl RawHeader {
    /// The value stored under `name` (in any case) among `headers`.
    pub fn value_of<'a>(headers: &'a [RawHeader], name: &str) -> Option<&'a str> {
        headers.iter().find(|header| header.name.eq_ignore_ascii_case(name)).map(|header| header.value.as_str())
    }
}

/// A custom header as pages see it: its value only where it is no
/// credential.
#[derive(Serialize)]
pub(crate) struct HeaderView<'a> {
    name: &'a str,
    /// `None` where `secret`.
    value: Option<&'a str>,
    /// Whether its value is a credential ([`is_secret_header`]).
    secret: bool,
}

/// The stored headers as pages see them, in order.
pub(super) fn shown_headers<'a>(headers: &'a [RawHeader]) -> Vec<HeaderView<'a>> {
    let view = |header: &'a RawHeader| {
        let secret = is_secret_header(&header.name, header.secret);
        HeaderView { name: &header.name, value: (!secret).then_some(header.value.as_str()), secret }
    };
    headers.iter().map(view).collect()
}

impl Serialize for RawHeader {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(2 + usize::from(self.secret.is_some())))?;
        seq.serialize_element(&self.name)?;
        seq.serialize_element(&self.value)?;
        if let Some(secret) = self.secret {
            seq.serialize_element(&secret)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for RawHeader {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<RawHeader, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawHeader;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a header: [name, value] or [name, value, secret]")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawHeader, A::Error> {
                use serde::de::Error;
                let name = seq.next_element()?.ok_or_else(|| A::Error::invalid_length(0, &self))?;
                let value = seq.next_element()?.ok_or_else(|| A::Error::invalid_length(1, &self))?;
                let secret = seq.next_element()?;
                if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(A::Error::invalid_length(4, &self));
                }
                Ok(RawHeader { name, value, secret })
            }
        }
        deserializer.deserialize_seq(Visitor)
    }
}

impl Header {
    /// Parses a stored header: checked as [`check_header`] does, its switch
    /// read (`Some(true)` on a name that never carries a credential is refused).
    pub(super) fn parse(raw: &RawHeader) -> Result<Header, ConfigError> {
        check_header(&raw.name, &raw.value)?;
        if raw.secret == Some(true) && never_carries_credentials(&raw.name) {
            return Err(ConfigError::HeaderNeverSecret(raw.name.clone()));
        }
        Ok(Header { name: raw.name.clone(), value: raw.value.clone(), secret: is_secret_header(&raw.name, raw.secret) })
    }

    /// As stored: the switch written only where it is off by choice.
    pub(super) fn to_raw(&self) -> RawHeader {
        let switched_off = !self.secret && !never_carries_credentials(&self.name);
        RawHeader { name: self.name.clone(), value: self.value.clone(), secret: switched_off.then_some(false) }
    }
}

pub(super) fn raw_headers(headers: &[Header]) -> Vec<RawHeader> {
    headers.iter().map(Header::to_raw).collect()
}

pub(super) fn parse_headers_json(text: &str) -> Result<Value, ConfigError> {
    check_chars("headers", "headersJson", text, MAX_HEADERS_JSON_CHARS)?;
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(text).map_err(|e| ConfigError::HeadersJson {
        line: e.line(),
        column: e.column(),
        reason: e.to_string().split(" at line").next().unwrap_or_default().to_string(),
    })
}

/// Headers as given (an object of names to a string, or to `{"value",
/// "secret"}`) as stored headers; one without `value` keeps the value
/// stored under its name in `current` (in any case).
pub(super) fn header_pairs(value: Value, current: &[RawHeader]) -> Result<Vec<RawHeader>, ConfigError> {
    let object: &serde_json::Map<String, Value> = value.as_object().ok_or(ConfigError::HeadersNotObject)?;
    check_count("headers", "headers", object.len(), MAX_HEADERS)?;
    object
        .iter()
        .map(|(name, entry)| {
            let (value, secret) = match entry {
                Value::String(value) => (Some(value.clone()), None),
                Value::Object(fields) if fields.keys().all(|key| key == "value" || key == "secret") => {
                    let value = match fields.get("value") {
                        None => None,
                        Some(Value::String(value)) => Some(value.clone()),
                        Some(_) => return Err(ConfigError::HeaderNotString(name.clone())),
                    };
                    let secret = match fields.get("secret") {
                        None => None,
                        Some(Value::Bool(secret)) => Some(*secret),
                        Some(_) => return Err(ConfigError::HeaderNotString(name.clone())),
                    };
                    (value, secret)
                }
                _ => return Err(ConfigError::HeaderNotString(name.clone())),
            };
            let value = match value {
                Some(value) => value,
                None => {
                    RawHeader::value_of(current, name).map(str::to_string).ok_or_else(|| ConfigError::HeaderValueMissing(name.clone()))?
                }
            };
            Ok(RawHeader { name: name.clone(), value, secret })
        })
        .collect()
}

/// Checks every header; of names that differ only in case the last is
/// kept, and they are sent in the order of their names.
pub(super) fn parse_headers(raw: &[RawHeader]) -> Result<Vec<Header>, ConfigError> {
    check_count("headers", "headers", raw.len(), MAX_HEADERS)?;
    let mut seen = BTreeMap::new();
    for header in raw {
        seen.insert(header.name.to_ascii_lowercase(), Header::parse(header)?);
    }
    Ok(seen.into_values().collect())
}

fn check_header(name: &str, value: &str) -> Result<(), ConfigError> {
    check_chars("headers", "a header name", name, MAX_HEADER_NAME_CHARS)?;
    check_chars("headers", &format!("header {name:?}'s value"), value, MAX_HEADER_VALUE_CHARS)?;
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(is_token_char) {
        return Err(ConfigError::HeaderName(name.to_string()));
    }
    if value.contains(['\r', '\n', '\0']) {
        return Err(ConfigError::HeaderValue(name.to_string()));
    }
    if value.chars().any(|c| u32::from(c) > 0xFF) {
        return Err(ConfigError::HeaderNotLatin1(name.to_string()));
    }
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN_HEADERS.contains(&lower.as_str()) || lower.starts_with("proxy-") || lower.starts_with("sec-") {
        return Err(ConfigError::HeaderForbidden(name.to_string()));
    }
    if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with(RESERVED_PREFIX) {
        return Err(ConfigError::HeaderReserved(name.to_string()));
    }
    Ok(())
}
