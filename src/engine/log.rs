//! The log: finished deliveries, the newest [`LOG_CAPACITY`], stored in
//! pages of up to [`PAGE_SIZE`] under `log/<page>` keys, in a store of the
//! browser's that a start does not read.
//!
//! Why pages: IndexedDB charges per operation, not per byte (a put of 10
//! bytes cost about what one of 12 KB did, measured in the browser), and a
//! log of one key per delivery cost a put for each finished delivery and a
//! delete for each trimmed one. A page is rewritten once per write batch
//! however many of its deliveries changed, and trimming drops a page at a
//! time (or rewrites the oldest one without its oldest entries).
//!
//! Why read lazily: a cold start that read and decoded the whole log before
//! its first request spent a third of its time on it. Until the log is read
//! ([`Log::load`]), it holds only what was logged since the start, in pages
//! of its own; it asks for the stored pages ([`Log::wants_read`]) once
//! something was logged (the log must be trimmed with what is stored) or a
//! change waits for an entry older than the start.

use std::collections::{BTreeSet, HashSet, VecDeque};

use super::delivery::Delivery;
use super::state::Key;
use super::stored::{mark, Writes};
use super::LOG_CAPACITY;
use crate::ids::IdSet;

/// How many deliveries a page holds: about 75 KB of JSON text when full.
pub const PAGE_SIZE: usize = 50;

/// A page stored in an earlier batch takes more entries only while it
/// holds fewer than this. A page is written whole: filling it to
/// [`PAGE_SIZE`] a batch at a time wrote its first entries up to 50 times,
/// 10 MB of text per 1000 events when each of the message API's requests
/// awaited a write of its own (270 page writes of 37 KB on average).
/// Pages left small are merged when the log is read.
pub const FILL_BELOW: usize = 10;

/// A change to a logged delivery that waits for the log to be read.
type Edit = Box<dyn FnOnce(&mut Delivery)>;

/// Changes to logged deliveries that wait for the log to be read, by id.
#[derive(Default)]
struct Edits(Vec<(String, Edit)>);

impl std::fmt::Debug for Edits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|(id, _)| id)).finish()
    }
}

/// A run of consecutive log entries stored under one key: `log/<key>`,
/// named after the first delivery it held (unique without reading the
/// stored log).
#[derive(Debug)]
struct Page {
    key: String,
    len: usize,
}

/// A stored page: its key and its entries, oldest first.
pub type StoredPage = (String, Vec<Delivery>);

/// The log, its pages and what storage lacks of them.
#[derive(Debug, Default)]
pub(super) struct Log {
    /// Oldest first: consecutive runs of it make up `pages`.
    entries: VecDeque<Delivery>,
    /// Each entry's JSON text once written, until it changes: a page is
    /// written once per batch while it fills, and serializing its 50
    /// entries each time cost more than the rest of a delivery's writes.
    texts: VecDeque<Option<String>>,
    pages: VecDeque<Page>,
    /// Pages to write with the next batch, and pages to remove.
    dirty: BTreeSet<String>,
    removed: BTreeSet<String>,
    /// Whether the stored pages are not read yet.
    unread: bool,
    /// Whether they were asked for and have not arrived.
    asked: bool,
    edits: Edits,
}

impl Log {
    /// The log as stored (`pages`, in any order), or, if `unread`, only
    /// `misplaced`: logged deliveries found under their outbox key, where
    /// earlier versions kept them, written into a page of their own.
    pub fn new(pages: Vec<StoredPage>, misplaced: Vec<Delivery>, unread: bool) -> Log {
        let mut log = Log { unread, ..Log::default() };
        log.add_stored(pages, IdSet::default());
        for delivery in misplaced {
            log.push(delivery);
        }
        log.trim();
        log
    }

    /// The entries, oldest first (until the log is read, only those logged
    /// since the start).
    pub fn entries(&self) -> &VecDeque<Delivery> {
        &self.entries
    }

    /// Whether the stored pages are in memory.
    pub fn is_read(&self) -> bool {
        !self.unread
    }

    /// Whether to ask the driver for the stored pages, once.
    pub fn wants_read(&mut self) -> bool {
        let wanted = self.unread && !self.asked && (!self.entries.is_empty() || !self.edits.0.is_empty());
        self.asked |= wanted;
        wanted
    }

    /// Asks for the stored pages again with the next drain (the read failed).
    pub fn not_read(&mut self) {
        self.asked = false;
    }

