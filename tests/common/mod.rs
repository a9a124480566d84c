//! What the scenario tests share: the engine driven by [`Engine::drive`],
//! the same drain `src/wasm.rs` runs, with a simulated clock that jumps to
//! the next wake-up (nothing sleeps) and a fake storage that keeps what the
//! engine writes, as the extension's store does. [`faults`] adds a world
//! around it that stops the worker, fails writes, misbehaves as a receiver
//! and changes the stored records as a writer that is not the background,
//! from a schedule.

pub mod faults;

use std::collections::BTreeMap;

use autohook::{
    answer_json, handle, hex_signature, reads_log, standard_signature, Answer, Badge, Changes, Driver, Engine, Key, Millis, Notice,
    Notification, Outcome, Output, Sealing, SecretKey, SendCommand, Sender, Snapshot, Stats, Transmit, WebhookInput,
};
use proptest::test_runner::{FailurePersistence, FileFailurePersistence};
use serde_json::{json, Value};

/// 2023-11-14 22:13:20 UTC: where simulated clocks start.
pub const START: Millis = Millis(1_700_000_000_000);

/// Sunday 2026-11-22 12:00:00 UTC: where the campaign tests' clocks start.
pub const NOON: Millis = Millis(1_795_348_800_000);

/// The fresh bytes a request gets (a pick's token, a generated or rotated
/// secret, an export's salt and nonce) unless a test picks its own.
pub const RANDOM: [u8; 32] = [9; 32];

/// The wire reply (`{ok, value | error}`) to `message` from `sender` at
/// `now`, with `random` as the request's fresh bytes: what a page gets. A
/// Test's reply, which the adapter gives once its delivery finished, is
/// `{"after": id}`.
pub fn ask(engine: &mut Engine, message: Value, sender: Sender, now: Millis, random: &[u8; 32]) -> Value {
    answer_json(handle(engine, message, sender, now, random).map(|answer| match answer {
        Answer::Now(value) => value,
        Answer::AfterDelivery(id) => json!({ "after": id }),
    }))
}

/// A response with status `code` and a short body, as receivers answer.
pub fn status(code: u16) -> Outcome {
    response(code, &format!("answer {code}"))
}

/// A response with status `code` and `body`.
pub fn response(code: u16, body: &str) -> Outcome {
    Outcome::Response { status: code, retry_after: None, body: body.into() }
}

/// The value of header `name` (in any case) in the request `transmit`.
pub fn header<'a>(transmit: &'a Transmit, name: &str) -> Option<&'a str> {
    transmit.request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Whether a receiver holding only `secret` accepts the request, as the
/// Standard Webhooks libraries do: any of the space-separated signatures.
pub fn verifies(transmit: &Transmit, secret: &str) -> bool {
    let key = SecretKey::parse(secret).unwrap();
    let timestamp = header(transmit, "webhook-timestamp").unwrap().parse().unwrap();
    let body = transmit.request.body.as_deref().unwrap().as_bytes();
    let expected = standard_signature(&key, header(transmit, "webhook-id").unwrap(), timestamp, body);
    header(transmit, "webhook-signature").is_some_and(|signatures| signatures.split(' ').any(|signature| signature == expected))
}

/// Whether the hex `X-AutoHook-Signature` is `secret`'s.
pub fn hex_verifies(transmit: &Transmit, secret: &str) -> bool {
    let body = transmit.request.body.as_deref().unwrap().as_bytes();
    header(transmit, "x-autohook-signature") == Some(hex_signature(&SecretKey::parse(secret).unwrap(), body).as_str())
}

/// The value of header `name` in a request as the message API shows it
/// (a preview): `headers` is a list of `[name, value]` pairs.
pub fn json_header<'a>(request: &'a Value, name: &str) -> Option<&'a str> {
    request["headers"].as_array()?.iter().find(|pair| pair[0] == name).and_then(|pair| pair[1].as_str())
}

