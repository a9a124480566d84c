//! Webhook settings: raw input from the message API parsed once, at the edge,
//! into a [`WebhookConfig`] that is valid by construction, or a
//! [`ConfigError`] that names the field and what is wrong with it.
//!
//! Settings are stored as text ([`RawConfig`]) and there is one parser,
//! [`WebhookConfig::parse`]: input ([`WebhookInput`]) is applied to the text
//! and the whole parsed again, and storage is read through the same parse.
//! What was stored but no longer parses is a [`StoredConfig::Invalid`],
//! which keeps the text and the error rather than dropping either.
//!
//! Each field is declared once, as a row of the `settings!` table below:
//! its wire name, input, stored text and default, how it parses and is
//! stored back, how pages are shown it, its limits, its control on the
//! settings page and the errors that name it. The three structs,
//! `create`'s defaults, `apply`, `parse`, `to_raw`, the view
//! ([`ConfigView`]), the catalog's limits and fields and
//! [`ConfigError::field`] follow from it. A new field is a row and its
//! parse function here, its error variant in `error.rs` (the headers'
//! rules are in `headers.rs`), and a label in the locales.
//!
//! ## Limits
//!
//! Every field has a size limit, so no input is too large to store, show
//! or check, and going over it is an error naming the field. Each row's
//! doc says its limits, which rustdoc shows on [`WebhookInput`]; a test
//! holds the docs to the consts.

use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::event::EventKind;
use crate::filter::{Filters, Match, MAX_CONDITIONS, MAX_CONDITION_CHARS};
use crate::preset::Preset;
use crate::redact::{self, template_literals, Credentials, StoredUrl, UrlSecrets};
use crate::settings::{settings, Control};

mod error;
mod headers;

use crate::signing::Secret;
use crate::template::{query_template, RequestPart, Template, MAX_TAGS, MAX_TEMPLATE_CHARS};
pub use error::ConfigError;
use headers::{header_pairs, parse_headers, parse_headers_json, raw_headers, shown_headers};
pub use headers::{Header, RawHeader};

/// Retry delays after the first attempt, in milliseconds.
pub const DEFAULT_RETRY_SCHEDULE: [u64; 3] = [1000, 2000, 3000];
/// How long one attempt may take.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// First attempts per webhook per minute; the excess waits in the outbox.
pub const DEFAULT_RATE_PER_MINUTE: u32 = 100;
pub(crate) const MAX_NAME_CHARS: usize = 100;
/// Browsers and servers commonly cap URLs near 2 KB (8 KB at most).
pub(crate) const MAX_URL_CHARS: usize = 2048;
/// Custom headers per webhook; a receiver needs a few.
pub(crate) const MAX_HEADERS: usize = 20;
pub(crate) const MAX_HEADER_NAME_CHARS: usize = 128;
/// Room for a long bearer token or JWT.
pub(crate) const MAX_HEADER_VALUE_CHARS: usize = 4096;
pub(crate) const MAX_HEADERS_JSON_CHARS: usize = 100_000;
// The JSON text must hold every header at its longest, with quoting and indentation.
const _: () = assert!(MAX_HEADERS_JSON_CHARS >= MAX_HEADERS * (MAX_HEADER_NAME_CHARS + MAX_HEADER_VALUE_CHARS + 16));
/// `whsec_` and a base64 key of 32 to 64 bytes, or a plain passphrase.
pub(crate) const MAX_SECRET_CHARS: usize = 256;
/// More than every event kind, even named twice.
pub(crate) const MAX_EVENT_NAMES: usize = 32;
/// Telegram chat ids are 64-bit numbers or `@` and a 5-32 character name.
pub(crate) const MAX_CHAT_ID_CHARS: usize = 64;
pub(crate) const MAX_RETRIES: usize = 10;
pub(crate) const MAX_RETRY_DELAY_MS: u64 = 3_600_000;
pub(crate) const TIMEOUT_RANGE_MS: (u64, u64) = (1000, 120_000);
pub(crate) const RATE_RANGE: (u32, u32) = (1, 10_000);
/// Consecutive failed deliveries after which a webhook is turned off and
/// its events held (Svix and GitLab stop calling a failing endpoint too).
pub const DEFAULT_AUTO_DISABLE_AFTER: u32 = 20;
/// A thousand failures in a row is a receiver that is gone, not flaky.
pub(crate) const MAX_AUTO_DISABLE_AFTER: u32 = 1000;

/// Events in one batch: `maxEvents`' range. One is no batch; past 100 a
/// digest says little and a body nears the 256 KB cap.
pub(crate) const BATCH_EVENTS_RANGE: (u32, u32) = (2, 100);
/// How long a batch may stay open: `maxWaitSeconds`' range, a second to an hour.
pub(crate) const BATCH_WAIT_RANGE_S: (u32, u32) = (1, 3600);

/// HTTP method a webhook is called with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// JSON body.
    Post,
    /// No body: the envelope goes into the query string.
    Get,
    /// JSON body.
    Put,
    /// JSON body.
    Patch,
}

impl Method {
    /// The method's name as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
        }
    }
}