    /// Puts the stored pages before what was logged since the start, merges
    /// neighbours that fit in one page, trims the whole and makes the
    /// changes that waited. Once only. The pages this start wrote already
    /// (the read comes after the writes under way) are taken from memory,
    /// not storage; a copy elsewhere of an entry logged since the start is
    /// dropped, and its page written again.
    pub fn load(&mut self, stored: Vec<StoredPage>) {
        if !self.unread {
            return;
        }
        let since_start = std::mem::take(&mut self.entries);
        let since_start_texts = std::mem::take(&mut self.texts);
        let new_pages = std::mem::take(&mut self.pages);
        let own: HashSet<&str> = new_pages.iter().map(|page| page.key.as_str()).collect();
        let stored: Vec<StoredPage> = stored.into_iter().filter(|(key, _)| !own.contains(key.as_str())).collect();
        self.add_stored(stored, since_start.iter().map(|d| d.id.clone()).collect());
        self.entries.extend(since_start);
        self.texts.extend(since_start_texts);
        self.pages.extend(new_pages);
        (self.unread, self.asked) = (false, false);
        self.merge_small_pages();
        self.trim();
        for (id, edit) in std::mem::take(&mut self.edits.0) {
            if let Some(delivery) = self.edit(&id) {
                edit(delivery);
            }
        }
    }

    /// Appends stored pages, oldest first by their first entry. An entry
    /// whose id is in `seen` or in an older page is a copy: its page is
    /// written again without it (removed, if that empties it).
    fn add_stored(&mut self, mut pages: Vec<StoredPage>, mut seen: IdSet) {
        let first = |page: &StoredPage| page.1.first().map(|d| (d.finished_at, d.id.clone()));
        pages.sort_by_cached_key(|page| (first(page), page.0.clone()));
        for (key, entries) in pages {
            let stored = entries.len();
            let kept: Vec<Delivery> = entries.into_iter().filter(|d| seen.insert(d.id.clone())).collect();
            if kept.len() != stored {
                self.dirty.insert(key.clone());
            }
            if kept.is_empty() {
                self.dirty.remove(&key);
                self.removed.insert(key);
                continue;
            }
            self.pages.push_back(Page { key, len: kept.len() });
            self.texts.extend(kept.iter().map(|_| None));
            self.entries.extend(kept);
        }
    }

    /// Merges each page into the one before it where both fit in one page:
    /// every worker lifetime that logs opens a page of its own, and with a
    /// few deliveries per lifetime the log would otherwise be 500 pages of
    /// one, a key per entry again.
    fn merge_small_pages(&mut self) {
        let mut merged: VecDeque<Page> = VecDeque::with_capacity(self.pages.len());
        for page in std::mem::take(&mut self.pages) {
            match merged.back_mut() {
                Some(last) if last.len + page.len <= PAGE_SIZE => {
                    last.len += page.len;
                    self.dirty.insert(last.key.clone());
                    self.dirty.remove(&page.key);
                    self.removed.insert(page.key);
                }
                _ => merged.push_back(page),
            }
        }
        self.pages = merged;
    }

    /// Logs `delivery` as the newest entry, in the newest page if it has
    /// room and is written with this batch anyway or holds fewer than
    /// [`FILL_BELOW`]; else in a page of its own.
    pub fn push(&mut self, delivery: Delivery) {
        let dirty = &self.dirty;
        match self.pages.back_mut() {
            Some(page) if page.len < PAGE_SIZE && (page.len < FILL_BELOW || dirty.contains(&page.key)) => page.len += 1,
            _ => self.pages.push_back(Page { key: delivery.id.clone(), len: 1 }),
        }
        if let Some(page) = self.pages.back() {
            mark(&mut self.dirty, &page.key);
        }
        self.entries.push_back(delivery);
        self.texts.push_back(None);
        self.trim();
    }

    /// The logged delivery `id`, looked for from the newest.
    pub fn get(&self, id: &str) -> Option<&Delivery> {
        self.entries.iter().rev().find(|d| d.id == id)
    }

    /// The logged delivery `id`, to change: its page is written again.
    pub fn edit(&mut self, id: &str) -> Option<&mut Delivery> {
        let index = self.entries.iter().rposition(|d| d.id == id)?;
        let mut end = self.entries.len();
        let page = self.pages.iter().rev().find(|page| {
            end -= page.len;
            end <= index
        })?;
        self.dirty.insert(page.key.clone());
        self.texts[index] = None;
        self.entries.get_mut(index)
    }

