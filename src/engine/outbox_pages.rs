//! How the outbox is stored: in pages of up to [`PAGE_SIZE`] unfinished
//! deliveries of one webhook, each under `pending/<page>`, a page holding
//! exactly the deliveries of it that are still unfinished.
//!
//! Why pages: IndexedDB charges per operation, not per byte (see
//! [`super::log`]). With a key per delivery, a burst of 1000 events cost
//! 1000 puts before the first attempts and 1000 deletes as they finished,
//! 2,000 of the 2,150 operations its writes made in Chromium. Here the
//! deliveries a batch adds share a put per page, and a page is written again
//! (or removed, once empty) at most once per batch however many of its
//! deliveries changed or left: a page holds one webhook's deliveries in the
//! order they were made, so it empties in a few batches as they are sent.
//!
//! Records of earlier versions (`delivery/<id>`, one key per delivery) load
//! as they are and move into pages with the next write, their key removed
//! in the same batch.

use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasherDefault;

use super::outbox::Outbox;
use super::state::Key;
use super::stored::Writes;
use crate::ids::{IdHasher, IdMap, IdSet};

/// How many deliveries a page holds: about 75 KB of JSON text when full
/// of typical events, as a log page.
pub const PAGE_SIZE: usize = super::log::PAGE_SIZE;

/// How much JSON text a new page takes before the next delivery starts
/// another (a page holds at least one): an event may be 256 KB, and a page
/// is written again whole as its deliveries leave it.
pub const PAGE_BYTES: usize = 128 * 1024;

/// A page: its key (named after its first delivery, unique without
/// reading storage) and its deliveries, in the order they were made.
#[derive(Debug)]
struct Page {
    key: String,
    members: Vec<Member>,
    /// Whether it is to be written (or removed, once empty) with the next
    /// batch (listed in [`OutboxPages::dirty`]).
    dirty: bool,
}

/// A delivery in a page, with its JSON text as the page last stored it,
/// until it changes: a page is written again as its deliveries leave it,
/// and serializing the ones that stay each time would cost more than it
/// saves. What it costs: the text beside the delivery in memory, about
/// 1.4 KB for a typical event, until the delivery leaves the outbox.
#[derive(Debug)]
struct Member {
    id: String,
    text: Option<String>,
}

/// The outbox's pages and what storage lacks of them.
#[derive(Debug, Default)]
pub(super) struct OutboxPages {
    /// The pages, by a number of this lifetime's.
    pages: HashMap<u64, Page, BuildHasherDefault<IdHasher>>,
    next_page: u64,
    /// The page of each delivery that has one.
    page_of: IdMap<u64>,
    /// Each page's number by its key.
    by_key: IdMap<u64>,
    /// The pages to write (or remove, once empty) with the next batch.
    dirty: Vec<u64>,
    /// Deliveries added since the last batch, in the order they were made,
    /// to page with it (a page empties in that order as they are sent).
    added: Vec<String>,
    /// Keys of pages gone from memory to remove with the next batch (a
    /// write that failed, or a page of nothing but what was set aside).
    gone: BTreeSet<String>,
    /// Deliveries whose key of an earlier version (`delivery/<id>`) may
    /// still be stored: removed with the next batch.
    legacy: IdSet,
}

/// The outbox's pages as stored: each page's key and the ids it holds.
pub type StoredPages = Vec<(String, Vec<String>)>;

