//! How a change reaches storage: through the part that owns it. A value
//! stored under one key is a [`Stored`], whose only mutable access marks it
//! changed; records stored one key each are a [`StoredMap`]. The deliveries
//! keep their own marks ([`super::deliveries`]). [`super::Engine::take_changes`]
//! asks each part for what changed, so no change depends on someone
//! remembering to mark it.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

use serde::Serialize;

use super::state::{Changes, Key};
use crate::json::to_text;

/// Adds `name` to `changed`, copying it only the first time: a response
/// changes its delivery, and a batch the log page it joins, several times.
pub(super) fn mark(changed: &mut BTreeSet<String>, name: &str) {
    if !changed.contains(name) {
        changed.insert(name.to_string());
    }
}

/// A value stored whole under one key, with whether it changed since it was
/// last handed to storage.
#[derive(Debug, Default)]
pub(super) struct Stored<T> {
    value: T,
    changed: bool,
}

impl<T> Stored<T> {
    /// A value as read from storage: unchanged.
    pub fn new(value: T) -> Stored<T> {
        Stored { value, changed: false }
    }

    /// The value, to change: it is written with the next batch.
    pub fn edit(&mut self) -> &mut T {
        self.changed = true;
        &mut self.value
    }

    /// Changes the value by `change`, which says whether it changed what is
    /// stored: for changes that often leave it as it was (a pruning, a tick
    /// of the clock), or touch only what is not stored, so an unchanged
    /// value is not written again.
    pub fn edit_if<R>(&mut self, change: impl FnOnce(&mut T) -> (R, bool)) -> R {
        let (result, changed) = change(&mut self.value);
        self.changed |= changed;
        result
    }

    /// Changes the value by `change`, which leaves it as it was when it
    /// fails: written only if it succeeds.
    pub fn try_edit<R, E>(&mut self, change: impl FnOnce(&mut T) -> Result<R, E>) -> Result<R, E> {
        let result = change(&mut self.value);
        self.changed |= result.is_ok();
        result
    }

    /// The value is written with the next batch as it is: its write failed,
    /// or what was read needs writing back.
    pub fn rewrite(&mut self) {
        self.changed = true;
    }

    /// Adds the value under `key` to `writes` if it changed, and counts it
    /// as handed over.
    pub fn take_change(&mut self, key: Key, writes: &mut Writes)
    where
        T: Serialize,
    {
        if std::mem::take(&mut self.changed) {
            writes.set(key, &self.value);
        }
    }
}

impl<T> Deref for Stored<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// Records stored one key each, by name, with the names changed since the
/// last batch: a name changed and no longer held is removed from storage.
#[derive(Debug)]
pub(super) struct StoredMap<T> {
    records: BTreeMap<String, T>,
    changed: BTreeSet<String>,
}

impl<T> Default for StoredMap<T> {
    fn default() -> StoredMap<T> {
        StoredMap::new(BTreeMap::new())
    }
}

impl<T> StoredMap<T> {
    /// Records as read from storage: unchanged.
    pub fn new(records: BTreeMap<String, T>) -> StoredMap<T> {
        StoredMap { records, changed: BTreeSet::new() }
    }

    /// Adds or replaces the record `name`.
    pub fn insert(&mut self, name: String, record: T) {
        self.changed.insert(name.clone());
        self.records.insert(name, record);
    }

    /// Removes the record `name`; whether there was one.
    pub fn remove(&mut self, name: &str) -> bool {
        let found = self.records.remove(name).is_some();
        if found {
            self.changed.insert(name.to_string());
        }
        found
    }

    /// The record `name` is written (or removed) with the next batch as it
    /// is: its write failed.
    pub fn rewrite(&mut self, name: String) {
        self.changed.insert(name);
    }

    /// Adds the changed records to `writes`, each under `key(name)`.
    pub fn take_changes(&mut self, key: impl Fn(String) -> Key, writes: &mut Writes)
    where
        T: Serialize,
    {
        for name in std::mem::take(&mut self.changed) {
            match self.records.get(&name) {
                Some(record) => writes.set(key(name), record),
                None => writes.remove(key(name)),
            }
        }
    }
}

impl<T> Deref for StoredMap<T> {
    type Target = BTreeMap<String, T>;

    fn deref(&self) -> &BTreeMap<String, T> {
        &self.records
    }
}

/// The writes of one batch as the parts hand them over.
#[derive(Debug, Default)]
pub(super) struct Writes {
    set: BTreeMap<String, String>,
    remove: Vec<Key>,
}

/// `parts` joined by commas between `open` and `close`, allocated once (a
/// log page is about 60 KB: grown part by part, its reallocations and
/// copies were a fifth of a burst's instructions).
fn joined<'a>(open: char, parts: impl IntoIterator<Item = &'a str>, close: char) -> String {
    let parts: Vec<&str> = parts.into_iter().collect();
    let mut text = String::with_capacity(parts.iter().map(|part| part.len() + 1).sum::<usize>() + 2);
    text.push(open);
    for (index, part) in parts.into_iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        text.push_str(part);
    }
    text.push(close);
    text
}