settings! {
    /// What a caller may send to create or change a webhook. Every field is
    /// optional: on create, missing fields take defaults; on update, they keep
    /// their current value.
    input WebhookInput;
    /// A webhook's settings as text: what storage holds (written by this build,
    /// or by another one or a sync tool) and what [`WebhookInput`] edits.
    /// [`WebhookConfig::parse`] is the one way from it to settings that can be
    /// used; the engine keeps only its result.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    stored RawConfig;
    /// A webhook's settings, valid by construction: every field parsed once,
    /// when input is saved or storage is read, so sending never parses and
    /// has no parse error to drop. Stored as its [`RawConfig`] text.
    #[derive(Clone, Debug, PartialEq, Deserialize)]
    #[serde(try_from = "RawConfig")]
    valid WebhookConfig {
        /// The templates a request is rendered from, parsed.
        templates: Templates,
        /// The URL's credentials, found once.
        url_secrets: UrlSecrets,
    } finished by finish;
    /// A webhook's settings as pages see them, in the table's order: never
    /// a credential. The URL reads as typed, its secret parts masked;
    /// headers are `{name, value, secret}`, `value` `null` where `secret`;
    /// the secret is hidden (the API says only whether there is one).
    /// `webhooks.revealSecret` gives the editor what is left out.
    view ConfigView;
    error ConfigError;
    defaults(url: &Url);
    prepare headers_from_json;
    also {
        /// Custom headers as JSON text of the `headers` object (the settings
        /// page's JSON mode), up to 100000 characters; not stored, it becomes
        /// `headers`.
        headers_json: String = "headersJson" { limits: {"maxChars": MAX_HEADERS_JSON_CHARS} },
    }
    fields {
        /// Display name, 1 to 99 characters; defaults to the URL's host.
        name = "name" {
            input: String => replace,
            // A host can be longer than a name may be; the name it gives must
            // not be refused. Its token labels masked: a name is shown and exported.
            stored: String = UrlSecrets::of(url).shown_host(url).chars().take(MAX_NAME_CHARS - 1).collect(),
            parse: String = with(parse_name),
            store: keep,
            shown: stored,
            control: Control::Text,
            // A name must be under MAX_NAME_CHARS.
            limits: {"maxChars": MAX_NAME_CHARS - 1},
            errors: [NameEmpty, NameTooLong(_)],
        },
        /// Where deliveries go: an http(s) URL without credentials, up to
        /// 2048 characters.
        url = "url" {
            input: String => replace,
            stored: String = url.to_string(),
            parse: Url = with(parse_url),
            store: with(url_text),
            shown: with(shown_url),
            control: Control::Own,
            limits: {"maxChars": MAX_URL_CHARS},
            errors: [UrlMissing, UrlOmitted, UrlOmittedRedirected(_), UrlUnparsable(_), UrlScheme(_), UrlCredentials, QueryTemplate(_)],
        },
        /// How it is called: `POST`, `GET`, `PUT` or `PATCH`.
        method = "method" {
            input: String => replace,
            stored: String = Method::Post.as_str().into(),
            parse: Method = with(parse_method),
            store: with(method_name),
            shown: stored,
            control: Control::Own,
            errors: [Method(_), PresetNeedsBody],
        },
        /// Event names it subscribes to (never empty), up to 32; defaults to
        /// all but `test`.
        events = "events" {
            input: Vec<String> => replace,
            stored: Vec<String> = EventKind::ALL.into_iter().filter(|k| k.is_subscribable()).map(|k| k.as_str().into()).collect(),
            parse: Vec<EventKind> = with(parse_events),
            store: with(event_names),
            shown: stored,
            control: Control::Own,
            limits: {"maxItems": MAX_EVENT_NAMES},
            errors: [NoEvents, UnknownEvent(_)],
        },
        /// Custom headers, in the order sent: up to 20, names up to 128
        /// characters, values up to 4096. A caller sends an object of
        /// names to values: each a string, or `{"value", "secret"}` to set its
        /// switch (see [`Header`]); without `value`, the header keeps the
        /// value stored under its name (the settings page sends a value it
        /// never showed that way).
        headers = "headers" {
            input: Value => merge(header_pairs),
            stored: Vec<RawHeader> = Vec::new(),
            parse: Vec<Header> = with(parse_headers),
            store: with(raw_headers),
            shown: with(shown_headers),
            control: Control::Own,
            limits: {"maxItems": MAX_HEADERS, "maxNameChars": MAX_HEADER_NAME_CHARS, "maxValueChars": MAX_HEADER_VALUE_CHARS},
            errors: [
                HeadersTwice, HeadersJson { .. }, HeadersNotObject, HeaderNotString(_), HeaderValueMissing(_), HeaderNeverSecret(_),
                HeaderName(_), HeaderValue(_), HeaderForbidden(_), HeaderReserved(_), HeaderNotLatin1(_), HeaderTemplate(..)
            ],
        },
        /// Signing secret, up to 256 characters: its text and its key; an
        /// empty string removes it.
        secret = "secret" {
            input: String => map(non_empty),
            stored: Option<String> = None,
            parse: Option<Secret> = with(parse_secret),
            store: with(secret_text),
            shown: hidden,
            control: Control::Own,
            limits: {"maxChars": MAX_SECRET_CHARS},
            errors: [Secret(_)],
        },
        /// Whether it receives events.
        enabled = "enabled" {
            input: bool => replace,
            stored: bool = true,
            parse: bool = keep,
            store: keep,
            shown: stored,
            control: Control::Own,
        },
        /// Delays before each retry, in milliseconds: up to 10 of 0 to
        /// 3600000 each; defaults to `[1000, 2000, 3000]`.
        retry_schedule = "retrySchedule" {
            input: Vec<u64> => replace,
            stored: Vec<u64> = DEFAULT_RETRY_SCHEDULE.to_vec(),
            parse: Vec<u64> = with(parse_retry_schedule),
            store: keep,
            shown: stored,
            control: Control::Numbers,
            limits: {"maxItems": MAX_RETRIES, "min": 0, "max": MAX_RETRY_DELAY_MS},
            errors: [RetrySchedule],
        },
        /// Per-attempt timeout in milliseconds, 1000 to 120000; defaults to
        /// 10000.
        timeout_ms = "timeoutMs" {
            input: u64 => replace,
            stored: u64 = DEFAULT_TIMEOUT_MS,
            parse: u64 = within(TIMEOUT_RANGE_MS, ConfigError::Timeout),
            store: keep,
            shown: stored,
            control: Control::NumberBy(1000),
            limits: {"min": TIMEOUT_RANGE_MS.0, "max": TIMEOUT_RANGE_MS.1},
            errors: [Timeout],
        },
        /// First attempts allowed per minute, 1 to 10000 (the excess waits in
        /// the outbox); defaults to 100.
        rate_per_minute = "ratePerMinute" {
            input: u32 => replace,
            stored: u32 = DEFAULT_RATE_PER_MINUTE,
            parse: u32 = within(RATE_RANGE, ConfigError::Rate),
            store: keep,
            shown: stored,
            control: Control::Number,
            limits: {"min": RATE_RANGE.0, "max": RATE_RANGE.1},
            errors: [Rate],
        },
        /// Consecutive failed deliveries after which it is turned off and its
        /// events held, 0 (never) to 1000; defaults to 20. Earlier versions
        /// stored none.
        auto_disable_after = "autoDisableAfter" {
            input: u32 => replace,
            stored: #[serde(default = "default_auto_disable_after")] u32 = DEFAULT_AUTO_DISABLE_AFTER,
            parse: u32 = within((0, MAX_AUTO_DISABLE_AFTER), ConfigError::AutoDisableAfter),
            store: keep,
            shown: stored,
            control: Control::Number,
            limits: {"min": 0, "max": MAX_AUTO_DISABLE_AFTER},
            errors: [AutoDisableAfter],
        },
        /// Send events in batches rather than one request each (`null`: one
        /// request per event, the default): `{"maxEvents", "maxWaitSeconds"}`,
        /// 2 to 100 events and 1 to 3600 seconds, whichever comes first.
        /// Earlier versions stored none (off).
        batch = "batch" {
            input: #[serde(default, deserialize_with = "present")] Option<Batch> => replace,
            stored: #[serde(default)] Option<Batch> = None,
            parse: Option<Batch> = with(parse_batch),
            store: keep,
            shown: stored,
            control: Control::Own,
            limits: {
                "maxEvents": {"min": BATCH_EVENTS_RANGE.0, "max": BATCH_EVENTS_RANGE.1},
                "maxWaitSeconds": {"min": BATCH_WAIT_RANGE_S.0, "max": BATCH_WAIT_RANGE_S.1},
            },
            errors: [Batch],
        },
        /// Whether a 2xx reply's `autohook` object is acted on: a text typed
        /// into the campaign's chat, or a campaign control (see
        /// `engine::replies`). Earlier versions stored none (off).
        act_on_replies = "actOnReplies" {
            input: bool => replace,
            stored: #[serde(default)] bool = false,
            parse: bool = keep,
            store: keep,
            shown: stored,
            control: Control::Bool,
            errors: [RepliesNeedPrivateChannel],
        },
        /// Deliver only events these conditions let through, up to 20 of up to
        /// 500 characters each; no conditions, no filter.
        filters = "filters" {
            input: FiltersInput => map(Some),
            stored: #[serde(default)] Option<FiltersInput> = None,
            parse: Option<Filters> = with(parse_filters),
            store: with(filters_input),
            shown: stored,
            control: Control::Own,
            limits: {"maxItems": MAX_CONDITIONS, "maxChars": MAX_CONDITION_CHARS},
            errors: [Filters(_)],
        },
        /// The body's shape: `raw` (default), `slack`, `discord`, `teams`,
        /// `telegram`, `ifttt`, `zapier`, `make`, `n8n`, `custom`. Earlier
        /// versions stored none (the default).
        preset = "preset" {
            input: String => replace,
            stored: #[serde(default = "default_preset_name")] String = preset_name(&Preset::Raw),
            parse: Preset = with(parse_preset),
            store: with(preset_name),
            shown: stored,
            control: Control::Own,
            errors: [Preset(_)],
        },
        /// Telegram's `chat_id`, for the `telegram` preset, up to 64
        /// characters; empty removes it.
        chat_id = "chatId" {
            input: String => map(trimmed),
            stored: #[serde(default)] Option<String> = None,
            parse: Option<String> = with(parse_chat_id),
            store: keep,
            shown: stored,
            control: Control::Own,
            limits: {"maxChars": MAX_CHAT_ID_CHARS},
            errors: [ChatIdMissing],
        },
        /// The JSON body template of the `custom` preset, up to 16384
        /// characters and 256 tags, kept while another preset is chosen so
        /// switching back does not lose it; empty removes it.
        template = "template" {
            input: String => map(not_blank),
            stored: #[serde(default)] Option<String> = None,
            // Its length is checked with the rules across fields, before its parse.
            parse: Option<String> = keep,
            store: keep,
            shown: stored,
            control: Control::Own,
            limits: {"maxChars": MAX_TEMPLATE_CHARS, "maxTags": MAX_TAGS},
            errors: [TemplateMissing, Template(_)],
        },
    }
}