/// Takes the engine's changes, applies them to `storage` (sets, then
/// removes, as the driver does) and reports the batch saved; whether there
/// was anything to write.
pub fn persist(engine: &mut Engine, storage: &mut BTreeMap<String, String>) -> bool {
    let changes = engine.take_changes();
    land(storage, &changes);
    engine.changes_saved(changes.batch);
    !changes.is_empty()
}

/// Applies `changes` to `storage` as the driver writes them: sets, then removes.
pub fn land(storage: &mut BTreeMap<String, String>, changes: &Changes) {
    storage.extend(changes.set.iter().map(|(key, text)| (key.clone(), text.clone())));
    for key in &changes.remove {
        storage.remove(key);
    }
}

/// What the browser's store hands a starting engine for `storage`: each
/// record as the shell stored it, sealed where the core asked for sealing
/// ([`Key::is_sealed`]) and opened again.
pub fn from_store(storage: &BTreeMap<String, String>) -> Snapshot {
    from_store_as(storage, |_| None)
}

/// [`from_store`], except for the records `tampered` names: another writer
/// left them, and the store hands them over as it says (in the clear where
/// the background seals, or sealed so that they do not open).
pub fn from_store_as(storage: &BTreeMap<String, String>, tampered: impl Fn(&str) -> Option<Sealing>) -> Snapshot {
    let sealing = |key: &str| match Key::parse(key).is_some_and(|key| key.is_sealed()) {
        true => Sealing::Opened,
        false => Sealing::Clear,
    };
    let handed = |key: &str| tampered(key).unwrap_or_else(|| sealing(key));
    let records = storage.iter().filter(|(key, _)| !is_logged(key));
    Snapshot::from_store(records.map(|(key, text)| (key.clone(), Value::String(text.clone()), handed(key))))
}

/// Whether the browser keeps `key` in the log's store, which a start does not read.
fn is_logged(key: &str) -> bool {
    Key::parse(key).is_some_and(|key| key.is_logged())
}

/// The log's records in `storage`, as the browser's store hands them over when the engine asks.
pub fn stored_log(storage: &BTreeMap<String, String>) -> impl Iterator<Item = (String, String)> + '_ {
    storage.iter().filter(|(key, _)| is_logged(key)).map(|(key, text)| (key.clone(), text.clone()))
}

/// Polls `engine` at `at` until it rests, every request timing out and
/// every campaign message typed: how the fuzz targets reach every output
/// after their input.
pub fn answer_everything(engine: &mut Engine, at: Millis) {
    loop {
        match engine.poll(at) {
            Output::Transmit(transmit) => engine.handle_response(transmit.attempt, Outcome::Timeout, at.plus(1)),
            Output::Type(command) => engine.campaign_sent(command.seq, Ok(command.text), at),
            // Their engines start from every stored key (`Snapshot::from_stored`), the log's too.
            Output::Notice(_) | Output::LoadLog => {}
            Output::Timeout(_) => break,
        }
    }
}

/// What one drain asked the driver to do.
#[derive(Debug, Default)]
pub struct Drained {
    /// Requests to send, in the order given.
    pub transmits: Vec<Transmit>,
    /// Campaign messages to type.
    pub typed: Vec<SendCommand>,
    /// Deliveries that reached a final state.
    pub finished: Vec<String>,
    /// The badge, if it changed.
    pub badge: Option<Badge>,
    /// Notifications to show.
    pub notified: Vec<Notification>,
    /// When to drain again.
    pub wake: Option<Millis>,
    /// Whether the engine asked for the log.
    pub log_asked: bool,
}

impl Driver for Drained {
    fn transmit(&mut self, transmit: Transmit) {
        self.transmits.push(transmit);
    }

    fn type_message(&mut self, command: SendCommand) {
        self.typed.push(command);
    }

    fn notice(&mut self, notice: Notice) {
        match notice {
            Notice::Finished { delivery_id } => self.finished.push(delivery_id),
            Notice::Badge(badge) => self.badge = Some(badge),
            Notice::Notify(notification) => self.notified.push(notification),
        }
    }

