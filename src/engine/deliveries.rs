//! Every delivery the engine keeps, and which of them storage has: the
//! outbox (unfinished deliveries, [`Outbox`]), the log (finished ones,
//! [`Log`]), the attempts in flight, each batching
//! webhook's open batch, and the deliveries not yet known to be in storage;
//! with what a full outbox drops to make room ([`Deliveries::room_victims`]).
//!
//! The unfinished deliveries are stored in pages ([`OutboxPages`]), the
//! log in pages of its own ([`Log`]), and the attempts in flight under one
//! more key (`inflight`, see [`Key::InFlight`]). Every change goes
//! through a method here that marks what it changes, so
//! [`Deliveries::take_changes`] knows what to write without being told.
//!
//! A delivery is in durable storage before its first attempt: one added
//! ([`Deliveries::await_write`]) is not put in line until the write batch
//! holding it is reported saved ([`Deliveries::saved`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::delivery::{Attempt, Delivery, DeliveryState, LoggedRequest};
use super::log::{Log, StoredPage};
use super::outbox::Outbox;
use super::outbox_pages::{OutboxPages, StoredPages};
use super::state::Key;
use super::stored::{mark, Writes};
use super::tally::Tally;
use super::{AttemptId, MAX_OUTBOX};
use crate::ids::IdMap;
use crate::redact::Redactor;
use crate::time::Millis;

/// An attempt awaiting its result: its delivery, the request as the log
/// will keep it (stored with the result, so starting an attempt writes only
/// its entry under [`Key::InFlight`]), and the request's credentials, to
/// scrub from the response.
#[derive(Debug)]
pub(super) struct InFlight {
    /// The delivery it is an attempt of.
    pub delivery_id: String,
    /// The request, as the log keeps it.
    pub request: LoggedRequest,
    /// The request's credentials.
    pub redactor: Redactor,
    /// Its entry under [`Key::InFlight`] as stored (`"<delivery id>":{…}`),
    /// written when it starts: the key is rewritten whole with every batch
    /// while the attempt lasts (about 8 times in a burst, with 32 in
    /// flight and a batch every 4 responses), and the attempt does not
    /// change until it ends.
    entry: String,
}

/// The outbox, the log, the attempts in flight and what storage has of them.
#[derive(Debug, Default)]
pub(super) struct Deliveries {
    outbox: Outbox,
    pages: OutboxPages,
    log: Log,
    in_flight: BTreeMap<AttemptId, InFlight>,
    next_attempt: u64,
    /// Whether the attempts in flight changed since the last batch.
    in_flight_changed: bool,
    /// Unfinished deliveries changed since the last batch, by id: their
    /// outbox page is written again, with them or without them if they
    /// left the outbox (one not paged yet is paged with the batch anyway).
    changed: BTreeSet<String>,
    /// Deliveries not yet known to be in storage, with the write batch
    /// that holds them (`None` until one does) and their webhook. They are
    /// not sent yet.
    not_durable: IdMap<(Option<u64>, String)>,
    /// How many of those each webhook has: it has work coming, so its
    /// in-flight share is kept for it while the write lands.
    unwritten: Tally,
    /// Each batching webhook's open batch, by webhook id (see [`super::batch`]).
    open_batches: BTreeMap<String, String>,
}