/// When a webhook's open batch is sent: once it holds `max_events`, or its
/// first event is `max_wait_seconds` old, whichever comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Batch {
    /// Events that close a batch.
    pub max_events: u32,
    /// Seconds after its first event that a batch is sent anyway.
    pub max_wait_seconds: u32,
}

impl Batch {
    /// How long a batch stays open at most.
    pub fn max_wait_ms(&self) -> u64 {
        u64::from(self.max_wait_seconds) * 1000
    }
}

/// A field that is present, even as `null`: `Some(None)`, so `null` can
/// mean "off" while an absent field means "unchanged".
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Filters as a caller sends them, and as they are stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiltersInput {
    /// `all` (default) or `any`.
    #[serde(rename = "match", default)]
    pub mode: Match,
    /// Conditions such as `data.messagesSentToday >= 100`.
    #[serde(default)]
    pub conditions: Vec<String>,
}

/// A webhook's templates, parsed from its settings' text.
#[derive(Clone, Debug, Default, PartialEq)]
struct Templates {
    /// The body, for the `custom` preset.
    body: Option<Template>,
    /// For each header in order, its value as a template if it has tags.
    headers: Vec<Option<Template>>,
    /// The URL's query, if it has tags.
    query: Option<Template>,
}

/// A webhook's settings as read from storage: parsed, or, when what was
/// stored no longer parses (another build or a sync tool wrote it), kept as
/// found with the error, so the webhook still loads, is listed, never sends,
/// and can be fixed or deleted. Stored as its text either way.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(from = "RawConfig")]
pub enum StoredConfig {
    /// Settings that parse.
    Valid(WebhookConfig),
    /// Settings that do not.
    Invalid(InvalidConfig),
}

/// Stored settings that do not parse, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct InvalidConfig {
    /// The settings as stored.
    pub raw: RawConfig,
    /// The first field that does not parse.
    pub error: ConfigError,
}

impl WebhookConfig {
    /// Validates `input` for a new webhook: defaults, with `input` applied.
    pub fn create(input: WebhookInput) -> Result<WebhookConfig, ConfigError> {
        let url = parse_url(input.url.as_deref().ok_or(ConfigError::UrlMissing)?)?;
        WebhookConfig::parse(&RawConfig::defaults(&url).apply(input)?)
    }

    /// This config with the fields `input` sets replaced, all validated;
    /// `self` is untouched, so a refused update changes nothing.
    pub fn apply(&self, input: WebhookInput) -> Result<WebhookConfig, ConfigError> {
        WebhookConfig::parse(&self.to_raw().apply(input)?)
    }

    /// Whether this webhook wants `kind` (the Test event always gets through).
    pub fn wants(&self, kind: EventKind) -> bool {
        kind == EventKind::Test || self.events.contains(&kind)
    }

    /// The body template, when the preset is `custom`.
    pub fn body_template(&self) -> Option<&Template> {
        self.templates.body.as_ref()
    }

    /// The URL's query template, if the query has tags.
    pub fn query_template(&self) -> Option<&Template> {
        self.templates.query.as_ref()
    }

    /// Each header with its value's template, if the value has tags.
    pub fn headers_with_templates(&self) -> impl Iterator<Item = (&Header, Option<&Template>)> {
        self.headers.iter().zip(self.templates.headers.iter().map(Option::as_ref))
    }