impl OutboxPages {
    /// The pages as stored, holding only the deliveries in `unfinished`,
    /// each in the first page that has it: a page that held more (a copy,
    /// an entry set aside, a delivery that had finished) is written again.
    /// `legacy`: the deliveries read from keys of an earlier version.
    pub fn load(stored: StoredPages, unfinished: &IdSet, legacy: Vec<String>) -> OutboxPages {
        let mut pages = OutboxPages { legacy: legacy.iter().cloned().collect(), ..OutboxPages::default() };
        for (key, ids) in stored {
            let number = pages.next_number();
            let held = ids.len();
            let mut members = Vec::with_capacity(held);
            for id in ids {
                if unfinished.contains(&id) && !pages.page_of.contains_key(&id) {
                    pages.page_of.insert(id.clone(), number);
                    members.push(Member { id, text: None });
                }
            }
            pages.by_key.insert(key.clone(), number);
            pages.pages.insert(number, Page { key, members, dirty: false });
            // A copy, a delivery set aside or finished: written again
            // without it; a page of nothing, removed.
            if pages.pages[&number].members.len() != held || held == 0 {
                pages.mark(number);
            }
        }
        // Those a page has stay in it; the others go into new pages.
        pages.added = legacy.into_iter().filter(|id| unfinished.contains(id)).collect();
        pages
    }

    /// Delivery `id` was added to the outbox: it is paged with the next batch.
    pub fn add(&mut self, id: &str) {
        self.added.push(id.to_string());
    }

    /// Page `key` is written (or removed) with the next batch as it is now
    /// (its write failed, or an entry of it was set aside).
    pub fn rewrite(&mut self, key: String) {
        match self.by_key.get(&key) {
            Some(&number) => self.mark(number),
            None => drop(self.gone.insert(key)),
        }
    }

    /// The key of an earlier version under which delivery `id` may be
    /// stored is removed with the next batch (its removal failed, or the
    /// record was set aside).
    pub fn rewrite_legacy(&mut self, id: String) {
        self.legacy.insert(id);
    }

    /// Adds to `writes` what the `changed` deliveries changed in the
    /// stored pages: new deliveries in new pages, one per webhook and up to
    /// [`PAGE_SIZE`] deliveries or about [`PAGE_BYTES`] each, and every page
    /// that one changed in or left written again (removed once empty); and
    /// the keys of an earlier version removed, in the batch that pages or
    /// logs their deliveries.
    pub fn take_changes(&mut self, changed: impl IntoIterator<Item = String>, outbox: &Outbox, writes: &mut Writes) {
        for id in self.legacy.drain() {
            writes.remove(Key::Delivery(id));
        }
        for id in changed {
            let Some(&number) = self.page_of.get(&id) else { continue };
            let in_outbox = outbox.get(&id).is_some();
            if !in_outbox {
                self.page_of.remove(&id);
            }
            self.mark(number);
            let Some(page) = self.pages.get_mut(&number) else { continue };
            // Near the front when it left: a page's deliveries leave about in order.
            let Some(at) = page.members.iter().position(|member| member.id == id) else { continue };
            match in_outbox {
                true => page.members[at].text = None,
                false => drop(page.members.remove(at)),
            }
        }
        self.page_added(outbox);
        for number in std::mem::take(&mut self.dirty) {
            let Some(page) = self.pages.get_mut(&number) else { continue };
            page.dirty = false;
            if page.members.is_empty() {
                let page = self.pages.remove(&number).expect("just found");
                self.by_key.remove(&page.key);
                writes.remove(Key::OutboxPage(page.key));
                continue;
            }
            for member in page.members.iter_mut().filter(|member| member.text.is_none()) {
                member.text = outbox.get(&member.id).map(Writes::text);
            }
            let texts = page.members.iter().filter_map(|member| member.text.as_deref());
            writes.set_list(Key::OutboxPage(page.key.clone()), texts);
        }
        for key in std::mem::take(&mut self.gone) {
            writes.remove(Key::OutboxPage(key));
        }
    }