    fn load_log(&mut self) {
        self.log_asked = true;
    }

    fn wake_at(&mut self, at: Option<Millis>) {
        self.wake = at;
    }
}

/// An engine, a clock, and the storage the engine writes into.
pub struct Sim {
    pub engine: Engine,
    pub now: Millis,
    pub storage: BTreeMap<String, String>,
    /// Notifications drains asked for, until [`Sim::notifications`] takes them.
    pub notified: Vec<Notification>,
    /// Seeds each restarted engine differently, as fresh random bytes would.
    restarts: u64,
    /// Whether the engine asked for the log: handed over at the next
    /// drain, as the browser reads it after the writes under way.
    log_asked: bool,
}

impl Sim {
    /// A fresh profile at [`START`]; `seed` fills the engine's random seed.
    pub fn new(seed: u8) -> Sim {
        Sim::at(seed, START)
    }

    /// A fresh profile at `now`.
    pub fn at(seed: u8, now: Millis) -> Sim {
        Sim { engine: Engine::new([seed; 16]), now, storage: BTreeMap::new(), notified: Vec::new(), restarts: 0, log_asked: false }
    }

    /// One drain at the current time.
    pub fn drain(&mut self) -> Drained {
        if std::mem::take(&mut self.log_asked) {
            self.load_log();
        }
        let mut drained = Drained::default();
        self.engine.drive(self.now, &mut drained);
        self.notified.extend(drained.notified.iter().cloned());
        self.log_asked |= drained.log_asked;
        drained
    }

    /// Hands the engine the stored log, as the driver does when it asks or
    /// before a page's request that reads the log.
    pub fn load_log(&mut self) {
        self.engine.load_log(stored_log(&self.storage));
    }

    /// The notifications every drain since the last call asked for, after one more drain.
    pub fn notifications(&mut self) -> Vec<Notification> {
        self.drain();
        std::mem::take(&mut self.notified)
    }

    /// Writes what changed, as the driver does after each drain; whether
    /// there was anything to write.
    pub fn persist(&mut self) -> bool {
        persist(&mut self.engine, &mut self.storage)
    }

    /// A new engine from what was stored, as after the browser stopped the
    /// worker: whatever was not written is gone.
    pub fn restart_from_storage(&mut self) {
        self.restart_from(from_store(&self.storage));
    }

    /// A new engine from `snapshot`, as the browser's store handed it over.
    pub fn restart_from(&mut self, snapshot: Snapshot) {
        self.restarts += 1;
        // Never the first engine's seed (16 equal bytes): ids from a
        // repeated seed would repeat, which fresh random bytes never do.
        let mut seed = [0xA5; 16];
        seed[..8].copy_from_slice(&self.restarts.to_le_bytes());
        self.engine = Engine::restore(snapshot, seed, self.now);
        self.log_asked = false;
    }

    /// Writes what changed, then restarts from storage.
    pub fn restart(&mut self) {
        self.persist();
        self.restart_from_storage();
    }

    /// Writes what changed, rewrites the stored webhooks list through
    /// `change` (as another build or a damaged profile could leave it),
    /// then restarts from storage.
    pub fn edit_stored_webhooks(&mut self, change: impl FnOnce(&mut Vec<Value>)) {
        self.persist();
        let mut list: Vec<Value> = serde_json::from_str(&self.storage["webhooks"]).expect("a stored webhooks list");
        change(&mut list);
        self.storage.insert("webhooks".into(), serde_json::to_string(&list).expect("JSON"));
        self.restart_from_storage();
    }

    /// [`ask`] from an extension page, now, with [`RANDOM`].
    pub fn ask(&mut self, message: Value) -> Value {
        self.ask_as(Sender::ExtensionPage, message)
    }