    /// Its credentials, by where they come from: the secret's text, the
    /// secret headers' names and the URL's secret parts.
    pub fn credentials(&self) -> Credentials<'_> {
        let secret = || self.headers_with_templates().filter(|(header, _)| header.secret);
        Credentials {
            secrets: self.secret.as_ref().map(Secret::as_str).into_iter().collect(),
            headers: secret().map(|(header, _)| header.name.as_str()).collect(),
            header_values: secret()
                .flat_map(|(header, template)| template.map_or_else(|| vec![header.value.as_str()], template_literals))
                .collect(),
            url: Some(&self.url_secrets),
        }
    }
}

impl Templates {
    /// Parses every template and renders it for a sample of every event the
    /// webhook can get, so one that would fail is refused now, with its
    /// position.
    fn parse(
        url: &Url,
        headers: &[Header],
        preset: Preset,
        body: Option<&str>,
        events: &[EventKind],
        batched: bool,
    ) -> Result<Templates, ConfigError> {
        let mut events = events.to_vec();
        events.push(EventKind::Test);
        let body = match preset {
            Preset::Custom => {
                let template = body.ok_or(ConfigError::TemplateMissing)?;
                Some(Template::check(template, RequestPart::Json, &events, batched).map_err(ConfigError::Template)?)
            }
            _ => None,
        };
        let headers = headers
            .iter()
            .map(|Header { name, value, .. }| match value.contains("{{") {
                true => Template::check(value, RequestPart::Header, &events, batched)
                    .map(Some)
                    .map_err(|e| ConfigError::HeaderTemplate(name.clone(), e)),
                false => Ok(None),
            })
            .collect::<Result<_, _>>()?;
        let query = match query_template(url) {
            Some(query) => Some(Template::check(&query, RequestPart::Query, &events, batched).map_err(ConfigError::QueryTemplate)?),
            None => None,
        };
        Ok(Templates { body, headers, query })
    }
}

impl TryFrom<RawConfig> for WebhookConfig {
    type Error = ConfigError;

    fn try_from(raw: RawConfig) -> Result<WebhookConfig, ConfigError> {
        WebhookConfig::parse(&raw)
    }
}

impl Serialize for WebhookConfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_raw().serialize(serializer)
    }
}

impl StoredConfig {
    /// The settings, or why the stored ones do not parse.
    pub fn valid(&self) -> Result<&WebhookConfig, &ConfigError> {
        match self {
            StoredConfig::Valid(config) => Ok(config),
            StoredConfig::Invalid(invalid) => Err(&invalid.error),
        }
    }

    /// The settings with `input` applied, parsed whole: an invalid stored
    /// field must be fixed by the same change.
    pub fn apply(&self, input: WebhookInput) -> Result<WebhookConfig, ConfigError> {
        match self {
            StoredConfig::Valid(config) => config.apply(input),
            StoredConfig::Invalid(invalid) => WebhookConfig::parse(&invalid.raw.apply(input)?),
        }
    }

    /// The settings' text as stored, parsed or not.
    pub fn to_raw(&self) -> RawConfig {
        match self {
            StoredConfig::Valid(config) => config.to_raw(),
            StoredConfig::Invalid(invalid) => invalid.raw.clone(),
        }
    }

    /// Display name.
    pub fn name(&self) -> &str {
        match self {
            StoredConfig::Valid(config) => &config.name,
            StoredConfig::Invalid(invalid) => &invalid.raw.name,
        }
    }

    /// Whether it receives events; settings that do not parse never do.
    pub fn enabled(&self) -> bool {
        self.valid().is_ok_and(|config| config.enabled)
    }

    /// Turns it off.
    pub fn disable(&mut self) {
        match self {
            StoredConfig::Valid(config) => config.enabled = false,
            StoredConfig::Invalid(invalid) => invalid.raw.enabled = false,
        }
    }

    /// The signing secret's text as stored, parsed or not.
    pub fn secret(&self) -> Option<&str> {
        match self {
            StoredConfig::Valid(config) => config.secret.as_ref().map(Secret::as_str),
            StoredConfig::Invalid(invalid) => invalid.raw.secret.as_deref(),
        }
    }
}

impl From<RawConfig> for StoredConfig {
    fn from(raw: RawConfig) -> StoredConfig {
        match WebhookConfig::parse(&raw) {
            Ok(config) => StoredConfig::Valid(config),
            Err(error) => StoredConfig::Invalid(InvalidConfig { raw, error }),
        }
    }
}

impl Serialize for StoredConfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            StoredConfig::Valid(config) => config.serialize(serializer),
            StoredConfig::Invalid(invalid) => invalid.raw.serialize(serializer),
        }
    }
}

/// A unit enum's variant from its serde name, without building a JSON value.
pub(crate) fn parse_variant<T: DeserializeOwned>(text: &str) -> Option<T> {
    T::deserialize(IntoDeserializer::<serde::de::value::Error>::into_deserializer(text)).ok()
}

/// A preset's serde name, as [`parse_variant`] reads it back.
fn preset_name(preset: &Preset) -> String {
    match serde_json::to_value(preset) {
        Ok(Value::String(name)) => name,
        // A unit variant serializes to its name.
        _ => unreachable!("a preset serializes to its name"),
    }
}

/// The stored URL as pages show it: as typed ([`display_url`]), its secret
/// parts masked; all of it masked when it does not parse.
fn shown_url(url: &str) -> String {
    match StoredUrl::read(url) {
        StoredUrl::Parsed(url, secrets) => redact::shown(&display_url(&secrets.mask(&url))),
        StoredUrl::Empty => String::new(),
        StoredUrl::Unparsable => redact::REDACTED.to_string(),
    }
}

/// The URL as the user typed it: a query template reads with its spaces
/// and quotes, not percent-encoded.
pub(crate) fn display_url(url: &Url) -> String {
    match query_template(url) {
        Some(query) => {
            let mut base = url.clone();
            base.set_query(None);
            base.set_fragment(None);
            format!("{base}?{query}")
        }
        None => url.to_string(),
    }
}

fn default_auto_disable_after() -> u32 {
    DEFAULT_AUTO_DISABLE_AFTER
}

fn default_preset_name() -> String {
    preset_name(&Preset::default())
}

/// The rules across fields, once each field parsed, and the parts derived
/// from several: what a preset needs, what acting on replies needs, and
/// every template rendered for the events the webhook gets.
fn finish(config: &mut WebhookConfig) -> Result<(), ConfigError> {
    if config.preset == Preset::Telegram && config.chat_id.is_none() {
        return Err(ConfigError::ChatIdMissing);
    }
    if !config.preset.is_raw() && config.method == Method::Get {
        return Err(ConfigError::PresetNeedsBody);
    }
    if config.act_on_replies && !is_private_channel(&config.url) {
        return Err(ConfigError::RepliesNeedPrivateChannel);
    }
    if let Some(template) = &config.template {
        // Checked apart from its parse: a template is kept while another
        // preset is chosen, and then it is not parsed.
        check_chars("template", "template", template, MAX_TEMPLATE_CHARS)?;
    }
    config.templates =
        Templates::parse(&config.url, &config.headers, config.preset, config.template.as_deref(), &config.events, config.batch.is_some())?;
    config.url_secrets = UrlSecrets::of(&config.url);
    Ok(())
}