    /// Puts the deliveries added since the last batch that are still in the
    /// outbox into new pages: a webhook's own, of up to [`PAGE_SIZE`]
    /// deliveries or about [`PAGE_BYTES`] of text.
    fn page_added(&mut self, outbox: &Outbox) {
        // Each webhook's open page and its bytes so far; a burst has a few webhooks.
        let mut open: Vec<(&str, Vec<Member>, usize)> = Vec::new();
        for id in std::mem::take(&mut self.added) {
            let Some(delivery) = outbox.get(&id).filter(|_| !self.page_of.contains_key(&id)) else { continue };
            let text = Writes::text(delivery);
            let at = match open.iter().position(|(webhook, _, _)| *webhook == delivery.webhook_id) {
                Some(at) => at,
                None => {
                    open.push((&delivery.webhook_id, Vec::new(), 0));
                    open.len() - 1
                }
            };
            let (_, members, bytes) = &mut open[at];
            if members.len() == PAGE_SIZE || (!members.is_empty() && *bytes + text.len() > PAGE_BYTES) {
                self.add_page(std::mem::take(members));
                *bytes = 0;
            }
            *bytes += text.len();
            members.push(Member { id, text: Some(text) });
        }
        for (_, members, _) in open {
            if !members.is_empty() {
                self.add_page(members);
            }
        }
    }

    /// Page `number` is written (or removed) with the next batch.
    fn mark(&mut self, number: u64) {
        if let Some(page) = self.pages.get_mut(&number).filter(|page| !page.dirty) {
            page.dirty = true;
            self.dirty.push(number);
        }
    }

    /// Adds a page of new deliveries (at least one), written with the next batch.
    fn add_page(&mut self, members: Vec<Member>) {
        let (key, number) = (self.unused_key(&members[0].id), self.next_number());
        for member in &members {
            self.page_of.insert(member.id.clone(), number);
        }
        self.by_key.insert(key.clone(), number);
        self.pages.insert(number, Page { key, members, dirty: false });
        self.mark(number);
    }

    fn next_number(&mut self) -> u64 {
        self.next_page += 1;
        self.next_page
    }

