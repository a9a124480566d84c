//! Every delivery the engine keeps, and which of them storage has: the
//! outbox (unfinished deliveries, [`Outbox`]), the log (finished ones, the
//! newest [`LOG_CAPACITY`]), the attempts in flight, each batching
//! webhook's open batch, and the deliveries not yet known to be in storage;
//! with what a full outbox drops to make room ([`Deliveries::room_victims`]).
//!
//! Each delivery is stored under its own key, `delivery/<id>` while it is
//! in the outbox and `log/<id>` once it is logged, and the attempts in
//! flight under one more (`inflight`, see [`Key::InFlight`]). Every change
//! goes through a method here that marks the key it changes, so
//! [`Deliveries::take_changes`] knows what to write without being told.
//!
//! The log is read lazily: a start loads the outbox only, and the log is
//! asked for ([`Deliveries::wants_log`]) once something needs it; what is
//! logged before it arrives is kept and merged with it
//! ([`Deliveries::load_log`]).
//!
//! A delivery is in durable storage before its first attempt: one added
//! ([`Deliveries::await_write`]) is not put in line until the write batch
//! holding it is reported saved ([`Deliveries::saved`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use super::delivery::{Attempt, Delivery, DeliveryState, LoggedRequest};
use super::outbox::Outbox;
use super::state::Key;
use super::stored::Writes;
use super::tally::Tally;
use super::{AttemptId, LOG_CAPACITY, MAX_OUTBOX};
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
}

/// A change to a logged delivery that waits for the log to be read.
type LogEdit = Box<dyn FnOnce(&mut Delivery)>;

/// Changes to logged deliveries that wait for the log to be read, by id.
#[derive(Default)]
struct LogEdits(Vec<(String, LogEdit)>);

impl std::fmt::Debug for LogEdits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|(id, _)| id)).finish()
    }
}

/// The outbox, the log, the attempts in flight and what storage has of them.
#[derive(Debug, Default)]
pub(super) struct Deliveries {
    outbox: Outbox,
    /// The log, oldest first; until it is read ([`Deliveries::log_loaded`]),
    /// only the deliveries logged since the start.
    log: VecDeque<Delivery>,
    /// Whether the stored log is not read yet: `log` holds only what was
    /// logged since the start.
    log_unread: bool,
    /// Whether the log was asked for and has not arrived yet.
    log_asked: bool,
    /// Changes to logged deliveries that were not in memory, by id, made
    /// once the log is read.
    log_edits: LogEdits,
    /// Deliveries logged since the last batch whose `delivery/<id>` key
    /// may still be stored: removed as `log/<id>` is set.
    moved: HashSet<String>,
    in_flight: BTreeMap<AttemptId, InFlight>,
    next_attempt: u64,
    /// Whether the attempts in flight changed since the last batch.
    in_flight_changed: bool,
    /// Deliveries changed since the last batch, by id.
    changed: BTreeSet<String>,
    /// Deliveries trimmed from the log since then: their keys are removed,
    /// and `take_changes` need not look for them in the log.
    trimmed: HashSet<String>,
    /// Deliveries not yet known to be in storage, with the write batch
    /// that holds them (`None` until one does) and their webhook. They are
    /// not sent yet.
    not_durable: HashMap<String, (Option<u64>, String)>,
    /// How many of those each webhook has: it has work coming, so its
    /// in-flight share is kept for it while the write lands.
    unwritten: Tally,
    /// Each batching webhook's open batch, by webhook id (see [`super::batch`]).
    open_batches: BTreeMap<String, String>,
}

impl Deliveries {
    /// The deliveries as stored: the log (trimmed to its capacity), and the
    /// unfinished ones returned to be added one by one with
    /// [`Deliveries::restore`], each with the attempt recorded for it only
    /// under `inflight` (`in_flight`) joined to it.
    /// `log_unread` says whether `log` lacks the stored log; `misplaced` names
    /// the logged deliveries stored under `delivery/`, rewritten under `log/`.
    pub fn load(
        unfinished: Vec<Delivery>,
        log: Vec<Delivery>,
        log_unread: bool,
        misplaced: Vec<String>,
        mut in_flight: BTreeMap<String, Attempt>,
    ) -> (Deliveries, Vec<Delivery>) {
        let mut deliveries = Deliveries { log: log.into(), log_unread, in_flight_changed: !in_flight.is_empty(), ..Deliveries::default() };
        for id in misplaced {
            deliveries.changed.insert(id.clone());
            deliveries.moved.insert(id);
        }
        deliveries.trim_log();
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
        &self.log
    }

    /// Whether the whole log is in memory.
    pub fn log_loaded(&self) -> bool {
        !self.log_unread
    }

