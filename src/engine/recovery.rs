//! How the engine degrades instead of failing when stored state is not what
//! this build wrote: unreadable records are set aside under their own keys,
//! webhooks whose stored settings no longer validate are turned off with the
//! reason, and deliveries their webhook no longer takes are cancelled or held
//! (the last two at start, with the other cross-part rules: [`super::rules`]).

use std::collections::BTreeMap;

use super::state::Key;
use super::stored::{StoredMap, Writes};
use super::webhooks::Webhooks;
use super::Unreadable;
use crate::config::StoredConfig;

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

impl Webhooks {
    /// Turns off each webhook whose stored settings no longer parse
    /// (another build or a sync tool may have written them), with the
    /// reason, unless it is off for that reason already; their ids.
    pub(super) fn disable_invalid(&mut self) -> Vec<String> {
        self.edit_if(|webhooks| {
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
        })
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
