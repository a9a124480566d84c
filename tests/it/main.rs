//! The native tests: one binary with a module per feature, as quinn-proto
//! (`src/tests/`) and rustls (`rustls-test/tests/api.rs`) keep theirs. A
//! file under `tests/` is a crate of its own that links the library and
//! every dependency again; as modules they are compiled and linked once,
//! and the harness in `tests/common/` once with them.
//!
//! `cargo test --test it MODULE::` runs one module (`./build.sh fuzz` runs
//! `fuzz::` this way). The Wasm tests are `tests/wasm.rs`, a target of
//! their own: they need a browser.

// Native only: proptest is a native dev-dependency, and what runs in Wasm
// is tests/wasm.rs.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../common/mod.rs"]
mod common;

mod api;
mod batch;
mod campaign;
mod engine;
mod fairness;
mod fuzz;
mod health;
mod outbox_pages;
mod presets;
mod recovery;
mod redaction;
mod reply_actions;
mod rotation;
mod simulation;
mod transfer;