/// `headersJson` as the `headers` object it holds; giving both is an error.
fn headers_from_json(mut input: WebhookInput) -> Result<WebhookInput, ConfigError> {
    if let Some(text) = input.headers_json.take() {
        if input.headers.is_some() {
            return Err(ConfigError::HeadersTwice);
        }
        input.headers = Some(parse_headers_json(&text)?);
    }
    Ok(input)
}

fn parse_name(name: &str) -> Result<String, ConfigError> {
    let chars = name.trim().chars().count();
    match chars {
        0 => Err(ConfigError::NameEmpty),
        n if n >= MAX_NAME_CHARS => Err(ConfigError::NameTooLong(n)),
        _ => Ok(name.to_string()),
    }
}

fn url_text(url: &Url) -> String {
    url.to_string()
}

fn method_name(method: &Method) -> String {
    method.as_str().into()
}

fn event_names(kinds: &[EventKind]) -> Vec<String> {
    kinds.iter().map(|kind| kind.as_str().into()).collect()
}

/// An empty text given for a field that may be absent removes it.
fn non_empty(text: String) -> Option<String> {
    Some(text).filter(|text| !text.is_empty())
}

/// Text given trimmed; empty removes the field.
fn trimmed(text: String) -> Option<String> {
    Some(text.trim().to_string()).filter(|text| !text.is_empty())
}

/// Text that is only spaces removes the field; other text is kept as given.
fn not_blank(text: String) -> Option<String> {
    Some(text).filter(|text| !text.trim().is_empty())
}

fn parse_secret(secret: &Option<String>) -> Result<Option<Secret>, ConfigError> {
    let Some(secret) = secret else { return Ok(None) };
    check_chars("secret", "secret", secret, MAX_SECRET_CHARS)?;
    Ok(Some(Secret::parse(secret)?))
}

fn secret_text(secret: &Option<Secret>) -> Option<String> {
    secret.as_ref().map(|secret| secret.as_str().into())
}

fn parse_retry_schedule(delays: &[u64]) -> Result<Vec<u64>, ConfigError> {
    if delays.len() > MAX_RETRIES || delays.iter().any(|ms| *ms > MAX_RETRY_DELAY_MS) {
        return Err(ConfigError::RetrySchedule);
    }
    Ok(delays.to_vec())
}

fn parse_batch(batch: &Option<Batch>) -> Result<Option<Batch>, ConfigError> {
    if let Some(batch) = batch {
        let events = (BATCH_EVENTS_RANGE.0..=BATCH_EVENTS_RANGE.1).contains(&batch.max_events);
        if !events || !(BATCH_WAIT_RANGE_S.0..=BATCH_WAIT_RANGE_S.1).contains(&batch.max_wait_seconds) {
            return Err(ConfigError::Batch);
        }
    }
    Ok(*batch)
}

fn parse_filters(filters: &Option<FiltersInput>) -> Result<Option<Filters>, ConfigError> {
    match filters {
        Some(filters) => Ok(Filters::parse(filters.mode, filters.conditions.clone())?),
        None => Ok(None),
    }
}

fn filters_input(filters: &Option<Filters>) -> Option<FiltersInput> {
    filters.as_ref().map(|f| FiltersInput { mode: f.mode, conditions: f.conditions.clone() })
}

fn parse_preset(name: &str) -> Result<Preset, ConfigError> {
    parse_variant(name).ok_or_else(|| ConfigError::Preset(name.to_string()))
}

fn parse_chat_id(chat_id: &Option<String>) -> Result<Option<String>, ConfigError> {
    if let Some(chat_id) = chat_id {
        check_chars("chatId", "chatId", chat_id, MAX_CHAT_ID_CHARS)?;
    }
    Ok(chat_id.clone())
}

/// Refuses `text`, which `what` names in the message, when it has more
/// than `max` characters.
fn check_chars(field: &'static str, what: &str, text: &str, max: usize) -> Result<(), ConfigError> {
    if text.chars().nth(max).is_none() {
        return Ok(());
    }
    Err(ConfigError::TooLong { field, what: what.to_string(), max, chars: text.chars().count() })
}

/// Refuses a list of `count` `items` when it has more than `max`.
fn check_count(field: &'static str, items: &'static str, count: usize, max: usize) -> Result<(), ConfigError> {
    if count > max {
        return Err(ConfigError::TooMany { field, items, max, count });
    }
    Ok(())
}

/// Whether only the receiver can write what comes back from `url`: TLS, or
/// a request that never leaves the machine. A reply can type into the
/// user's chat, so acting on one needs this.
fn is_private_channel(url: &Url) -> bool {
    url.scheme() == "https"
        || match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        }
}

/// Parses a webhook URL: http(s) only, no credentials.
pub fn parse_url(text: &str) -> Result<Url, ConfigError> {
    check_chars("url", "url", text.trim(), MAX_URL_CHARS)?;
    let url = Url::parse(text.trim()).map_err(|e| ConfigError::UrlUnparsable(e.to_string()))?;
    // Also as stored: percent-encoding can make a short non-ASCII URL long,
    // and a stored URL is checked again on every start.
    check_chars("url", "url", url.as_str(), MAX_URL_CHARS)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::UrlScheme(url.scheme().to_string()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::UrlCredentials);
    }
    Ok(url)
}

fn parse_method(text: &str) -> Result<Method, ConfigError> {
    match text.to_ascii_uppercase().as_str() {
        "POST" => Ok(Method::Post),
        "GET" => Ok(Method::Get),
        "PUT" => Ok(Method::Put),
        "PATCH" => Ok(Method::Patch),
        _ => Err(ConfigError::Method(text.to_string())),
    }
}

