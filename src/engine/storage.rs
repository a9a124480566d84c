//! The engine's side of storage: the writes that bring the store up to
//! date, asked of each part that owns a key ([`super::stored`]), and what
//! became of them. The contract is in the module docs of [`super`]: a
//! delivery is in storage before its first attempt, everything else is
//! written after the fact, in batches.

use serde_json::Value;

use super::state::{Changes, Key, Snapshot};
use super::stored::Writes;
use super::Engine;

impl Engine {
    /// The storage writes that bring the store up to date with the engine:
    /// every key changed since the last call, set to its value or removed.
    pub fn take_changes(&mut self) -> Changes {
        self.batch += 1;
        let batch = self.batch;
        self.deliveries.batch_taken(batch);
        let mut writes = Writes::default();
        self.settings.take_change(Key::Settings, &mut writes);
        self.webhooks.take_change(&mut writes);
        self.campaign.take_change(batch, &mut writes);
        self.answers.take_change(Key::Answers, &mut writes);
        self.alerts.take_changes(&mut writes);
        self.deliveries.take_changes(&mut writes);
        self.set_aside.take_changes(&mut writes);
        writes.into_changes(batch)
    }

    /// Tells the engine the batch `take_changes` numbered `batch` (and every
    /// earlier one) is in storage, so the deliveries it holds may be sent.
    pub fn changes_saved(&mut self, batch: u64) {
        self.campaign.saved(batch);
        self.deliveries.saved(batch);
    }

    /// Takes back a batch whose write failed: its keys go into the next
    /// batch, and its deliveries stay unsent until that one is saved.
    pub fn changes_failed(&mut self, changes: Changes) {
        self.campaign.failed(changes.batch);
        let keys = changes.set.keys().chain(&changes.remove);
        for key in keys.filter_map(|key| Key::parse(key)) {
            self.rewrite(key);
        }
        self.deliveries.failed(changes.batch);
    }

    /// Whether the whole log is in memory: a request that reads it waits
    /// until it is ([`crate::api::RequestKind::reads_log`]).
    pub fn log_loaded(&self) -> bool {
        self.deliveries.log_loaded()
    }

    /// Takes the log's stored pages (`log/<page>` keys; others are
    /// ignored), as asked by [`super::Output::LoadLog`]: merged with what
    /// was logged since the start, and trimmed. A page that does not read
    /// is set aside, and so is an entry that does not (its page written
    /// again without it). Once only: later calls change nothing.
    pub fn load_log<V: Into<Value>>(&mut self, stored: impl IntoIterator<Item = (String, V)>) {
        if self.deliveries.log_loaded() {
            return;
        }
        let (log, unreadable) = Snapshot::read_log(stored);
        // The pages first: setting aside an entry writes its page again.
        self.deliveries.load_log(log);
        for record in unreadable {
            self.set_aside(record);
        }
    }

    /// The log could not be read: it is asked for again with the next drain.
    pub fn log_not_loaded(&mut self) {
        self.deliveries.log_not_loaded();
    }

    /// Has `key` written with the next batch as the part that owns it holds
    /// it now (or removed, if it holds nothing under it): a write that
    /// failed, or a record read back in another shape.
    pub(super) fn rewrite(&mut self, key: Key) {
        match key {
            Key::Settings => self.settings.rewrite(),
            Key::Webhooks => self.webhooks.rewrite(),
            Key::Campaign => self.campaign.rewrite(),
            Key::InFlight => self.deliveries.rewrite_in_flight(),
            Key::Delivery(id) => self.deliveries.rewrite_legacy(id),
            Key::OutboxPage(page) => self.deliveries.rewrite_outbox_page(page),
            Key::LogPage(page) => self.deliveries.rewrite_log_page(page),
            Key::Answers => self.answers.rewrite(),
            Key::Unreadable(name) => self.set_aside.rewrite(name),
            Key::Badge | Key::Notified => self.alerts.rewrite(&key),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::WebhookInput;
    use crate::engine::{GlobalSettings, Output, Snapshot};
    use crate::time::Millis;

    const NOW: Millis = Millis(1_700_000_000_000);

    fn stored(engine: &mut Engine, storage: &mut BTreeMap<String, String>) {
        let changes = engine.take_changes();
        storage.extend(changes.set);
        changes.remove.iter().for_each(|key| drop(storage.remove(key)));
        engine.changes_saved(changes.batch);
    }

    fn engine_with_a_webhook() -> (Engine, String) {
        let mut engine = Engine::new([3; 16]);
        let input = WebhookInput { url: Some("https://h.test/".into()), ..Default::default() };
        let id = engine.create_webhook(input, NOW).unwrap().id.clone();
        (engine, id)
    }

    #[test]
    fn a_failed_batch_is_written_again_and_its_delivery_waits_for_the_next() {
        let (mut engine, webhook) = engine_with_a_webhook();
        let delivery = engine.test(&webhook, NOW).unwrap();
        let failed = engine.take_changes();
        assert_eq!(failed.set.keys().cloned().collect::<Vec<_>>(), [format!("pending/{delivery}"), "webhooks".to_string()]);
        engine.changes_failed(failed.clone());
        assert!(matches!(engine.poll(NOW), Output::Notice(_) | Output::Timeout(_)), "not sent before it is stored");
        let again = engine.take_changes();
        assert_eq!(again.set, failed.set, "each part wrote its keys again");
        engine.changes_saved(again.batch);
        assert!(matches!(engine.poll(NOW), Output::Transmit(t) if t.delivery_id == delivery));
    }

    #[test]
    fn a_restart_from_what_was_stored_writes_nothing_until_something_changes() {
        let (mut engine, _) = engine_with_a_webhook();
        engine.set_settings(GlobalSettings { enabled: false, ..GlobalSettings::default() });
        let mut storage = BTreeMap::new();
        stored(&mut engine, &mut storage);
        let mut restarted = Engine::restore(Snapshot::from_stored(storage.clone()), [4; 16], NOW);
        assert!(restarted.take_changes().is_empty());
        restarted.mark_seen();
        assert!(restarted.take_changes().is_empty(), "nothing was unseen: nothing changed");
        restarted.set_settings(GlobalSettings::default());
        assert_eq!(restarted.take_changes().set.keys().collect::<Vec<_>>(), ["settings"]);
    }
}