    /// Whether to ask the driver for the log, once: something was logged
    /// (it must be trimmed with the stored log) or waits to change a
    /// logged delivery that is not in memory.
    pub fn wants_log(&mut self) -> bool {
        let wanted = self.log_unread && !self.log_asked && (!self.log.is_empty() || !self.log_edits.0.is_empty());
        self.log_asked |= wanted;
        wanted
    }

    /// Asks for the log again with the next drain (the read failed).
    pub fn log_not_loaded(&mut self) {
        self.log_asked = false;
    }

    /// Merges the stored log (oldest first) with what was logged since the
    /// start, trims it and makes the changes that waited for it. Once only.
    pub fn load_log(&mut self, stored: Vec<Delivery>) {
        if !self.log_unread {
            return;
        }
        let since_start: HashSet<&str> = self.log.iter().map(|d| d.id.as_str()).collect();
        let mut log: Vec<Delivery> = stored.into_iter().filter(|d| !since_start.contains(d.id.as_str())).collect();
        log.extend(self.log.drain(..));
        super::state::sort_log(&mut log);
        self.log = log.into();
        (self.log_unread, self.log_asked) = (false, false);
        self.trim_log();
        for (id, edit) in std::mem::take(&mut self.log_edits.0) {
            if let Some(delivery) = self.edit_logged(&id) {
                edit(delivery);
            }
        }
    }

    /// Every delivery, newest first: unfinished, then the log.
    pub fn iter(&self) -> impl Iterator<Item = &Delivery> {
        self.outbox.iter().rev().chain(self.log.iter().rev())
    }