fn parse_events(names: &[String]) -> Result<Vec<EventKind>, ConfigError> {
    if names.is_empty() {
        return Err(ConfigError::NoEvents);
    }
    check_count("events", "names", names.len(), MAX_EVENT_NAMES)?;
    let mut kinds = Vec::with_capacity(names.len());
    for name in names {
        let kind = EventKind::parse(name).ok_or_else(|| ConfigError::UnknownEvent(name.clone()))?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::SecretError;
    use serde_json::json;

    fn input(url: &str) -> WebhookInput {
        WebhookInput { url: Some(url.into()), ..Default::default() }
    }

    #[test]
    fn create_fills_defaults_and_names_after_the_host() {
        let config = WebhookConfig::create(input("https://hooks.example.com/x")).unwrap();
        assert_eq!(config.name, "hooks.example.com");
        assert_eq!(config.method, Method::Post);
        assert_eq!(config.events.len(), EventKind::ALL.len() - 1, "every kind but test");
        assert!(!config.events.contains(&EventKind::Test));
        assert_eq!(config.retry_schedule, vec![1000, 2000, 3000]);
        assert_eq!(config.timeout_ms, 10_000);
        assert!(config.enabled);
    }

    #[test]
    fn each_bad_url_names_the_url_field() {
        for (url, expected) in [
            ("not a url", "url does not parse: relative URL without a base"),
            ("ftp://example.com/", "url must use http or https, not ftp"),
            ("https://me:pw@example.com/", "url must not contain a user name or password; use a header instead"),
        ] {
            let error = WebhookConfig::create(input(url)).unwrap_err();
            assert_eq!(error.field(), "url");
            assert_eq!(error.to_string(), expected);
        }
    }

    #[test]
    fn hosts_beyond_ascii_are_refused_and_their_ascii_form_taken() {
        // No Unicode tables in the URL parser (idna_adapter 1.0 in Cargo.lock):
        // the settings page sends the browser's ASCII form of such a URL.
        let error = WebhookConfig::create(input("https://bücher.example/")).unwrap_err();
        assert_eq!(error.to_string(), "url does not parse: invalid international domain name");
        let config = WebhookConfig::create(input("https://xn--bcher-kva.example/ü")).unwrap();
        assert_eq!(config.url.as_str(), "https://xn--bcher-kva.example/%C3%BC");
        // Uppercase beside non-ASCII, even percent-encoded: refused, not a panic (see Cargo.toml).
        for url in ["http://A%Aa", "https://Bücher.example/", "http:A%C3%BC"] {
            assert_eq!(WebhookConfig::create(input(url)).unwrap_err().field(), "url", "{url}");
        }
    }

    #[test]
    fn names_must_be_present_and_short() {
        let mut bad = input("https://example.com/");
        bad.name = Some("  ".into());
        assert_eq!(WebhookConfig::create(bad.clone()).unwrap_err(), ConfigError::NameEmpty);
        bad.name = Some("x".repeat(100));
        assert_eq!(WebhookConfig::create(bad).unwrap_err(), ConfigError::NameTooLong(100));
    }

    #[test]
    fn a_long_host_gives_a_name_cut_to_fit() {
        let host = format!("{}.test", "a".repeat(120));
        let config = WebhookConfig::create(input(&format!("https://{host}/"))).unwrap();
        assert_eq!(config.name, host[..MAX_NAME_CHARS - 1]);
    }

    #[test]
    fn events_must_be_known_and_not_empty() {
        let mut bad = input("https://example.com/");
        bad.events = Some(vec![]);
        assert_eq!(WebhookConfig::create(bad.clone()).unwrap_err(), ConfigError::NoEvents);
        bad.events = Some(vec!["message_sent".into(), "mesage_sent".into()]);
        assert_eq!(WebhookConfig::create(bad).unwrap_err(), ConfigError::UnknownEvent("mesage_sent".into()));
    }

    #[test]
    fn headers_are_checked_one_by_one() {
        let cases = [
            (json!({"Bad Name": "x"}), ConfigError::HeaderName("Bad Name".into())),
            (json!({"X-A": "a\r\nInjected: 1"}), ConfigError::HeaderValue("X-A".into())),
            (json!({"Cookie": "a=b"}), ConfigError::HeaderForbidden("Cookie".into())),
            (json!({"X-Emoji": "ok 🎉"}), ConfigError::HeaderNotLatin1("X-Emoji".into())),
            (json!({"Sec-Fetch-Mode": "x"}), ConfigError::HeaderForbidden("Sec-Fetch-Mode".into())),
            (json!({"Proxy-Authorization": "x"}), ConfigError::HeaderForbidden("Proxy-Authorization".into())),
            (json!({"webhook-signature": "x"}), ConfigError::HeaderReserved("webhook-signature".into())),
            (json!({"X-AutoHook-Event": "x"}), ConfigError::HeaderReserved("X-AutoHook-Event".into())),
            (json!({"X-Count": 3}), ConfigError::HeaderNotString("X-Count".into())),
            (json!(["X-A"]), ConfigError::HeadersNotObject),
        ];
        for (headers, expected) in cases {
            let mut bad = input("https://example.com/");
            bad.headers = Some(headers);
            let error = WebhookConfig::create(bad).unwrap_err();
            assert_eq!(error, expected);
            assert_eq!(error.field(), "headers");
        }
    }

    #[test]
    fn header_json_errors_give_line_and_column() {
        let mut bad = input("https://example.com/");
        bad.headers_json = Some("{\n  \"X-A\": \"1\",\n  \"X-B\" 2\n}".into());
        match WebhookConfig::create(bad).unwrap_err() {
            ConfigError::HeadersJson { line, column, .. } => assert_eq!((line, column), (3, 9)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn header_json_round_trips_to_pairs() {
        let mut good = input("https://example.com/");
        good.headers_json = Some(r#"{"Authorization": "Bearer t", "X-Team": {"value": "ops", "secret": false}}"#.into());
        let config = WebhookConfig::create(good).unwrap();
        let header = |name: &str, value: &str, secret| Header { name: name.into(), value: value.into(), secret };
        assert_eq!(config.headers, [header("Authorization", "Bearer t", true), header("X-Team", "ops", false)]);
    }

    #[test]
    fn a_header_is_secret_unless_never_a_credential_or_switched_off() {
        let headers = json!({
            "X-Api-Pass": "hunter2", "X-Team": {"value": "ops", "secret": false}, "X-Kept": {"value": "k", "secret": true},
            "content-type": "text/plain", "Accept": {"value": "*/*", "secret": false},
        });
        let config = WebhookConfig::create(WebhookInput { headers: Some(headers), ..input("https://h.test/") }).unwrap();
        let secret: Vec<(&str, bool)> = config.headers.iter().map(|h| (h.name.as_str(), h.secret)).collect();
        assert_eq!(secret, [("Accept", false), ("content-type", false), ("X-Api-Pass", true), ("X-Kept", true), ("X-Team", false)]);
        let stored = serde_json::to_value(&config).unwrap();
        assert_eq!(
            stored["headers"],
            json!([
                ["Accept", "*/*"],
                ["content-type", "text/plain"],
                ["X-Api-Pass", "hunter2"],
                ["X-Kept", "k"],
                ["X-Team", "ops", false]
            ]),
            "only a switch turned off by choice is stored"
        );
        assert_eq!(serde_json::from_value::<WebhookConfig>(stored).unwrap(), config);
    }

    #[test]
    fn a_header_without_a_value_keeps_the_stored_one_and_its_switch_may_change() {
        let config =
            WebhookConfig::create(WebhookInput { headers: Some(json!({"X-Api-Pass": "hunter2"})), ..input("https://h.test/") }).unwrap();
        let keep = |entry: Value| WebhookInput { headers: Some(json!({"x-api-pass": entry, "X-Team": "ops"})), ..Default::default() };
        let kept = config.apply(keep(json!({"secret": false}))).unwrap();
        assert_eq!((kept.headers[0].value.as_str(), kept.headers[0].secret), ("hunter2", false));
        let error = config.apply(WebhookInput { headers: Some(json!({"X-Other": {}})), ..Default::default() }).unwrap_err();
        assert_eq!((error.field(), error), ("headers", ConfigError::HeaderValueMissing("X-Other".into())));
    }

    #[test]
    fn a_bad_header_entry_or_switch_is_refused_naming_the_header() {
        let cases = [
            (json!({"Accept": {"value": "x", "secret": true}}), ConfigError::HeaderNeverSecret("Accept".into())),
            (json!({"X-A": {"value": "x", "secret": "no"}}), ConfigError::HeaderNotString("X-A".into())),
            (json!({"X-A": {"value": 1}}), ConfigError::HeaderNotString("X-A".into())),
            (json!({"X-A": {"value": "x", "hidden": true}}), ConfigError::HeaderNotString("X-A".into())),
        ];
        for (headers, expected) in cases {
            let error = WebhookConfig::create(WebhookInput { headers: Some(headers.clone()), ..input("https://h.test/") }).unwrap_err();
            assert_eq!((error.field(), &error), ("headers", &expected), "{headers}");
        }
    }

    #[test]
    fn a_stored_header_from_before_the_switch_is_secret_unless_never_a_credential() {
        let mut stored = serde_json::to_value(WebhookConfig::create(input("https://h.test/")).unwrap()).unwrap();
        stored["headers"] = json!([["X-Team", "ops"], ["User-Agent", "AutoHook"]]);
        let read: WebhookConfig = serde_json::from_value(stored.clone()).unwrap();
        let secret: Vec<(&str, bool)> = read.headers.iter().map(|h| (h.name.as_str(), h.secret)).collect();
        assert_eq!(secret, [("User-Agent", false), ("X-Team", true)]);
        stored["headers"] = json!([["X-Team", "ops", false, true]]);
        assert!(serde_json::from_value::<RawConfig>(stored).is_err(), "nothing follows the switch");
    }

    #[test]
    fn a_refused_update_leaves_the_config_as_it_was() {
        let config = WebhookConfig::create(input("https://example.com/")).unwrap();
        let before = config.clone();
        let change = WebhookInput { name: Some("renamed".into()), method: Some("DELETE".into()), ..Default::default() };
        assert_eq!(config.apply(change).unwrap_err(), ConfigError::Method("DELETE".into()));
        assert_eq!(config, before);
    }

    #[test]
    fn secrets_are_validated_and_empty_removes_them() {
        let mut with_secret = input("https://example.com/");
        with_secret.secret = Some("whsec_!!".into());
        assert_eq!(WebhookConfig::create(with_secret.clone()).unwrap_err().field(), "secret");
        with_secret.secret = Some("plain".into());
        let config = WebhookConfig::create(with_secret).unwrap();
        let key = config.secret.as_ref().map(Secret::key);
        assert_eq!(key, Some(&crate::signing::SecretKey::parse("plain").unwrap()));
        let cleared = config.apply(WebhookInput { secret: Some(String::new()), ..Default::default() }).unwrap();
        assert_eq!(cleared.secret, None);
    }

    #[test]
    fn every_size_limit_is_an_error_naming_its_field() {
        let long = |n: usize| "a".repeat(n + 1);
        let many_headers: serde_json::Map<String, Value> = (0..=MAX_HEADERS).map(|i| (format!("X-{i}"), json!("v"))).collect();
        let cases: [(WebhookInput, &str, String); 9] = [
            (input(&format!("https://h.test/{}", long(MAX_URL_CHARS))), "url", "url must be at most 2048 characters (it has 2064)".into()),
            (
                WebhookInput { headers: Some(Value::Object(many_headers)), ..input("https://h.test/") },
                "headers",
                "headers must have at most 20 headers (it has 21)".into(),
            ),
            (
                WebhookInput { headers: Some(json!({long(MAX_HEADER_NAME_CHARS): "v"})), ..input("https://h.test/") },
                "headers",
                "a header name must be at most 128 characters (it has 129)".into(),
            ),
            (
                WebhookInput { headers: Some(json!({"X-A": long(MAX_HEADER_VALUE_CHARS)})), ..input("https://h.test/") },
                "headers",
                "header \"X-A\"'s value must be at most 4096 characters (it has 4097)".into(),
            ),
            (
                WebhookInput {
                    headers_json: Some(format!("{{\"X-A\": \"{}\"}}", long(MAX_HEADERS_JSON_CHARS))),
                    ..input("https://h.test/")
                },
                "headers",
                "headersJson must be at most 100000 characters (it has 100012)".into(),
            ),
            (
                WebhookInput { secret: Some(long(MAX_SECRET_CHARS)), ..input("https://h.test/") },
                "secret",
                "secret must be at most 256 characters (it has 257)".into(),
            ),
            (
                WebhookInput { events: Some(vec!["error".into(); MAX_EVENT_NAMES + 1]), ..input("https://h.test/") },
                "events",
                "events must have at most 32 names (it has 33)".into(),
            ),
            (
                WebhookInput { template: Some(long(MAX_TEMPLATE_CHARS)), ..input("https://h.test/") },
                "template",
                "template must be at most 16384 characters (it has 16385)".into(),
            ),
            (
                WebhookInput { chat_id: Some(format!(" {} ", long(MAX_CHAT_ID_CHARS))), ..input("https://h.test/") },
                "chatId",
                "chatId must be at most 64 characters (it has 65)".into(),
            ),
        ];
        for (input, field, message) in cases {
            let error = WebhookConfig::create(input).unwrap_err();
            assert_eq!((error.field(), error.to_string()), (field, message));
        }
        let at_the_limits = WebhookInput {
            headers: Some(Value::Object(
                (0..MAX_HEADERS)
                    .map(|i| (format!("X-{i}-{}", long(MAX_HEADER_NAME_CHARS - 6)), json!(long(MAX_HEADER_VALUE_CHARS - 1))))
                    .collect(),
            )),
            secret: Some(long(MAX_SECRET_CHARS - 1)),
            chat_id: Some(long(MAX_CHAT_ID_CHARS - 1)),
            ..input(&format!("https://h.test/{}", long(MAX_URL_CHARS - 17)))
        };
        WebhookConfig::create(at_the_limits).unwrap();
    }

    #[test]
    fn the_catalogs_fields_are_the_stored_settings_in_their_order_and_each_limit_names_one() {
        let stored = serde_json::to_value(WebhookConfig::create(input("https://h.test/")).unwrap()).unwrap();
        let fields = RawConfig::fields();
        let names: Vec<&str> = fields.as_array().unwrap().iter().map(|field| field["name"].as_str().unwrap()).collect();
        assert_eq!(names, stored.as_object().unwrap().keys().collect::<Vec<_>>());
        for limited in RawConfig::limits().as_object().unwrap().keys() {
            assert!(names.contains(&limited.as_str()) || limited == "headersJson", "{limited}");
        }
    }

    #[test]
    fn each_limit_is_written_in_its_fields_doc() {
        crate::settings::assert_limits_documented(&RawConfig::limits(), include_str!("config.rs"));
    }

    fn read_secret_names(config: &WebhookConfig) -> Vec<&str> {
        config.credentials().headers
    }

    /// A webhook with every parsed field set: secret, filters, templates.
    fn full() -> WebhookConfig {
        WebhookConfig::create(WebhookInput {
            url: Some("https://h.test/in?text={{data.message | default:\"x\"}}".into()),
            method: Some("put".into()),
            headers: Some(json!({"X-Event": "{{event | upper}}", "X-Team": "ops"})),
            secret: Some("whsec_c2VjcmV0".into()),
            filters: Some(FiltersInput { mode: Match::Any, conditions: vec![" event == error ".into(), "".into()] }),
            preset: Some("custom".into()),
            template: Some(r#"{"text": "{{sentence}}"}"#.into()),
            ..input("https://unused.test/")
        })
        .unwrap()
    }

    #[test]
    fn a_stored_webhook_round_trips_to_the_same_parsed_config() {
        let config = full();
        let stored = serde_json::to_value(&config).unwrap();
        assert_eq!(stored["secret"], "whsec_c2VjcmV0", "stored as the text the user gave");
        assert_eq!(stored["method"], "PUT");
        assert_eq!(stored["preset"], "custom");
        assert_eq!(stored["filters"], json!({"match": "any", "conditions": ["event == error"]}));
        assert_eq!(stored["headers"], json!([["X-Event", "{{event | upper}}"], ["X-Team", "ops"]]));
        assert_eq!(read_secret_names(&config), ["X-Event", "X-Team"], "secret by default, templates too");
        let read: WebhookConfig = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(read, config, "the same parsed config, templates and key included");
        assert!(read.body_template().is_some() && read.query_template().is_some());
        let header_templates: Vec<bool> = read.headers_with_templates().map(|(_, t)| t.is_some()).collect();
        assert_eq!(header_templates, [true, false], "only a value with tags is a template");
        assert_eq!(serde_json::to_value(StoredConfig::from(read.to_raw())).unwrap(), stored);
    }

    #[test]
    fn a_stored_webhook_from_before_presets_takes_the_default_preset() {
        let mut stored = serde_json::to_value(WebhookConfig::create(input("https://h.test/")).unwrap()).unwrap();
        for later in ["filters", "preset", "chatId", "template"] {
            stored.as_object_mut().unwrap().remove(later);
        }
        let read: WebhookConfig = serde_json::from_value(stored).unwrap();
        assert_eq!((read.preset, read.filters, read.template), (Preset::default(), None, None));
    }

    #[test]
    fn a_stored_invalid_field_keeps_its_error_and_its_text() {
        let mut stored = serde_json::to_value(full()).unwrap();
        stored["secret"] = json!("whsec_!!not base64!!");
        let read: StoredConfig = serde_json::from_value(stored.clone()).unwrap();
        let StoredConfig::Invalid(invalid) = &read else { panic!("{read:?}") };
        assert_eq!(invalid.error, ConfigError::Secret(SecretError::BadBase64));
        assert_eq!(invalid.error.field(), "secret");
        assert_eq!(read.valid().unwrap_err(), &invalid.error);
        assert!(!read.enabled(), "settings that do not parse are never on");
        assert_eq!(read.secret(), Some("whsec_!!not base64!!"), "kept to reveal and to fix");
        assert_eq!(serde_json::to_value(&read).unwrap(), stored, "written back as found");
    }

    #[test]
    fn a_stored_invalid_webhook_is_fixed_only_by_a_change_that_makes_it_whole() {
        let mut raw = full().to_raw();
        raw.rate_per_minute = 0;
        let stored = StoredConfig::from(raw);
        let rename = WebhookInput { name: Some("renamed".into()), ..Default::default() };
        assert_eq!(stored.apply(rename).unwrap_err(), ConfigError::Rate);
        let fix = WebhookInput { rate_per_minute: Some(60), ..Default::default() };
        let fixed = stored.apply(fix).unwrap();
        assert_eq!(fixed, WebhookConfig { rate_per_minute: 60, ..full() });
    }

    #[test]
    fn enum_fields_parse_from_their_names() {
        assert_eq!(parse_variant::<Preset>("telegram"), Some(Preset::Telegram));
        assert_eq!(parse_variant::<Preset>("Telegram"), None);
        assert_eq!(parse_variant::<Match>("any"), Some(Match::Any));
        let error = WebhookConfig::create(WebhookInput { preset: Some("fax".into()), ..input("https://h.test/") }).unwrap_err();
        assert_eq!(error, ConfigError::Preset("fax".into()));
    }

    #[test]
    fn limits_on_retries_timeout_and_rate() {
        let config = WebhookConfig::create(input("https://example.com/")).unwrap();
        let apply = |input: WebhookInput| config.apply(input).unwrap_err().field();
        assert_eq!(apply(WebhookInput { retry_schedule: Some(vec![0; 11]), ..Default::default() }), "retrySchedule");
        assert_eq!(apply(WebhookInput { timeout_ms: Some(10), ..Default::default() }), "timeoutMs");
        assert_eq!(apply(WebhookInput { rate_per_minute: Some(0), ..Default::default() }), "ratePerMinute");
        assert_eq!(apply(WebhookInput { auto_disable_after: Some(1001), ..Default::default() }), "autoDisableAfter");
        assert_eq!(config.apply(WebhookInput { auto_disable_after: Some(0), ..Default::default() }).unwrap().auto_disable_after, 0);
    }
}
