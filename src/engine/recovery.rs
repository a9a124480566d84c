//! How the engine degrades instead of failing when stored state is not what
//! this build wrote: unreadable records are set aside under their own keys,
//! webhooks whose stored settings no longer validate are turned off with the
//! reason, and deliveries their webhook no longer takes are cancelled or held.

use std::collections::BTreeMap;

use super::state::Key;
use super::stored::{StoredMap, Writes};
use super::{refusal, DeliveryState, Engine, Unreadable};
use crate::config::StoredConfig;
use crate::time::Millis;

/// The records set aside, each under its own key (`unreadable/<name>`).
#[derive(Debug, Default)]
pub(super) struct SetAside(StoredMap<Unreadable>);

impl SetAside {
    /// As stored.
    pub fn new(records: BTreeMap<String, Unreadable>) -> SetAside {
        SetAside(StoredMap::new(records))
    }

    /// The records, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Unreadable)> {
        self.0.iter().map(|(name, record)| (name.as_str(), record))
    }

    /// Keeps `record` under a name no earlier record holds: its origin,
    /// then `<origin> (2)` and so on. The same record again is kept once:
    /// a worker stopped after a batch set it aside but before it removed
    /// the original. The same text refused for another reason (in the
    /// clear now, unopenable before) is listed again, with it.
    pub fn add(&mut self, record: Unreadable) {
        if self.0.values().any(|kept| *kept == record) {
            return;
        }
        let name = (1..)
            .map(|n| if n == 1 { record.origin.clone() } else { format!("{} ({n})", record.origin) })
            .find(|name| !self.0.contains_key(name))
            .expect("an unbounded range has a free name");
        self.0.insert(name, record);
    }

    /// Deletes the record `name`; whether there was one.
    pub fn remove(&mut self, name: &str) -> bool {
        self.0.remove(name)
    }

    /// Adds the records added or deleted since the last batch to `writes`.
    pub fn take_changes(&mut self, writes: &mut Writes) {
        self.0.take_changes(Key::Unreadable, writes);
    }

    /// The record `name` is written (or removed) with the next batch as it is.
    pub fn rewrite(&mut self, name: String) {
        self.0.rewrite(name);
    }
}

impl Engine {
    /// Records set aside because they could not be read, by name.
    pub fn unreadable(&self) -> impl Iterator<Item = (&str, &Unreadable)> {
        self.set_aside.iter()
    }

    /// Deletes a set-aside record for good; `false` if there is none.
    pub fn delete_unreadable(&mut self, name: &str) -> bool {
        self.set_aside.remove(name)
    }

    /// Moves a record this load could not read aside ([`SetAside::add`]),
    /// and has its original key rewritten with what was readable (or removed).
    pub(super) fn set_aside(&mut self, record: Unreadable) {
        if let Some(key) = record.origin_key() {
            self.rewrite(key);
        }
        self.set_aside.add(record);
    }

    /// Stored webhooks were parsed with the rules new input meets (another
    /// build or a sync tool may have written them); one that did not parse
    /// is turned off with the reason, and its queued deliveries are cancelled.
    pub(super) fn disable_invalid_webhooks(&mut self, now: Millis) {
        let disabled = self.webhooks.edit_if(|webhooks| {
            let mut disabled = Vec::new();
            for webhook in webhooks {
                let StoredConfig::Invalid(invalid) = &mut webhook.config else { continue };
                let error = &invalid.error;
                let reason = format!("its stored settings are invalid ({}: {error}); fix them and turn it on again", error.field());
                if invalid.raw.enabled || webhook.disabled_reason.as_deref() != Some(reason.as_str()) {
                    invalid.raw.enabled = false;
                    webhook.disabled_reason = Some(reason);
                    disabled.push(webhook.id.clone());
                }
            }
            let changed = !disabled.is_empty();
            (disabled, changed)
        });
        for id in disabled {
            self.cancel_pending(&id, "webhook was turned off: its stored settings are invalid", now);
        }
    }

    /// Restored deliveries meet the rules sending checks ([`refusal`]) at
    /// once, held and open ones too, which are not in line to be sent:
    /// one whose webhook is gone (its record was unreadable) or off is
    /// cancelled, one whose webhook AutoHook turned off is held. One held
    /// for a webhook that holds nothing (its record written back from
    /// before the webhook was turned off) is put back in line: it would
    /// otherwise wait for a turn-on that never comes.
    pub(super) fn settle_restored(&mut self, now: Millis) {
        let ids: Vec<String> = self.deliveries.outbox().iter().map(|d| d.id.clone()).collect();
        for id in ids {
            let Some(delivery) = self.deliveries.outbox().get(&id) else { continue };
            if let Some(refusal) = refusal(&self.webhooks, delivery) {
                self.refuse(&id, refusal, now);
                continue;
            }
            let holds = self.webhooks.iter().any(|w| w.id == delivery.webhook_id && w.health.auto_disabled);
            if delivery.state == DeliveryState::Held && !holds {
                if let Some(delivery) = self.deliveries.edit(&id) {
                    delivery.state = DeliveryState::Pending;
                }
                self.deliveries.queue(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(set_aside: &SetAside) -> Vec<&str> {
        set_aside.iter().map(|(name, _)| name).collect()
    }

    #[test]
    fn a_record_set_aside_twice_is_kept_once_and_another_from_the_same_key_gets_the_next_name() {
        let mut set_aside = SetAside::default();
        let record = Unreadable::new("settings".into(), "not JSON".into(), "{".into());
        set_aside.add(record.clone());
        set_aside.add(record);
        set_aside.add(Unreadable::new("settings".into(), "not JSON".into(), "[".into()));
        assert_eq!(names(&set_aside), ["settings", "settings (2)"]);
        assert!(set_aside.remove("settings"));
        let mut writes = Writes::default();
        set_aside.take_changes(&mut writes);
        let changes = writes.into_changes(1);
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["unreadable/settings (2)"]);
        assert_eq!(changes.remove, ["unreadable/settings"]);
    }
}