impl Deliveries {
    /// The deliveries as stored: the log from its pages, unless it is
    /// unread ([`Log::new`]), and the unfinished ones (`outbox`, in the
    /// pages it lists) returned to be added one by one with
    /// [`Deliveries::restore`], each with the attempt recorded for it only
    /// under `inflight` (`in_flight`) joined to it. `legacy` are the ids of
    /// deliveries read from their key of an earlier version (see
    /// [`super::outbox_pages`]): they are paged, and that key removed; so
    /// are `misplaced`, logged deliveries found among unfinished ones.
    pub fn load(
        (unfinished, outbox_pages, legacy): (Vec<Delivery>, StoredPages, Vec<String>),
        (log_pages, log_unread): (Vec<StoredPage>, bool),
        misplaced: Vec<Delivery>,
        mut in_flight: BTreeMap<String, Attempt>,
    ) -> (Deliveries, Vec<Delivery>) {
        let ids = unfinished.iter().map(|delivery| delivery.id.clone()).collect();
        let pages = OutboxPages::load(outbox_pages, &ids, legacy);
        let log = Log::new(log_pages, misplaced, log_unread);
        let deliveries = Deliveries { log, pages, in_flight_changed: !in_flight.is_empty(), ..Deliveries::default() };
        let unfinished = unfinished
            .into_iter()
            .map(|mut delivery| {
                // An attempt recorded only under `inflight` joins its delivery;
                // one its key already holds (with or without a result) does not.
                if let Some(attempt) = in_flight.remove(&delivery.id) {
                    if delivery.attempts.iter().all(|a| a.delivery_header != attempt.delivery_header) {
                        delivery.attempts.push(attempt);
                    }
                }
                delivery
            })
            .collect();
        (deliveries, unfinished)
    }

    /// Adds a stored unfinished delivery back to the outbox, in line unless
    /// its last attempt was cut off: then its id, for the caller to record
    /// that attempt as interrupted.
    pub fn restore(&mut self, delivery: Delivery) -> Option<String> {
        let (id, interrupted) = (delivery.id.clone(), delivery.awaiting_result());
        self.outbox.push(delivery);
        if interrupted {
            return Some(id);
        }
        self.outbox.queue(&id);
        None
    }

    // ----- reading -----

    /// The unfinished deliveries.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The finished deliveries, oldest first (until the log is read, only
    /// those logged since the start).
    pub fn log(&self) -> &VecDeque<Delivery> {
        self.log.entries()
    }

    /// Whether the whole log is in memory.
    pub fn log_loaded(&self) -> bool {
        self.log.is_read()
    }

    /// Whether to ask the driver for the log, once (see [`Log::wants_read`]).
    pub fn wants_log(&mut self) -> bool {
        self.log.wants_read()
    }

    /// Asks for the log again with the next drain (the read failed).
    pub fn log_not_loaded(&mut self) {
        self.log.not_read();
    }

    /// Takes the stored log's pages (see [`Log::load`]).
    pub fn load_log(&mut self, stored: Vec<StoredPage>) {
        self.log.load(stored);
    }

    /// Every delivery, newest first: unfinished, then the log.
    pub fn iter(&self) -> impl Iterator<Item = &Delivery> {
        self.outbox.iter().rev().chain(self.log.entries().iter().rev())
    }

    /// The logged delivery `id`, looked for from the newest.
    pub fn logged(&self, id: &str) -> Option<&Delivery> {
        self.log.get(id)
    }

    /// How many attempts are in flight.
    pub fn in_flight_count(&self) -> usize {
        self.in_flight.len()
    }

    /// The deliveries with an attempt in flight.
    pub fn in_flight_ids(&self) -> impl Iterator<Item = &str> {
        self.in_flight.values().map(|attempt| attempt.delivery_id.as_str())
    }

    /// How many deliveries each webhook has waiting for their write.
    pub fn unwritten(&self) -> &Tally {
        &self.unwritten
    }

    /// Whether delivery `id` waits for its write before it may be sent.
    pub fn awaits_write(&self, id: &str) -> bool {
        self.not_durable.contains_key(id)
    }

    // ----- changing -----

    /// Adds a new delivery, not yet in line. Its page is made with the
    /// next batch ([`OutboxPages::add`]); `changed` is for deliveries a page
    /// holds already.
    pub fn push(&mut self, delivery: Delivery) {
        self.pages.add(&delivery.id);
        self.outbox.push(delivery);
    }