    /// The logged delivery `id`, looked for from the newest.
    pub fn logged(&self, id: &str) -> Option<&Delivery> {
        self.log.iter().rev().find(|d| d.id == id)
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

    /// Adds a new delivery, not yet in line.
    pub fn push(&mut self, delivery: Delivery) {
        mark(&mut self.changed, &delivery.id);
        self.outbox.push(delivery);
    }

    /// The unfinished delivery `id`, out of line, to change (see [`Outbox::get_mut`]).
    pub fn edit(&mut self, id: &str) -> Option<&mut Delivery> {
        let delivery = self.outbox.get_mut(id)?;
        mark(&mut self.changed, id);
        Some(delivery)
    }

    /// The logged delivery `id`, to change.
    pub fn edit_logged(&mut self, id: &str) -> Option<&mut Delivery> {
        let delivery = self.log.iter_mut().rev().find(|d| d.id == id)?;
        mark(&mut self.changed, id);
        Some(delivery)
    }

    /// Changes the logged delivery `id` with `edit`, now or, if it is not
    /// in memory because the log is not read yet, once it is.
    pub fn edit_logged_when_loaded(&mut self, id: &str, edit: impl FnOnce(&mut Delivery) + 'static) {
        let unread = self.log_unread;
        match self.edit_logged(id) {
            Some(delivery) => edit(delivery),
            None if unread => self.log_edits.0.push((id.to_string(), Box::new(edit))),
            None => {}
        }
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
        self.outbox.get_mut(id)?.attempts.push(attempt);
        self.next_attempt += 1;
        let attempt = AttemptId(self.next_attempt);
        self.in_flight.insert(attempt, InFlight { delivery_id: id.to_string(), request, redactor });
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
        self.moved.insert(delivery.id.clone());
        self.log_finished(delivery);
        self.log.back()
    }

    /// Logs a delivery that never entered the outbox (skipped, dropped, refused).
    pub fn log_finished(&mut self, delivery: Delivery) {
        mark(&mut self.changed, &delivery.id);
        self.log.push_back(delivery);
        self.trim_log();
    }

    /// Removes the unfinished delivery `id` without logging it: its events
    /// went on as other deliveries.
    pub fn discard(&mut self, id: &str) -> Option<Delivery> {
        let delivery = self.outbox.remove(id)?;
        mark(&mut self.changed, id);
        Some(delivery)
    }

    /// Drops the oldest logged deliveries past [`LOG_CAPACITY`]; not before
    /// the log is read, as what is stored counts too.
    fn trim_log(&mut self) {
        while !self.log_unread && self.log.len() > LOG_CAPACITY {
            if let Some(dropped) = self.log.pop_front() {
                self.trimmed.insert(dropped.id.clone());
                self.changed.insert(dropped.id);
            }
        }
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

    /// Delivery `id` is written (or removed) with the next batch as it is,
    /// under the key its state has (the write of a move failed: both keys).
    pub fn rewrite(&mut self, id: String) {
        if self.outbox.get(&id).is_none() {
            self.moved.insert(id.clone());
        }
        self.changed.insert(id);
    }

    /// The attempts in flight are written with the next batch as they are.
    pub fn rewrite_in_flight(&mut self) {
        self.in_flight_changed = true;
    }

    /// Adds what changed since the last batch to `writes`: the attempts in
    /// flight, and each changed delivery, set to its record or removed
    /// (trimmed from the log, or discarded).
    pub fn take_changes(&mut self, writes: &mut Writes) {
        if std::mem::take(&mut self.in_flight_changed) {
            writes.set(Key::InFlight, &self.attempts_in_flight());
        }
        let changed = std::mem::take(&mut self.changed);
        let mut moved_ids = std::mem::take(&mut self.moved);
        let logged = self.logged_among(&changed);
        for id in changed {
            let moved = moved_ids.remove(&id);
            if let Some(delivery) = self.outbox.get(&id) {
                writes.set(Key::Delivery(id), delivery);
            } else if let Some(delivery) = logged.get(id.as_str()) {
                writes.set(Key::Logged(id.clone()), *delivery);
                if moved {
                    writes.remove(Key::Delivery(id));
                }
            } else {
                // Gone: discarded from the outbox, or trimmed from the log
                // (with its `delivery/` key, if it moved since the last batch).
                let trimmed = self.trimmed.contains(&id);
                if moved || !trimmed {
                    writes.remove(Key::Delivery(id.clone()));
                }
                if moved || trimmed {
                    writes.remove(Key::Logged(id));
                }
            }
        }
        self.trimmed.clear();
    }

    /// The logged deliveries among `changed` that left the outbox, by id.
    /// Newest first, stopping once all are found (those trimmed from the
    /// log are not looked for, or every batch would scan the whole log once
    /// it is full): mostly the deliveries that just finished. Hashing every
    /// logged id instead was 15 % of a burst's instructions
    /// (tests/bench/burst.rs under callgrind), with a batch every few
    /// responses and 500 in the log.
    fn logged_among(&self, changed: &BTreeSet<String>) -> HashMap<&str, &Delivery> {
        let mut wanted: Vec<&str> =
            changed.iter().filter(|id| self.outbox.get(id).is_none() && !self.trimmed.contains(*id)).map(String::as_str).collect();
        // Sorted, so that cancelling a full outbox (10,000 ids at once)
        // costs a binary search per logged delivery, not a scan of them all.
        wanted.sort_unstable();
        let mut logged = HashMap::with_capacity(wanted.len());
        for delivery in self.log.iter().rev() {
            if logged.len() == wanted.len() {
                break;
            }
            if wanted.binary_search(&delivery.id.as_str()).is_ok() {
                logged.insert(delivery.id.as_str(), delivery);
            }
        }
        logged
    }

    /// The attempt each delivery has in flight, as [`Key::InFlight`] stores
    /// it. Deliveries cancelled meanwhile are in the log, not here.
    fn attempts_in_flight(&self) -> BTreeMap<&str, &Attempt> {
        let pairs = self.in_flight.values().filter_map(|attempt| self.outbox.get(&attempt.delivery_id));
        pairs.filter_map(|d| Some((d.id.as_str(), d.attempts.last()?))).collect()
    }
}

/// Adds `id` to `changed`, copying it only the first time: a response
/// changes its delivery several times on its way.
fn mark(changed: &mut BTreeSet<String>, id: &str) {
    if !changed.contains(id) {
        changed.insert(id.to_string());
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::engine::outbox::tests::delivery;
    use crate::engine::stored::Writes;
    use crate::engine::Changes;
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
        assert_eq!(take(&mut deliveries).set.keys().collect::<Vec<_>>(), ["delivery/a"]);
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
        let (request, redactor) = LoggedRequest::redacted(&sent, &Default::default());
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
    fn finishing_moves_the_key_to_the_log_which_trims_its_oldest_from_storage() {
        let mut deliveries = Deliveries::default();
        for n in 0..=LOG_CAPACITY {
            deliveries.push(delivery(&n.to_string(), "w1", 0));
            deliveries.finish(&n.to_string(), DeliveryState::Delivered, None, Millis(1));
        }
        let changes = take(&mut deliveries);
        assert_eq!(changes.set.len(), LOG_CAPACITY);
        assert!(changes.set["log/1"].contains("\"delivered\""));
        assert!(!changes.set.contains_key("delivery/1"));
        let removed: BTreeSet<&str> = changes.remove.iter().map(String::as_str).collect();
        assert!((0..=LOG_CAPACITY).all(|n| removed.contains(format!("delivery/{n}").as_str())), "moved out of the outbox's keys");
        assert!(removed.contains("log/0") && removed.len() == LOG_CAPACITY + 2, "trimmed from the log");
        assert_eq!(deliveries.iter().count(), LOG_CAPACITY);
        deliveries.edit_logged("1").unwrap().reply_action = Some("noted".into());
        let again = take(&mut deliveries);
        assert_eq!(again.set.keys().collect::<Vec<_>>(), ["log/1"]);
        assert!(again.remove.is_empty(), "moved already");
    }

    /// A delivery finished at `at`, as the log stores it.
    fn logged(id: &str, at: u64) -> Delivery {
        Delivery { state: DeliveryState::Delivered, finished_at: Some(Millis(at)), ..delivery(id, "w1", 0) }
    }

    #[test]
    fn a_start_without_the_log_asks_for_it_once_something_is_logged_and_trims_only_then() {
        let (mut deliveries, unfinished) = Deliveries::load(vec![delivery("new", "w1", 0)], Vec::new(), true, Vec::new(), BTreeMap::new());
        unfinished.into_iter().for_each(|d| drop(deliveries.restore(d)));
        assert!(!deliveries.wants_log(), "nothing needs the log yet");
        deliveries.finish("new", DeliveryState::Delivered, None, Millis(LOG_CAPACITY as u64 + 1));
        assert!(deliveries.wants_log());
        assert!(!deliveries.wants_log(), "asked once");
        assert!(take(&mut deliveries).remove.iter().all(|key| key.starts_with("delivery/")), "nothing trimmed before the log is read");
        let stored: Vec<Delivery> = (0..LOG_CAPACITY as u64).map(|n| logged(&format!("old{n}"), n)).collect();
        deliveries.load_log(stored);
        assert!(deliveries.log_loaded());
        let ids: Vec<&str> = deliveries.log().iter().map(|d| d.id.as_str()).collect();
        assert_eq!((ids.len(), ids[0], ids[LOG_CAPACITY - 1]), (LOG_CAPACITY, "old1", "new"), "merged by when each finished");
        assert_eq!(take(&mut deliveries).remove, ["log/old0"], "the oldest stored one trimmed");
    }

    #[test]
    fn a_read_log_that_failed_is_asked_for_again_and_a_second_read_changes_nothing() {
        let (mut deliveries, _) = Deliveries::load(Vec::new(), vec![logged("a", 1)], true, vec!["a".into()], BTreeMap::new());
        assert!(deliveries.wants_log(), "a delivery found under its old key is logged");
        deliveries.log_not_loaded();
        assert!(deliveries.wants_log(), "asked again");
        deliveries.load_log(vec![logged("a", 1), logged("b", 2)]);
        deliveries.load_log(vec![logged("c", 3)]);
        let ids: Vec<&str> = deliveries.log().iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"], "one copy of each; the second read ignored");
    }

    #[test]
    fn a_change_to_a_logged_delivery_older_than_the_start_waits_for_the_log() {
        let (mut deliveries, _) = Deliveries::load(Vec::new(), Vec::new(), true, Vec::new(), BTreeMap::new());
        deliveries.edit_logged_when_loaded("old", |d| d.reply_action = Some("noted".into()));
        assert!(deliveries.wants_log(), "a change waits for it");
        deliveries.load_log(vec![logged("old", 1)]);
        assert_eq!(deliveries.logged("old").and_then(|d| d.reply_action.as_deref()), Some("noted"));
        assert_eq!(take(&mut deliveries).set.keys().collect::<Vec<_>>(), ["log/old"], "and is written");
    }

    #[test]
    fn a_logged_delivery_stored_under_its_outbox_key_moves_to_the_log_with_the_next_write() {
        let (mut deliveries, _) = Deliveries::load(Vec::new(), vec![logged("a", 1)], false, vec!["a".into()], BTreeMap::new());
        let changes = take(&mut deliveries);
        assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["log/a"]);
        assert_eq!(changes.remove, ["delivery/a"]);
    }

    #[test]
    fn an_attempt_stored_only_in_flight_joins_its_delivery_and_is_interrupted() {
        let mut started = delivery("a", "w1", 0);
        started.attempts.push(attempt("a.1"));
        let in_flight = BTreeMap::from([("a".to_string(), attempt("a.2")), ("b".to_string(), attempt("b.1"))]);
        let (mut deliveries, unfinished) =
            Deliveries::load(vec![started, delivery("b", "w1", 0)], Vec::new(), false, Vec::new(), in_flight);
        assert_eq!(unfinished[0].attempts.len(), 2);
        let interrupted: Vec<Option<String>> = unfinished.into_iter().map(|d| deliveries.restore(d)).collect();
        assert_eq!(interrupted, [Some("a".to_string()), Some("b".to_string())]);
        assert_eq!(take(&mut deliveries).set.keys().collect::<Vec<_>>(), ["inflight"], "the joined attempts leave it");
    }
}