    /// Changes the logged delivery `id` with `edit`, now or, if it is older
    /// than the start and the log is not read yet, once it is.
    pub fn edit_when_read(&mut self, id: &str, edit: impl FnOnce(&mut Delivery) + 'static) {
        let unread = self.unread;
        match self.edit(id) {
            Some(delivery) => edit(delivery),
            None if unread => self.edits.0.push((id.to_string(), Box::new(edit))),
            None => {}
        }
    }

    /// Drops the oldest entries past [`LOG_CAPACITY`]; not before the stored
    /// pages are read, as they count too.
    fn trim(&mut self) {
        while !self.unread && self.entries.len() > LOG_CAPACITY {
            self.entries.pop_front();
            self.texts.pop_front();
            let Some(page) = self.pages.front_mut() else { break };
            page.len -= 1;
            if page.len == 0 {
                let key = page.key.clone();
                self.pages.pop_front();
                self.dirty.remove(&key);
                self.removed.insert(key);
            } else {
                mark(&mut self.dirty, &page.key);
            }
        }
    }

    /// Page `key` is written (or removed) with the next batch as it is now
    /// (its write failed).
    pub fn rewrite(&mut self, key: String) {
        if self.pages.iter().any(|page| page.key == key) {
            self.dirty.insert(key);
        } else {
            self.removed.insert(key);
        }
    }

    /// Adds the pages changed since the last batch to `writes`.
    pub fn take_changes(&mut self, writes: &mut Writes) {
        let dirty = std::mem::take(&mut self.dirty);
        let mut start = 0;
        for page in &self.pages {
            let range = start..start + page.len;
            start += page.len;
            if !dirty.contains(&page.key) {
                continue;
            }
            for (text, entry) in self.texts.range_mut(range.clone()).zip(self.entries.range(range.clone())) {
                text.get_or_insert_with(|| Writes::text(entry));
            }
            let texts = self.texts.range(range).map(|text| text.as_deref().unwrap_or_default());
            writes.set_list(Key::LogPage(page.key.clone()), texts);
        }
        for key in std::mem::take(&mut self.removed) {
            writes.remove(Key::LogPage(key));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::delivery::DeliveryState;
    use crate::engine::outbox::tests::delivery;
    use crate::engine::state::Changes;
    use crate::time::Millis;

    /// A delivery finished at `at`, as the log stores it.
    fn logged(id: &str, at: u64) -> Delivery {
        Delivery { state: DeliveryState::Delivered, finished_at: Some(Millis(at)), ..delivery(id, "w1", 0) }
    }

    fn take(log: &mut Log) -> Changes {
        let mut writes = Writes::default();
        log.take_changes(&mut writes);
        writes.into_changes(1)
    }

    fn ids(log: &Log) -> Vec<&str> {
        log.entries().iter().map(|d| d.id.as_str()).collect()
    }

    #[test]
    fn entries_fill_pages_and_a_batch_writes_each_changed_page_once() {
        let mut log = Log::default();
        for n in 0..PAGE_SIZE + 1 {
            log.push(logged(&format!("d{n}"), n as u64));
        }
        let changes = take(&mut log);
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["log/d0", &format!("log/d{PAGE_SIZE}")]);
        let first: Vec<Delivery> = serde_json::from_str(&changes.set["log/d0"]).unwrap();
        assert_eq!(first.len(), PAGE_SIZE);
        assert_eq!(changes.set["log/d0"], serde_json::to_string(&first).unwrap(), "as the list would serialize");
        log.edit("d3").unwrap().reply_action = Some("noted".into());
        assert_eq!(take(&mut log).set.keys().collect::<Vec<_>>(), ["log/d0"], "only the edited entry's page");
        assert!(take(&mut log).is_empty());
    }

    #[test]
    fn a_page_written_in_an_earlier_batch_takes_more_only_while_small() {
        let mut log = Log::default();
        for n in 0..FILL_BELOW - 1 {
            log.push(logged(&format!("d{n}"), n as u64));
        }
        take(&mut log);
        log.push(logged("small", 100));
        assert_eq!(take(&mut log).set.keys().collect::<Vec<_>>(), ["log/d0"], "below FILL_BELOW: it takes one more");
        log.push(logged("next", 101));
        log.push(logged("same batch", 102));
        let changes = take(&mut log);
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["log/next"], "a page of its own, not d0 written again");
        let page: Vec<Delivery> = serde_json::from_str(&changes.set["log/next"]).unwrap();
        assert_eq!(page.len(), 2, "what one batch logs shares its page");
    }

