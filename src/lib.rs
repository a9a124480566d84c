//! AutoHook's core: webhook configuration, signing and a sans-IO delivery
//! engine, compiled natively for tests and to WebAssembly for the extension.
//!
//! The [`Engine`] owns webhooks, the outbox, retry state, stats and the
//! delivery log. It is fed commands, responses and the current time
//! ([`Millis`]) and answers through [`Engine::poll`] with signed requests to
//! send, campaign messages to type, notices and the next wake-up; it never
//! awaits or reads the clock. [`handle`] is the message API the extension's
//! pages and content scripts speak, dispatched onto the engine. The `wasm`
//! module (on wasm32 only) is the one adapter that binds all of it to fetch,
//! timers and extension storage.
//!
//! The modules are private; what the adapter, the tests and the fuzz
//! targets use is re-exported here.
#![warn(missing_docs)]

mod api;
mod campaign;
mod catalog;
mod config;
mod engine;
mod event;
mod export;
mod filter;
mod ids;
mod json;
mod manual;
mod preset;
mod redact;
mod request;
mod settings;
mod signing;
mod stats;
mod template;
mod time;
#[cfg(target_arch = "wasm32")]
mod wasm;

// The engine, its inputs and its outputs.
pub use engine::{
    Attempt, AttemptId, Badge, Changes, Control, Delivery, DeliveryState, Driver, Engine, EngineError, Failure, GlobalSettings, HeldEvents,
    Key, LoggedRequest, Notice, Notification, NotificationKind, NotificationSwitches, Outcome, Output, Sealing, Snapshot, Transmit,
    Verdict, Webhook,
};
pub use time::Millis;
// The message API.
pub use api::{answer_json, delivery_result, handle, reads_log, Answer, ApiError, Sender};
pub use catalog::ErrorCode;
// Webhooks and campaigns as callers describe them, and what they parse into.
pub use campaign::{CampaignInput, Selectors, SendCommand, SendFailure, Status};
pub use config::{Batch, ConfigError, FiltersInput, Header, WebhookConfig, WebhookInput};
pub use event::{data, sentence, Cause, Event, EventData, EventKind, MessageCounts, MessageSource, OwnData, Payload};
pub use preset::{Body, Preset};
pub use redact::Credentials;
pub use stats::Stats;
// Parsers of outside input (each fuzzed) and what requests are made of.
pub use campaign::cron::Cron;
pub use engine::{parse_reply, Asked};
pub use filter::{Filters, Match};
pub use request::HttpRequest;
pub use signing::{hex_signature, standard_signature, SecretKey};
pub use template::{RequestPart, Template, TemplateError};
#[cfg(target_arch = "wasm32")]
pub use wasm::{sign_payload, Background, Host};

/// The limits text and lists are held to: services' documented limits the
/// presets cut text to, and the input limits the tests probe.
pub mod limits {
    pub use crate::campaign::cron::MAX_CRON_CHARS;
    pub use crate::campaign::{MAX_REPLY_CHARS, MAX_TAB_TEXT_CHARS};
    pub use crate::engine::{
        FAILING_NOTICE_EVERY_MS, LOGGED_RESPONSE_BYTES, LOG_CAPACITY, MAX_HELD_PER_WEBHOOK, MAX_IN_FLIGHT, MAX_OUTBOX, MAX_WEBHOOKS,
        OFFLINE_PROBE_MS, REPLY_BODY_BYTES, REPLY_NOTIFICATIONS_PER_HOUR, THROTTLED_DISABLE_MS,
    };
    pub use crate::export::MAX_PBKDF2_ITERATIONS;
    pub use crate::filter::{MAX_CONDITIONS, MAX_CONDITION_CHARS};
    pub use crate::preset::{
        DISCORD_CONTENT, DISCORD_DESCRIPTION, DISCORD_EMBED_CHARS, DISCORD_TITLE, SLACK_TEXT, TEAMS_MAX_BYTES, TELEGRAM_TEXT,
    };
    pub use crate::redact::{MIN_SECRET_CHARS, REDACTED};
    pub use crate::template::MAX_TEMPLATE_CHARS;
}