    /// [`ask`] from `sender`, now, with [`RANDOM`]; the log is handed
    /// over first if the request reads it, as the driver does.
    pub fn ask_as(&mut self, sender: Sender, message: Value) -> Value {
        if reads_log(&message) && !self.engine.log_loaded() {
            self.load_log();
        }
        ask(&mut self.engine, message, sender, self.now, &RANDOM)
    }

    /// Adds a webhook from message-API input.
    pub fn webhook(&mut self, input: Value) -> String {
        let input: WebhookInput = serde_json::from_value(input).expect("webhook input");
        self.engine.create_webhook(input, self.now).expect("webhook created").id.clone()
    }

    /// The stats of webhook `id`.
    pub fn stats(&self, id: &str) -> Stats {
        self.engine.webhook(id).expect("a webhook with this id").stats.clone()
    }

    /// Raises `event` with a small message.
    pub fn emit(&mut self, event: &str) -> Vec<String> {
        self.engine.emit(event, json!({"message": "hi"}), self.now).expect("event accepted")
    }

    /// Writes what changed, then the requests due now, in the order given.
    pub fn transmits(&mut self) -> Vec<Transmit> {
        self.persist();
        self.drain().transmits
    }

    /// Feeds back what `transmit` got.
    pub fn respond(&mut self, transmit: &Transmit, outcome: Outcome) {
        self.engine.handle_response(transmit.attempt, outcome, self.now);
    }

    /// Jumps the clock to the next wake-up; false if nothing waits. Only
    /// when nothing is due now: what a drain starts must not be dropped.
    pub fn advance(&mut self) -> bool {
        let drained = self.drain();
        assert!(drained.transmits.is_empty() && drained.typed.is_empty(), "advanced past work due now: {drained:?}");
        match drained.wake {
            // A wake-up now with nothing to do would be a busy loop.
            Some(at) => {
                assert!(at > self.now, "woken at {at:?} for nothing at {:?}", self.now);
                self.now = at;
                true
            }
            None => false,
        }
    }

    /// Runs until `until` (or until nothing waits): writes, then types every
    /// campaign message and answers every request with `answer`, as the
    /// browser would; returns the texts typed, in order.
    pub fn run_until(&mut self, until: Millis, mut answer: impl FnMut(&Transmit) -> Outcome) -> Vec<String> {
        let mut typed = Vec::new();
        loop {
            self.persist();
            let drained = self.drain();
            if drained.transmits.is_empty() && drained.typed.is_empty() {
                match drained.wake {
                    Some(at) if at > self.now && at <= until => self.now = at,
                    _ => return typed,
                }
                continue;
            }
            for command in drained.typed {
                typed.push(command.text.clone());
                self.engine.campaign_sent(command.seq, Ok(command.text), self.now);
            }
            for transmit in drained.transmits {
                let outcome = answer(&transmit);
                self.respond(&transmit, outcome);
            }
        }
    }

    /// Runs until nothing waits, answering each request with `answer`;
    /// returns them with the time each was sent.
    pub fn run(&mut self, mut answer: impl FnMut(&Transmit) -> Outcome) -> Vec<(Millis, Transmit)> {
        let mut sent = Vec::new();
        loop {
            let transmits = self.transmits();
            // A change made while draining (a batch closed on its deadline)
            // is sent once written, as the adapter drains again after a write.
            if transmits.is_empty() && !self.persist() && !self.advance() {
                return sent;
            }
            for transmit in transmits {
                let outcome = answer(&transmit);
                self.respond(&transmit, outcome);
                sent.push((self.now, transmit));
            }
        }
    }
}

/// Where a property test saves a failing case and replays it from first:
/// beside its module (`tests/it/simulation.proptest-regressions`), where it
/// was when each module was a test file of its own. proptest's default
/// looks in a tree parallel to the crate's root, `tests/proptest-regressions/`
/// once the root is `tests/it/main.rs`, and would miss the files kept.
pub fn regressions() -> Option<Box<dyn FailurePersistence>> {
    Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions")))
}
