//! What the scenario tests share: a fake storage the engine writes into,
//! as the driver in `src/wasm.rs` does with `chrome.storage.local`.

use std::collections::BTreeMap;

use autohook::engine::Engine;

/// Takes the engine's changes, applies them to `storage` (sets, then
/// removes, as the driver does) and reports the batch saved.
pub fn persist(engine: &mut Engine, storage: &mut BTreeMap<String, String>) {
    let changes = engine.take_changes();
    storage.extend(changes.set);
    for key in changes.remove {
        storage.remove(&key);
    }
    engine.changes_saved(changes.batch);
}