    #[test]
    fn trimming_drops_whole_pages_and_rewrites_the_oldest_one_left() {
        let mut log = Log::default();
        for n in 0..LOG_CAPACITY + PAGE_SIZE + 1 {
            log.push(logged(&format!("d{n}"), n as u64));
        }
        let changes = take(&mut log);
        assert_eq!(log.entries().len(), LOG_CAPACITY);
        assert_eq!(ids(&log)[0], format!("d{}", PAGE_SIZE + 1));
        assert_eq!(changes.remove, ["log/d0"], "the oldest page went whole");
        let oldest: Vec<Delivery> = serde_json::from_str(&changes.set[&format!("log/d{PAGE_SIZE}")]).unwrap();
        assert_eq!(oldest.len(), PAGE_SIZE - 1, "the next one lost its first entry");
    }

    #[test]
    fn an_unread_log_asks_once_something_is_logged_and_trims_only_with_what_is_stored() {
        let mut log = Log::new(Vec::new(), Vec::new(), true);
        assert!(!log.wants_read(), "nothing needs it yet");
        log.push(logged("new", LOG_CAPACITY as u64 + 1));
        assert!(log.wants_read());
        assert!(!log.wants_read(), "asked once");
        log.not_read();
        assert!(log.wants_read(), "asked again after a failed read");
        let stored: Vec<StoredPage> = (0..LOG_CAPACITY / PAGE_SIZE)
            .map(|p| {
                let page: Vec<Delivery> =
                    (0..PAGE_SIZE).map(|n| logged(&format!("old{}", p * PAGE_SIZE + n), (p * PAGE_SIZE + n) as u64)).collect();
                (format!("old{}", p * PAGE_SIZE), page)
            })
            .rev()
            .collect();
        log.load(stored);
        assert!(log.is_read());
        let ids = ids(&log);
        assert_eq!((ids.len(), ids[0], ids[LOG_CAPACITY - 1]), (LOG_CAPACITY, "old1", "new"), "pages in order, the new entry last");
        let changes = take(&mut log);
        assert!(changes.set.contains_key("log/old0") && changes.set.contains_key("log/new"), "{:?}", changes.set.keys());
        log.load(vec![("x".into(), vec![logged("x", 0)])]);
        assert!(log.get("x").is_none(), "read once");
    }

    #[test]
    fn a_page_this_start_wrote_before_the_read_is_kept_whole() {
        let mut log = Log::new(Vec::new(), Vec::new(), true);
        log.push(logged("new", 5));
        assert_eq!(take(&mut log).set.keys().collect::<Vec<_>>(), ["log/new"]);
        // The read comes after that write, and finds the page.
        log.load(vec![("new".into(), vec![logged("new", 5)]), ("old".into(), vec![logged("old", 1)])]);
        assert_eq!(ids(&log), ["old", "new"]);
        let changes = take(&mut log);
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["log/old"], "merged into the older page");
        assert_eq!(changes.remove, ["log/new"], "its entry is in log/old now");
        let page: Vec<Delivery> = serde_json::from_str(&changes.set["log/old"]).unwrap();
        assert_eq!(page.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["old", "new"]);
    }

    #[test]
    fn pages_of_a_few_entries_each_merge_when_the_log_is_read() {
        let stored: Vec<StoredPage> = (0..4).map(|n| (format!("p{n}"), vec![logged(&format!("p{n}"), n)])).collect();
        let mut log = Log::new(Vec::new(), Vec::new(), true);
        log.edit_when_read("p0", |d| d.reply_action = Some("noted".into()));
        log.load(stored);
        let changes = take(&mut log);
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["log/p0"]);
        assert_eq!(changes.remove, ["log/p1", "log/p2", "log/p3"]);
    }

    #[test]
    fn a_copy_of_an_entry_in_another_page_is_kept_once() {
        let copy = vec![("b".to_string(), vec![logged("a", 1), logged("b", 2)])];
        let log = Log::new(vec![("a".into(), vec![logged("a", 1)])].into_iter().chain(copy).collect(), Vec::new(), false);
        assert_eq!(ids(&log), ["a", "b"]);
    }

    #[test]
    fn a_change_to_an_entry_older_than_the_start_waits_for_the_read() {
        let mut log = Log::new(Vec::new(), Vec::new(), true);
        log.edit_when_read("old", |d| d.reply_action = Some("noted".into()));
        assert!(log.wants_read(), "a change waits for it");
        log.load(vec![("old".into(), vec![logged("old", 1)])]);
        assert_eq!(log.get("old").and_then(|d| d.reply_action.as_deref()), Some("noted"));
        assert_eq!(take(&mut log).set.keys().collect::<Vec<_>>(), ["log/old"], "and is written");
    }
}
