//! Any bytes as a stored profile: NUL-separated key/value pairs, loaded,
//! restored and driven (sends, campaign). Only a panic is a finding.
#![no_main]

use autohook::{Engine, Millis, Snapshot};
use libfuzzer_sys::fuzz_target;

// The whole shared harness, of which this target drives the engine only.
#[allow(dead_code)]
#[path = "../../common/mod.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parts: Vec<&str> = text.split('\0').collect();
    let stored = parts.chunks(2).filter_map(|pair| Some((pair.first()?.to_string(), serde_json::Value::String(pair.get(1)?.to_string()))));
    let mut engine = Engine::restore(Snapshot::from_stored(stored), [1; 16], Millis(10));
    let _ = engine.take_changes();
    let _ = engine.emit("message_sent", serde_json::json!({}), Millis(11));
    engine.changes_saved(u64::MAX);
    for at in [Millis(12), Millis(u64::MAX / 2)] {
        common::answer_everything(&mut engine, at);
    }
});