impl Writes {
    /// Sets `key` to `value`.
    pub fn set(&mut self, key: Key, value: &impl Serialize) {
        // The stored types hold only strings, numbers and string-keyed maps.
        self.set.insert(key.to_string(), to_text(value).expect("state serializes to JSON"));
    }

    /// `"<name>":<value as JSON>`, an entry of an object that
    /// [`Writes::set_object`] writes: for a value that stays as it is while
    /// the object around it is written many times.
    pub fn entry(name: &str, value: &impl Serialize) -> String {
        // A string and a value of a stored type both serialize (see `set`).
        let mut entry = to_text(name).expect("a string serializes");
        entry.push(':');
        entry.push_str(&to_text(value).expect("state serializes to JSON"));
        entry
    }

    /// Sets `key` to the object of `entries` (each from [`Writes::entry`]),
    /// in the order given: as `set` writes a map of them.
    pub fn set_object<'a>(&mut self, key: Key, entries: impl IntoIterator<Item = &'a str>) {
        self.set.insert(key.to_string(), joined('{', entries, '}'));
    }

    /// A value as the JSON text `set` writes, for an element of a list
    /// that [`Writes::set_list`] writes: kept while the value stays as it
    /// is and the list around it is written many times.
    pub fn text(value: &impl Serialize) -> String {
        // A value of a stored type serializes (see `set`).
        to_text(value).expect("state serializes to JSON")
    }

    /// Sets `key` to the list of `elements` (each from [`Writes::text`]),
    /// in the order given: as `set` writes a list of them.
    pub fn set_list<'a>(&mut self, key: Key, elements: impl IntoIterator<Item = &'a str>) {
        self.set.insert(key.to_string(), joined('[', elements, ']'));
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: Key) {
        self.remove.push(key);
    }

    /// The batch numbered `batch`: keys to set, then keys to remove in key
    /// order (each part hands over its own in order; sorting the few
    /// removals costs less than keeping every write in a map by key).
    pub fn into_changes(mut self, batch: u64) -> Changes {
        self.remove.sort_unstable();
        Changes { batch, set: self.set, remove: self.remove.iter().map(Key::to_string).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(mut take: impl FnMut(&mut Writes)) -> Changes {
        let mut writes = Writes::default();
        take(&mut writes);
        writes.into_changes(1)
    }

    #[test]
    fn a_stored_value_is_written_after_an_edit_once_and_not_after_a_read() {
        let mut stored = Stored::new(vec![1]);
        assert_eq!(stored.len(), 1);
        assert!(written(|w| stored.take_change(Key::Settings, w)).is_empty(), "read as stored: nothing to write");
        stored.edit().push(2);
        assert_eq!(written(|w| stored.take_change(Key::Settings, w)).set["settings"], "[1,2]");
        assert!(written(|w| stored.take_change(Key::Settings, w)).is_empty(), "handed over once");
        stored.edit_if(|v| (v.clear(), false));
        assert!(written(|w| stored.take_change(Key::Settings, w)).is_empty(), "a change that says it stored nothing");
        assert_eq!(stored.try_edit(|v| v.pop().ok_or("empty")), Err("empty"));
        assert!(written(|w| stored.take_change(Key::Settings, w)).is_empty(), "a change that failed");
        stored.rewrite();
        assert_eq!(written(|w| stored.take_change(Key::Settings, w)).set["settings"], "[]");
    }

    #[test]
    fn an_object_of_entries_is_written_as_its_map_would_be() {
        let map = BTreeMap::from([("a\"b", vec![1]), ("c", vec![])]);
        let entries: Vec<String> = map.iter().map(|(name, value)| Writes::entry(name, value)).collect();
        let object = written(|w| w.set_object(Key::InFlight, entries.iter().map(String::as_str)));
        assert_eq!(object.set["inflight"], written(|w| w.set(Key::InFlight, &map)).set["inflight"]);
        assert_eq!(written(|w| w.set_object(Key::InFlight, [])).set["inflight"], "{}");
    }

    #[test]
    fn a_stored_map_sets_what_it_holds_and_removes_what_it_no_longer_does() {
        let mut map = StoredMap::new(BTreeMap::from([("a".to_string(), 1)]));
        map.insert("b".into(), 2);
        assert!(map.remove("a"));
        assert!(!map.remove("never"), "nothing to remove, nothing to write");
        let changes = written(|w| map.take_changes(Key::Unreadable, w));
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["unreadable/b"]);
        assert_eq!(changes.remove, ["unreadable/a"]);
        assert!(written(|w| map.take_changes(Key::Unreadable, w)).is_empty());
        map.rewrite("a".into());
        assert_eq!(written(|w| map.take_changes(Key::Unreadable, w)).remove, ["unreadable/a"]);
    }
}