    /// The unfinished delivery `id`, out of line, to change (see [`Outbox::get_mut`]).
    pub fn edit(&mut self, id: &str) -> Option<&mut Delivery> {
        let delivery = self.outbox.get_mut(id)?;
        mark(&mut self.changed, id);
        Some(delivery)
    }

    /// Changes the logged delivery `id` with `edit`, now or once the log is
    /// read (see [`Log::edit_when_read`]).
    pub fn edit_logged_when_loaded(&mut self, id: &str, edit: impl FnOnce(&mut Delivery) + 'static) {
        self.log.edit_when_read(id, edit);
    }

    /// Puts delivery `id` in line (see [`Outbox::queue`]).
    pub fn queue(&mut self, id: &str) {
        self.outbox.queue(id);
    }

    /// Takes the delivery due first out of line (see [`Outbox::take_due`]).
    pub fn take_due(&mut self, now: Millis, floor: impl Fn(&str) -> Option<Millis>) -> Option<&Delivery> {
        self.outbox.take_due(now, floor).map(|delivery| &*delivery)
    }

    /// Starts `attempt` of delivery `id` (taken with [`Deliveries::take_due`]).
    /// Only the in-flight key is written for it: rewriting the delivery
    /// per attempt cost a delivery-sized write each (see [`Key::InFlight`]).
    pub fn begin_attempt(&mut self, id: &str, attempt: Attempt, request: LoggedRequest, redactor: Redactor) -> Option<AttemptId> {
        let delivery = self.outbox.get_mut(id)?;
        let entry = Writes::entry(id, &attempt);
        delivery.attempts.push(attempt);
        self.next_attempt += 1;
        let attempt = AttemptId(self.next_attempt);
        self.in_flight.insert(attempt, InFlight { delivery_id: id.to_string(), request, redactor, entry });
        self.in_flight_changed = true;
        Some(attempt)
    }

    /// Ends `attempt`, if it is in flight, for its result to be recorded.
    pub fn end_attempt(&mut self, attempt: AttemptId) -> Option<InFlight> {
        let ended = self.in_flight.remove(&attempt)?;
        self.in_flight_changed = true;
        Some(ended)
    }

    /// Moves the unfinished delivery `id` to the log as `state`, for
    /// `reason`, at `now`; the logged delivery.
    pub fn finish(&mut self, id: &str, state: DeliveryState, reason: Option<String>, now: Millis) -> Option<&Delivery> {
        let mut delivery = self.outbox.remove(id)?;
        delivery.state = state;
        delivery.reason = reason;
        delivery.finished_at = Some(now);
        mark(&mut self.changed, id);
        self.log.push(delivery);
        self.log.entries().back()
    }

    /// Logs a delivery that never entered the outbox (skipped, dropped, refused).
    pub fn log_finished(&mut self, delivery: Delivery) {
        self.log.push(delivery);
    }

    /// Removes the unfinished delivery `id` without logging it: its events
    /// went on as other deliveries.
    pub fn discard(&mut self, id: &str) -> Option<Delivery> {
        let delivery = self.outbox.remove(id)?;
        mark(&mut self.changed, id);
        Some(delivery)
    }

    /// A webhook's fair share of a full outbox: [`MAX_OUTBOX`] split
    /// equally among the webhooks with deliveries in it and `newcomers`
    /// more. A receiver that keeps its deliveries waiting (429 with a long
    /// Retry-After, a hang) keeps only its share once others have work; a
    /// webhook alone may fill all of it, and nothing is dropped while there
    /// is room.
    pub fn outbox_share(&self, newcomers: usize) -> usize {
        MAX_OUTBOX / (self.outbox.webhooks() + newcomers).max(1)
    }

