//! AutoHook's core: webhook configuration, signing and a sans-IO delivery
//! engine, compiled natively for tests and to WebAssembly for the extension.
//!
//! The [`engine::Engine`] owns webhooks, the outbox, retry state, stats and
//! the delivery log. It is fed commands, responses and the current time
//! ([`time::Millis`]) and answers with signed requests to send and the next
//! wake-up; it never awaits or reads the clock. [`api`] is the message API the
//! extension's pages speak, dispatched onto the engine. The `wasm` module (on
//! wasm32 only) is the one adapter that binds all of it to fetch, timers and
//! extension storage.
#![warn(missing_docs)]

pub mod api;
pub mod campaign;
pub mod catalog;
pub mod config;
pub mod engine;
pub mod event;
pub mod filter;
pub mod ids;
pub mod preset;
pub mod redact;
pub mod request;
pub mod signing;
pub mod stats;
pub mod template;
pub mod time;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