    /// A page key named after `first`, unless a page has that name already
    /// (a delivery moved from a key of an earlier version, which a damaged
    /// store also had in a page): then with a number after it.
    fn unused_key(&self, first: &str) -> String {
        let mut key = first.to_string();
        let mut n = 1;
        while self.by_key.contains_key(&key) {
            key = format!("{first}.{n}");
            n += 1;
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::delivery::Delivery;
    use crate::engine::outbox::tests::delivery;
    use crate::engine::state::Changes;

    /// `outbox` and its pages after adding `count` deliveries of each of
    /// `webhooks`, interleaved as a burst to all of them makes them.
    fn burst(webhooks: &[&str], count: usize) -> (Outbox, OutboxPages, Vec<String>) {
        let (mut outbox, mut pages, mut ids) = (Outbox::default(), OutboxPages::default(), Vec::new());
        for n in 0..count {
            for webhook in webhooks {
                let id = format!("{webhook}-{n:03}");
                outbox.push(delivery(&id, webhook, 0));
                pages.add(&id);
                ids.push(id);
            }
        }
        (outbox, pages, ids)
    }

    fn take(pages: &mut OutboxPages, changed: impl IntoIterator<Item = String>, outbox: &Outbox) -> Changes {
        let mut writes = Writes::default();
        pages.take_changes(changed, outbox, &mut writes);
        writes.into_changes(1)
    }

    fn ids_in(changes: &Changes, key: &str) -> Vec<String> {
        let page: Vec<Delivery> = serde_json::from_str(&changes.set[key]).unwrap();
        page.into_iter().map(|d| d.id).collect()
    }

    #[test]
    fn new_deliveries_share_pages_of_one_webhook_each_in_the_order_they_were_made() {
        let (outbox, mut pages, ids) = burst(&["a", "b"], PAGE_SIZE + 1);
        // Changed in another order than they were made: pages follow the order they were added.
        let changes = take(&mut pages, ids.iter().rev().cloned(), &outbox);
        let keys: Vec<&str> = changes.set.keys().map(String::as_str).collect();
        let (last_a, last_b) = (format!("pending/a-{PAGE_SIZE:03}"), format!("pending/b-{PAGE_SIZE:03}"));
        assert_eq!(keys, ["pending/a-000", &last_a, "pending/b-000", &last_b], "4 puts for {} deliveries", ids.len());
        let first: Vec<String> = (0..PAGE_SIZE).map(|n| format!("a-{n:03}")).collect();
        assert_eq!(ids_in(&changes, "pending/a-000"), first);
        assert_eq!(ids_in(&changes, &last_a), [format!("a-{PAGE_SIZE:03}")]);
        assert!(changes.remove.is_empty());
    }

    #[test]
    fn a_page_is_written_once_a_batch_without_what_left_it_and_removed_once_empty() {
        let (mut outbox, mut pages, ids) = burst(&["a"], 3);
        take(&mut pages, ids.clone(), &outbox);
        outbox.remove("a-000");
        outbox.remove("a-001");
        let changes = take(&mut pages, ["a-000".into(), "a-001".into()], &outbox);
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["pending/a-000"], "one write for both");
        assert_eq!(ids_in(&changes, "pending/a-000"), ["a-002"]);
        outbox.get_mut("a-002").unwrap().reason = Some("changed".into());
        let changes = take(&mut pages, ["a-002".into()], &outbox);
        let page: Vec<Delivery> = serde_json::from_str(&changes.set["pending/a-000"]).unwrap();
        assert_eq!(page[0].reason.as_deref(), Some("changed"), "a change is written, not the text of before");
        outbox.remove("a-002");
        let changes = take(&mut pages, ["a-002".into()], &outbox);
        assert!(changes.set.is_empty());
        assert_eq!(changes.remove, ["pending/a-000"]);
        assert!(take(&mut pages, [], &outbox).is_empty(), "nothing left to write");
    }

    #[test]
    fn a_new_page_is_full_at_page_bytes_of_text_and_holds_at_least_one() {
        let mut outbox = Outbox::default();
        for id in ["a", "b", "c"] {
            let mut large = delivery(id, "w", 0);
            large.reason = Some("x".repeat(PAGE_BYTES / 3));
            outbox.push(large);
        }
        let mut huge = delivery("d", "w", 0);
        huge.reason = Some("x".repeat(PAGE_BYTES * 2));
        outbox.push(huge);
        let mut pages = OutboxPages::default();
        ["a", "b", "c", "d"].into_iter().for_each(|id| pages.add(id));
        let changes = take(&mut pages, ["a", "b", "c", "d"].map(String::from), &outbox);
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["pending/a", "pending/c", "pending/d"]);
        assert_eq!(ids_in(&changes, "pending/a"), ["a", "b"], "a third of a page each, and the rest of their records: two fit");
        assert_eq!(ids_in(&changes, "pending/d"), ["d"], "one larger than a page has one of its own");
    }

    #[test]
    fn stored_pages_keep_only_unfinished_deliveries_once_and_earlier_keys_move_into_pages() {
        let (outbox, _, _) = burst(&["a"], 4);
        let unfinished: IdSet = outbox.iter().map(|d| d.id.clone()).collect();
        let stored = vec![
            ("a-000".into(), vec!["a-000".into(), "a-001".into()]),
            // A copy of a-001, and a delivery that is not unfinished.
            ("copy".into(), vec!["a-001".into(), "gone".into()]),
            ("a-002".into(), vec!["a-002".into()]),
        ];
        let mut pages = OutboxPages::load(stored, &unfinished, vec!["a-003".to_string()]);
        let changes = take(&mut pages, ["a-003".into()], &outbox);
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["pending/a-003"], "the earlier key's delivery in a page of its own");
        assert_eq!(changes.remove, ["delivery/a-003", "pending/copy"], "in the same batch");
        assert!(take(&mut pages, [], &outbox).is_empty(), "the pages that held exactly theirs stay as they are");
    }
}