    /// The `needed` deliveries to drop for room in a full outbox: of the
    /// webhooks among `webhook_ids` with more than `share`, furthest over
    /// first, each its newest that may go: waiting for a first attempt or
    /// for a retry (a 429's hour included), never one in flight, a Test (its
    /// caller waits) or an open batch (it holds more events than it would
    /// make room for). `None` unless all the room needed can be made.
    pub fn room_victims<'a>(&self, webhook_ids: impl Iterator<Item = &'a str>, share: usize, needed: usize) -> Option<Vec<String>> {
        // By id, so equal counts choose the same webhook on every run.
        let mut over: BTreeMap<&str, (usize, VecDeque<&str>)> = BTreeMap::new();
        for webhook_id in webhook_ids {
            let count = self.outbox.count_of(webhook_id);
            if count > share {
                over.insert(webhook_id, (count, VecDeque::new()));
            }
        }
        // No webhook gives more than `needed`: the scan stops once each has them.
        let may_go = |d: &Delivery| !d.test && d.state != DeliveryState::Open && !d.awaiting_result();
        let mut short = over.len();
        for delivery in self.outbox.iter().rev().filter(|d| may_go(d)) {
            if short == 0 {
                break;
            }
            if let Some((_, newest_first)) = over.get_mut(delivery.webhook_id.as_str()) {
                if newest_first.len() < needed {
                    newest_first.push_back(delivery.id.as_str());
                    short -= usize::from(newest_first.len() == needed);
                }
            }
        }
        let mut victims: Vec<String> = Vec::with_capacity(needed);
        while victims.len() < needed {
            let furthest = over.values_mut().filter(|(count, left)| *count > share && !left.is_empty()).max_by_key(|(count, _)| *count);
            let (count, left) = furthest?;
            *count -= 1;
            victims.extend(left.pop_front().map(str::to_string));
        }
        Some(victims)
    }

    // ----- batches -----

    /// The open batch of `webhook_id`, if it has one.
    pub fn open_batch(&self, webhook_id: &str) -> Option<String> {
        let id = self.open_batches.get(webhook_id)?;
        self.outbox.get(id).is_some_and(|d| d.state == DeliveryState::Open).then(|| id.clone())
    }

    /// Adds `batch`, open, as its webhook's open batch.
    pub fn add_open_batch(&mut self, batch: Delivery) {
        self.open_batches.insert(batch.webhook_id.clone(), batch.id.clone());
        self.push(batch);
    }

    /// After a restart: the stored open batch `id` is `webhook_id`'s again;
    /// the one it replaces (a second open batch, from a damaged record), if any.
    pub fn track_open_batch(&mut self, webhook_id: String, id: String) -> Option<String> {
        self.open_batches.insert(webhook_id, id)
    }

    /// Closes the open batch `id` at `now`: pending, sent once its write is
    /// in storage, or `held` with its webhook's events.
    pub fn close_batch(&mut self, id: &str, held: bool, now: Millis) {
        let Some(delivery) = self.edit(id) else { return };
        delivery.state = if held { DeliveryState::Held } else { DeliveryState::Pending };
        delivery.next_at = now;
        let webhook_id = delivery.webhook_id.clone();
        if !held {
            self.await_write(id, &webhook_id);
        }
        if self.open_batches.get(&webhook_id).is_some_and(|open| open == id) {
            self.open_batches.remove(&webhook_id);
        }
    }

    /// The open batches whose deadline has come at `now`, having forgotten
    /// those no longer open (sent, or cancelled with their webhook).
    pub fn due_batches(&mut self, now: Millis) -> Vec<String> {
        let outbox = &self.outbox;
        self.open_batches.retain(|_, id| outbox.get(id).is_some_and(|d| d.state == DeliveryState::Open));
        self.open_batches.values().filter(|id| outbox.get(id).is_some_and(|d| d.next_at <= now)).cloned().collect()
    }

    /// When the first open batch is due to close.
    pub fn next_batch_deadline(&self) -> Option<Millis> {
        self.open_batches.values().filter_map(|id| self.outbox.get(id)).map(|d| d.next_at).min()
    }

    // ----- storage -----

    /// Holds back delivery `id` (of `webhook_id`) until its write lands.
    pub fn await_write(&mut self, id: &str, webhook_id: &str) {
        if self.not_durable.insert(id.to_string(), (None, webhook_id.to_string())).is_none() {
            self.unwritten.add(webhook_id);
        }
    }

    /// Write batch `batch` is being made: it holds every delivery not yet
    /// in one.
    pub fn batch_taken(&mut self, batch: u64) {
        self.not_durable.values_mut().filter(|(holder, _)| holder.is_none()).for_each(|(holder, _)| *holder = Some(batch));
    }

    /// Batch `batch` (and every earlier one) is in storage: the deliveries
    /// it holds go in line.
    pub fn saved(&mut self, batch: u64) {
        let (outbox, unwritten) = (&mut self.outbox, &mut self.unwritten);
        self.not_durable.retain(|id, (holder, webhook_id)| {
            let saved = holder.is_some_and(|b| b <= batch);
            if saved {
                unwritten.remove(webhook_id);
                outbox.queue(id);
            }
            !saved
        });
    }

    /// Batch `batch` failed: the deliveries it held wait for the next one.
    pub fn failed(&mut self, batch: u64) {
        for (holder, _) in self.not_durable.values_mut().filter(|(holder, _)| *holder == Some(batch)) {
            *holder = None;
        }
    }

    /// The key of an earlier version that may hold delivery `id` is
    /// removed with the next batch (its removal failed, or it was set aside).
    pub fn rewrite_legacy(&mut self, id: String) {
        self.pages.rewrite_legacy(id);
    }

    /// Outbox page `key` is written (or removed) with the next batch as it
    /// is now.
    pub fn rewrite_outbox_page(&mut self, key: String) {
        self.pages.rewrite(key);
    }

    /// Log page `key` is written (or removed) with the next batch as it is now.
    pub fn rewrite_log_page(&mut self, key: String) {
        self.log.rewrite(key);
    }

    /// The attempts in flight are written with the next batch as they are.
    pub fn rewrite_in_flight(&mut self) {
        self.in_flight_changed = true;
    }

    /// Adds what changed since the last batch to `writes`: the attempts in
    /// flight, the outbox pages the changed deliveries are in or left, and
    /// the log's.
    pub fn take_changes(&mut self, writes: &mut Writes) {
        if std::mem::take(&mut self.in_flight_changed) {
            writes.set_object(Key::InFlight, self.attempts_in_flight());
        }
        self.pages.take_changes(std::mem::take(&mut self.changed), &self.outbox, writes);
        self.log.take_changes(writes);
    }

    /// The entry of each attempt in flight under [`Key::InFlight`], in the
    /// order they started (a delivery has one at a time; a reader takes the
    /// object as a map). Deliveries cancelled meanwhile are in the log, not
    /// here. Not sorted by delivery id: that cost 2,000 instructions an
    /// event in a burst, the key being written with every batch.
    fn attempts_in_flight(&self) -> impl Iterator<Item = &str> {
        let live = self.in_flight.values().filter(|attempt| self.outbox.get(&attempt.delivery_id).is_some());
        live.map(|attempt| attempt.entry.as_str())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::engine::outbox::tests::delivery;
    use crate::engine::stored::Writes;
    use crate::engine::Changes;
    use crate::redact::Credentials;
    use crate::request::HttpRequest;

    fn take(deliveries: &mut Deliveries) -> Changes {
        let mut writes = Writes::default();
        deliveries.take_changes(&mut writes);
        writes.into_changes(1)
    }

    fn attempt(header: &str) -> Attempt {
        Attempt {
            delivery_header: header.into(),
            started_at: Millis(0),
            duration_ms: None,
            status: None,
            error: None,
            failure: None,
            response_body: None,
        }
    }

    #[test]
    fn a_new_delivery_goes_in_line_only_once_the_batch_holding_it_is_saved() {
        let mut deliveries = Deliveries::default();
        deliveries.push(delivery("a", "w1", 0));
        deliveries.await_write("a", "w1");
        assert_eq!(deliveries.unwritten().of("w1"), 1);
        deliveries.batch_taken(1);
        assert_eq!(take(&mut deliveries).set.keys().collect::<Vec<_>>(), ["pending/a"]);
        deliveries.failed(1);
        deliveries.saved(1);
        assert!(deliveries.take_due(Millis(0), |_| Some(Millis(0))).is_none(), "its batch failed: it waits for the next");
        deliveries.batch_taken(2);
        deliveries.saved(2);
        assert!(!deliveries.awaits_write("a"));
        assert_eq!(deliveries.unwritten().of("w1"), 0);
        assert_eq!(deliveries.take_due(Millis(0), |_| Some(Millis(0))).map(|d| d.id.clone()), Some("a".into()));
    }

    /// Starts the next attempt of delivery `id`.
    pub(in crate::engine) fn start_attempt(deliveries: &mut Deliveries, id: &str) -> AttemptId {
        let sent = HttpRequest { method: "POST", url: "https://h.test/".into(), headers: Vec::new(), body: None };
        let credentials = Credentials::default();
        let redactor = credentials.redactor();
        let request = LoggedRequest::redacted(&sent, &credentials, &redactor);
        let header = format!("{id}.{}", deliveries.outbox().get(id).map_or(0, |d| d.attempts.len()) + 1);
        deliveries.begin_attempt(id, attempt(&header), request, redactor).expect("an unfinished delivery")
    }

    #[test]
    fn starting_an_attempt_writes_only_the_attempts_in_flight() {
        let mut deliveries = Deliveries::default();
        deliveries.push(delivery("a", "w1", 0));
        take(&mut deliveries);
        let started = start_attempt(&mut deliveries, "a");
        let changes = take(&mut deliveries);
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["inflight"]);
        assert!(changes.set["inflight"].contains("a.1"));
        assert_eq!(deliveries.end_attempt(started).map(|ended| ended.delivery_id), Some("a".into()));
        assert!(deliveries.end_attempt(started).is_none(), "ended once");
        assert_eq!(take(&mut deliveries).set["inflight"], "{}");
    }

    #[test]
    fn an_open_batch_closes_on_its_deadline_and_waits_for_its_write() {
        let mut deliveries = Deliveries::default();
        let mut batch = delivery("b", "w1", 100);
        batch.state = DeliveryState::Open;
        deliveries.add_open_batch(batch);
        assert_eq!(deliveries.open_batch("w1"), Some("b".into()));
        assert_eq!(deliveries.next_batch_deadline(), Some(Millis(100)));
        assert!(deliveries.due_batches(Millis(99)).is_empty());
        assert_eq!(deliveries.due_batches(Millis(100)), ["b"]);
        deliveries.close_batch("b", false, Millis(100));
        assert_eq!((deliveries.open_batch("w1"), deliveries.next_batch_deadline()), (None, None));
        assert!(deliveries.awaits_write("b"), "sent once it is in storage");
        let mut held = delivery("h", "w1", 100);
        held.state = DeliveryState::Open;
        deliveries.add_open_batch(held);
        deliveries.close_batch("h", true, Millis(100));
        assert_eq!(deliveries.outbox().get("h").map(|d| d.state), Some(DeliveryState::Held));
        assert!(!deliveries.awaits_write("h"), "held, it waits for its webhook instead");
    }

    #[test]
    fn room_is_made_from_the_newest_of_the_webhook_furthest_over_its_share_never_from_what_must_stay() {
        let mut deliveries = Deliveries::default();
        for id in ["a1", "a2", "a3", "a4"] {
            deliveries.push(delivery(id, "w1", 0));
        }
        deliveries.push(delivery("b1", "w2", 0));
        deliveries.push(delivery("b2", "w2", 0));
        let mut test = delivery("t", "w1", 0);
        test.test = true;
        deliveries.push(test);
        start_attempt(&mut deliveries, "a4");
        let webhooks = || ["w1", "w2"].into_iter();
        assert_eq!(
            deliveries.room_victims(webhooks(), 1, 2),
            Some(vec!["a3".to_string(), "a2".to_string()]),
            "not the Test nor a4 in flight"
        );
        assert_eq!(deliveries.room_victims(webhooks(), 1, 4).map(|v| v.len()), Some(4), "then the other webhook over its share");
        assert_eq!(deliveries.room_victims(webhooks(), 1, 5), None, "all the room or none");
        assert_eq!(deliveries.room_victims(webhooks(), 9, 1), None, "no webhook over its share");
        assert_eq!(deliveries.outbox_share(1), MAX_OUTBOX / 3);
    }

    #[test]
    fn finishing_takes_the_delivery_out_of_its_outbox_page_and_writes_it_into_a_log_page() {
        let mut deliveries = Deliveries::default();
        for n in 0..3 {
            deliveries.push(delivery(&n.to_string(), "w1", 0));
        }
        assert_eq!(take(&mut deliveries).set.keys().collect::<Vec<_>>(), ["pending/0"], "one page for the three");
        deliveries.finish("1", DeliveryState::Delivered, None, Millis(1));
        deliveries.finish("2", DeliveryState::Failed, None, Millis(1));
        let changes = take(&mut deliveries);
        assert!(changes.remove.is_empty());
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["log/1", "pending/0"], "both in one log page");
        let left: Vec<Delivery> = serde_json::from_str(&changes.set["pending/0"]).unwrap();
        assert_eq!(left.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["0"], "the outbox page keeps the unfinished one");
        let page: Vec<Delivery> = serde_json::from_str(&changes.set["log/1"]).unwrap();
        assert_eq!(page.iter().map(|d| d.state).collect::<Vec<_>>(), [DeliveryState::Delivered, DeliveryState::Failed]);
        deliveries.edit_logged_when_loaded("1", |d| d.reply_action = Some("noted".into()));
        let again = take(&mut deliveries);
        assert_eq!(again.set.keys().collect::<Vec<_>>(), ["log/1"]);
        assert!(again.remove.is_empty(), "out of the outbox already");
    }

    #[test]
    fn a_logged_delivery_stored_under_its_outbox_key_is_paged_with_the_next_write() {
        let finished = Delivery { state: DeliveryState::Delivered, finished_at: Some(Millis(1)), ..delivery("a", "w1", 0) };
        let (mut deliveries, _) =
            Deliveries::load((Vec::new(), Vec::new(), vec!["a".into()]), (Vec::new(), true), vec![finished], BTreeMap::new());
        let changes = take(&mut deliveries);
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["log/a"]);
        assert_eq!(changes.remove, ["delivery/a"]);
    }

    #[test]
    fn an_attempt_stored_only_in_flight_joins_its_delivery_and_is_interrupted() {
        let mut started = delivery("a", "w1", 0);
        started.attempts.push(attempt("a.1"));
        let in_flight = BTreeMap::from([("a".to_string(), attempt("a.2")), ("b".to_string(), attempt("b.1"))]);
        let outbox = (vec![started, delivery("b", "w1", 0)], vec![("a".into(), vec!["a".into(), "b".into()])], Vec::new());
        let (mut deliveries, unfinished) = Deliveries::load(outbox, (Vec::new(), false), Vec::new(), in_flight);
        assert_eq!(unfinished[0].attempts.len(), 2);
        let interrupted: Vec<Option<String>> = unfinished.into_iter().map(|d| deliveries.restore(d)).collect();
        assert_eq!(interrupted, [Some("a".to_string()), Some("b".to_string())]);
        assert_eq!(take(&mut deliveries).set.keys().collect::<Vec<_>>(), ["inflight"], "the joined attempts leave it");
    }
}
