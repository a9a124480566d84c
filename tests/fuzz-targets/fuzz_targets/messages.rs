//! Any bytes as a message to the API, from a page and from a content
//! script, against an engine with a webhook: only a panic is a finding.
#![no_main]

use autohook::{handle, Engine, Millis, Output, Sender};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let mut engine = Engine::new([1; 16]);
    let webhook = serde_json::json!({"type": "webhooks.create", "webhook": {"url": "https://h.test/in", "secret": "s3cret"}});
    let _ = handle(&mut engine, webhook, Sender::ExtensionPage, Millis(1), &[2; 32]);
    for sender in [Sender::ExtensionPage, Sender::ContentScript { tab_id: 1, url: "https://chat.test/".into() }] {
        let _ = handle(&mut engine, message.clone(), sender, Millis(2), &[3; 32]);
    }
    while !matches!(engine.poll(Millis(3)), Output::Timeout(_)) {}
});
