//! A world around the engine that misbehaves on cue, in the manner of
//! FoundationDB's and TigerBeetle's simulators: the browser stops the
//! worker at any step, storage writes fail, each webhook's receiver
//! refuses, hangs, answers late or answers what the schedule says (controls
//! for the campaign, a text to type, a huge Retry-After, garbage), the chat
//! tab closes, the clock jumps, and a writer that is not the background
//! changes the stored records while the worker is stopped. A [`Step`] list
//! drives it, so a schedule that breaks something prints as a list that
//! replays it.
//!
//! The world keeps what an observer outside the worker would see: every
//! request the adapter started (with whether its attempt was interrupted,
//! and what its answer did), every message the chat tab typed, the
//! deliveries whose ids a caller was given, which only happens after the
//! write holding them landed (the reply waits for it), and the records the
//! last start had to refuse.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use autohook::limits::{MAX_REPLY_CHARS, REPLY_BODY_BYTES};
use autohook::{
    Changes, Control, Delivery, DeliveryState, Engine, EngineError, Event, EventKind, HeldEvents, Key, Millis, Outcome, Sealing,
    SendFailure, Status, Transmit,
};
use serde_json::{json, Value};

use super::{from_store_as, land, Sim};

/// Webhooks the world starts with: one per retry and subscription shape.
pub const WEBHOOKS: usize = 3;
/// Where they send. Nothing goes anywhere else: a request elsewhere went
/// where a forged record pointed.
pub const URLS: [&str; WEBHOOKS] = ["https://a.test/", "https://b.test/", "https://c.test/"];
/// Where a writer's forged webhooks record points them.
pub const FORGED_URL: &str = "https://forged.test/";
/// What a writer's forged campaign would type.
pub const FORGED_PHRASE: &str = "forged";
/// The campaign's shortest interval: it never types faster, and replies
/// change it at most once per interval.
pub const INTERVAL_MS: u64 = 1000;
/// Messages the campaign types a day at most.
pub const DAILY_LIMIT: usize = 30;
/// How a text a receiver asks to type starts; the rest is the attempt it
/// answered (`dlv_….2`), so whatever is typed names its origin.
pub const REPLY_TEXT: &str = "reply to ";
/// The campaign's day, in UTC (the world gives it no offset).
const DAY_MS: u64 = 86_400_000;
/// How many of a record's latest values the writer can put back.
const KEPT_VALUES: usize = 4;
/// Events a page may raise (`test` only comes from the Test button).
const EVENTS: [&str; 4] = ["message_sent", "error", "milestone", "campaign_paused"];

/// One thing that happens to the world.
#[derive(Clone, Debug)]
pub enum Step {
    /// A page raises an event.
    Emit(u8),
    /// The Test button of a webhook.
    Test(u8),
    /// The log's Redeliver on one of the deliveries.
    Redeliver(u8),
    /// A webhook is turned off, or on again.
    Toggle(u8),
    /// A webhook's timeout changes (1 to 8 s).
    Retime(u8, u8),
    /// The user starts, pauses, resumes or stops the campaign.
    Campaign(Control),
    /// The user gives the campaign a scheduled start every ten minutes
    /// (`*/10 * * * *`, taken only while it is stopped), or removes it.
    Schedule(bool),
    /// Time passes: answers arrive and wake-ups fire on the way.
    Wait(u32),
    /// The system clock jumps by this many ms, forward or back, at once.
    Jump(i32),
    /// The browser stops the worker: whatever was not written is gone, and
    /// requests in flight reached the receiver but their answers are lost.
    Stop,
    /// The browser stops the worker as a write lands: the store has all of
    /// it (one transaction), and the engine never hears it landed.
    StopMidWrite,
    /// The next writes fail (a full disk, a sealing key out of reach).
    FailWrites(u8),
    /// How one webhook's receiver behaves from now on: each webhook has
    /// its own, so one can ask the campaign to pause while another asks it
    /// to resume.
    Receiver(u8, Mode),
    /// Whether the chat tab types what it is asked from now on; if not
    /// (it was closed), every send fails and the campaign pauses on it.
    Chat(bool),
    /// The browser stops the worker, another writer changes a record, and
    /// a new worker starts from what it finds.
    Tamper(Tamper),
}

/// A receiver's behaviour.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// Answers every request so.
    Answers(Answer),
    /// The connection is refused.
    Refuses,
    /// Never answers: every attempt times out.
    Hangs,
    /// Answers with a redirect, which is not followed.
    Redirects,
    /// Has an origin the extension may not reach: nothing is sent.
    Unreachable,
}

impl Mode {
    /// A receiver that answers 200 after `after` ms, asking nothing.
    fn healthy(after: u16) -> Mode {
        Mode::Answers(Answer { status: 200, after, retry_after: None, body: Body::Plain })
    }
}

/// How a receiver answers.
#[derive(Clone, Copy, Debug)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// After how many ms: past the webhook's timeout, that is a timeout.
    pub after: u16,
    /// Its `Retry-After` header, if any.
    pub retry_after: Option<&'static str>,
    /// What its body says.
    pub body: Body,
}

/// What an answer's body says. To a webhook that acts on replies, this is
/// what a receiver can ask of the campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// A word of thanks, as most receivers answer.
    Plain,
    /// `{"autohook": {…}}` asking for this change of the campaign
    /// (`Start`, which is not one a reply may ask for, as `"start"`) and,
    /// if `true`, a text to type ([`REPLY_TEXT`] and the attempt).
    Asks(Option<Control>, bool),
    /// Asks for a pause, a resume and a stop in turn, answer after answer
    /// of every receiver that answers so (and a text to type, if `true`):
    /// a workflow that answers whatever comes with whatever it likes.
    InTurn(bool),
    /// Something that cannot be acted on (see [`garbage`]).
    Garbage(u8),
}

/// What a writer that is not the background does to the stored records
/// (the `u8`s pick among those there are): what a bug, damage or anyone
/// with access to the extension's storage could do.
#[derive(Clone, Copy, Debug)]
pub enum Tamper {
    /// A record the background stores sealed arrives in the clear, written
    /// by the writer: its webhooks sending to [`FORGED_URL`], its campaign
    /// typing [`FORGED_PHRASE`].
    InTheClear(u8),
    /// A sealed record does not open: sealed under another key, for
    /// another record, or damaged.
    Unopenable(u8),
    /// A record stored in the clear is cut short (at the second `u8`'s
    /// share of its length).
    Truncated(u8, u8),
    /// An earlier value of a record still stored (up to [`KEPT_VALUES`]
    /// writes old) is written back. Not of one removed since: an outbox page
    /// is removed once its last delivery moves to the log, in the same
    /// transaction, and nothing but the background writes its store. An
    /// earlier value of a page still stored brings back its deliveries that
    /// finished since (the log, which has them, is not read at a start):
    /// they are sent again under the same webhook-id, at least once as
    /// after a stop, which `rewritten` allows.
    Replayed(u8, u8),
    /// A delivery's record is copied under another delivery's key.
    Copied(u8),
    /// A pending delivery of an event kind ([`EventKind::ALL`]) is forged
    /// for one of the webhooks or, one past the last, a webhook that does
    /// not exist; marked a Test if `test`.
    Forged {
        /// Which webhook.
        webhook: u8,
        /// Which event kind.
        kind: u8,
        /// Whether it claims to be a Test.
        test: bool,
    },
}

/// One request the adapter started.
#[derive(Clone, Debug)]
pub struct Sent {
    /// Its `X-AutoHook-Delivery` header: delivery id and attempt number.
    pub attempt: String,
    /// The delivery it belongs to.
    pub delivery_id: String,
    /// Where it went.
    pub url: String,
    /// What the receiver answered (or will), once decided.
    pub outcome: Outcome,
    /// The body the receiver chose, if it answered with one.
    pub body: Option<Body>,
    /// The worker stopped before its result was written: the attempt may
    /// rightly be made again.
    pub interrupted: bool,
    /// Its result is in storage.
    pub saved: bool,
    /// Its delivery was in storage when it started.
    pub durable: bool,
    /// Its delivery was a Test.
    pub test: bool,
    /// Its delivery carried an event an acted-on reply caused.
    pub reply_caused: bool,
    /// Its webhook acts on replies.
    pub acts_on_replies: bool,
    /// Why its webhook should not have got it, if so: it did not exist,
    /// was off, or did not subscribe to the delivery's event.
    pub unwanted: Option<String>,
    /// What its answer did, once it arrived.
    pub answered: Option<Answered>,
}

/// What an answer did when it arrived.
#[derive(Clone, Debug)]
pub struct Answered {
    /// Its delivery was unfinished: the engine had something to act on.
    pub reached: bool,
    /// The campaign's status before the answer, and after.
    pub campaign: (Status, Status),
    /// What the delivery's log entry said of the reply then.
    pub reply_action: Option<String>,
}

/// What happened to the campaign, in order, with times on a clock that
/// is never set back ([`World::steady`]).
#[derive(Clone, Debug)]
pub enum Mark {
    /// The chat tab typed this. `interrupted` if the worker stopped before
    /// its result was written: the campaign may have forgotten it, and
    /// type it (or its slot's next message) again.
    Typed {
        /// The text.
        text: String,
        /// When.
        at: Millis,
        /// Whether its result was lost.
        interrupted: bool,
    },
    /// The user started or resumed the campaign: it may type at once.
    UserGo,
    /// The answer to request `sent` changed the campaign's status to `to`.
    ReplyControl {
        /// Which request's answer.
        sent: usize,
        /// When.
        at: Millis,
        /// The status it left the campaign in.
        to: Status,
    },
    /// The system clock was set back.
    SetBack,
    /// The day changed: the day's count starts again.
    NewDay,
}

/// A record the last start had to refuse, and list as set aside.
#[derive(Clone, Debug)]
pub struct Refused {
    /// Its key.
    pub origin: String,
    /// Its text, as stored.
    pub text: String,
    /// Whether it is refused as a sealed record that did not open.
    pub unopenable: bool,
}

/// An answer on its way back.
struct InFlight {
    arrives: Millis,
    transmit: Transmit,
    sent: usize,
}

/// The engine, its storage and clock ([`Sim`]), the receivers, the chat
/// tab, the other writer and the faults in force.
pub struct World {
    pub sim: Sim,
    pub webhooks: Vec<String>,
    /// Every request started, in order.
    pub sent: Vec<Sent>,
    /// Deliveries a caller was told about.
    pub accepted: BTreeSet<String>,
    /// The campaign's history.
    pub campaign: Vec<Mark>,
    /// Records the last step's start had to refuse.
    pub refused: Vec<Refused>,
    /// The writer put back or destroyed records the background wrote
    /// (deliveries, attempts in flight, the campaign's count): from then
    /// on the engine may repeat what it did, as it no longer knows it did.
    /// Keeping the records where nothing else can write (IndexedDB) is
    /// what prevents that; the engine cannot tell.
    pub rewritten: bool,
    /// What the engine kept before the last [`Step::Stop`] and a start
    /// from storage lacked, if anything: a change that never reached
    /// storage, lost with the worker.
    pub forgotten: Option<String>,
    /// Sent entries whose result the engine has, not yet written.
    unsaved_results: Vec<usize>,
    /// Typed marks whose result the engine has, not yet written.
    unsaved_typed: Vec<usize>,
    /// Ids returned by inputs whose write has not landed yet.
    unanswered: Vec<String>,
    in_flight: Vec<InFlight>,
    /// Each webhook's receiver, in the order of `webhooks`.
    receivers: [Mode; WEBHOOKS],
    /// Whether the chat tab types what it is asked.
    chat_types: bool,
    failing_writes: u8,
    /// The last write failed: the engine holds changes storage lacks until
    /// a write lands.
    unwritten: bool,
    wake: Option<Millis>,
    /// How far the clock was set back in all.
    set_back: u64,
    /// The day the last drain saw.
    day: u64,
    /// The latest values the background wrote, by key: what the writer
    /// can put back.
    written: BTreeMap<String, VecDeque<String>>,
    /// Records the writer left, with how the store hands each over, until
    /// the background writes its key again.
    handed: BTreeMap<String, Sealing>,
    /// Records the writer made, for fresh keys.
    forgeries: u32,
    /// Answers given in turn ([`Body::InTurn`]).
    turns: usize,
}

impl World {
    /// Three webhooks (default retries, acting on replies; no retries and
    /// only errors; a slow one acting on replies) and a campaign running
    /// in a chat tab.
    pub fn new() -> World {
        let mut sim = Sim::new(11);
        let webhooks = vec![
            sim.webhook(json!({"url": URLS[0], "actOnReplies": true})),
            sim.webhook(json!({"url": URLS[1], "events": ["error", "milestone", "test"], "retrySchedule": []})),
            sim.webhook(json!({"url": URLS[2], "timeoutMs": 2000, "retrySchedule": [500, 60_000], "actOnReplies": true})),
        ];
        let selectors = serde_json::from_value(json!({"input": "#msg"})).expect("selectors");
        sim.engine.set_campaign_target(4, "https://chat.test/room", selectors).expect("a chat target");
        let campaign = json!({"phrases": ["a", "b", "c"], "intervalMinSeconds": INTERVAL_MS / 1000, "intervalMaxSeconds": 5,
            "dailyLimit": DAILY_LIMIT});
        sim.engine.configure_campaign(serde_json::from_value(campaign).expect("campaign settings"), sim.now).expect("a campaign");
        sim.engine.control_campaign(Control::Start, sim.now).expect("a campaign ready to start");
        let day = sim.now.0 / DAY_MS;
        let mut world = World {
            sim,
            webhooks,
            sent: Vec::new(),
            accepted: BTreeSet::new(),
            campaign: Vec::new(),
            refused: Vec::new(),
            rewritten: false,
            forgotten: None,
            unsaved_results: Vec::new(),
            unsaved_typed: Vec::new(),
            unanswered: Vec::new(),
            in_flight: Vec::new(),
            receivers: [Mode::healthy(50); WEBHOOKS],
            chat_types: true,
            failing_writes: 0,
            unwritten: false,
            wake: None,
            set_back: 0,
            day,
            written: BTreeMap::new(),
            handed: BTreeMap::new(),
            forgeries: 0,
            turns: 0,
        };
        world.tick();
        world
    }

    /// Carries out one step, then runs the driver's pass: drain, start
    /// what it asks for, write.
    pub fn step(&mut self, step: &Step) {
        let now = self.sim.now;
        self.refused.clear();
        self.forgotten = None;
        match *step {
            Step::Emit(which) => {
                let event = EVENTS[usize::from(which) % EVENTS.len()];
                let result = self.sim.engine.emit(event, json!({"message": "hi", "n": which}), now);
                self.answer(result);
            }
            Step::Test(which) => {
                let id = self.webhook(which);
                let result = self.sim.engine.test(&id, now).map(|id| vec![id]);
                self.answer(result);
            }
            Step::Redeliver(which) => {
                let ids: Vec<String> = self.sim.engine.deliveries().map(|d| d.id.clone()).collect();
                if let Some(id) = ids.get(usize::from(which) % ids.len().max(1)) {
                    let result = self.sim.engine.redeliver(id, now).map(|id| vec![id]);
                    self.answer(result);
                }
            }
            // A webhook whose record the writer spoiled is gone: nothing to change.
            Step::Toggle(which) => {
                let id = self.webhook(which);
                if let Ok(webhook) = self.sim.engine.webhook(&id) {
                    let input = serde_json::from_value(json!({"enabled": !webhook.config.enabled()})).expect("input");
                    self.sim.engine.update_webhook(&id, input, now).expect("a valid change");
                }
            }
            Step::Retime(which, seconds) => {
                let id = self.webhook(which);
                if self.sim.engine.webhook(&id).is_ok() {
                    let input = json!({"timeoutMs": 1000 * (1 + u64::from(seconds % 8))});
                    self.sim.engine.update_webhook(&id, serde_json::from_value(input).expect("input"), now).expect("a valid change");
                }
            }
            // Refused when the campaign is not in a state to take it.
            Step::Campaign(control) => {
                let obeyed = self.sim.engine.control_campaign(control, now).is_ok();
                if obeyed && matches!(control, Control::Start | Control::Resume) {
                    self.campaign.push(Mark::UserGo);
                }
            }
            Step::Schedule(on) => {
                let cron = if on { "*/10 * * * *" } else { "" };
                let input = serde_json::from_value(json!({"schedule": {"cron": cron}})).expect("campaign settings");
                self.sim.engine.configure_campaign(input, now).expect("a valid schedule");
            }
            Step::Wait(ms) => return self.wait(ms),
            Step::Jump(ms) => {
                if ms < 0 {
                    self.set_back += u64::from(ms.unsigned_abs());
                    self.campaign.push(Mark::SetBack);
                }
                self.sim.now = Millis(now.0.saturating_add_signed(i64::from(ms)));
            }
            Step::Stop => {
                let kept = self.at_rest().then(|| kept_state(&self.sim.engine));
                self.stop();
                // What the stopped engine kept is compared with all that is stored, the log too.
                self.sim.load_log();
                self.forgotten = kept.and_then(|kept| forgotten(&kept, &kept_state(&self.sim.engine)));
                return self.tick();
            }
            Step::StopMidWrite => {
                let changes = self.sim.engine.take_changes();
                self.land(&changes);
                self.stop();
                return self.tick();
            }
            Step::FailWrites(count) => self.failing_writes = count % 4,
            Step::Receiver(which, mode) => self.receivers[usize::from(which) % WEBHOOKS] = mode,
            Step::Chat(types) => self.chat_types = types,
            Step::Tamper(tamper) => {
                self.tamper(tamper);
                self.stop();
                return self.tick();
            }
        }
        self.tick();
    }

    /// Heals every fault, then lets time pass until nothing waits; false
    /// if the engine still had something to do after a simulated week.
    pub fn settle(&mut self) -> bool {
        self.receivers = [Mode::healthy(10); WEBHOOKS];
        self.chat_types = true;
        self.failing_writes = 0;
        let _ = self.sim.engine.control_campaign(Control::Stop, self.sim.now);
        let week = self.sim.now.plus(7 * 24 * 3_600_000);
        loop {
            // A webhook its failures turned off holds its events (a retry
            // in flight joins them when it fails): the user turns it on again.
            let held: Vec<String> = self.webhooks.iter().filter(|id| self.sim.engine.held_count(id) > 0).cloned().collect();
            for id in held {
                let _ = self.sim.engine.set_webhook_enabled(&id, true, HeldEvents::Deliver, self.sim.now);
            }
            self.tick();
            if self.wake.is_none() && self.in_flight.is_empty() {
                return true;
            }
            if self.sim.now > week {
                return false;
            }
            self.wait(3_600_000);
        }
    }

    /// Now on a clock that only goes forward: the system clock with every
    /// time it was set back added again. Gaps on it are never shorter than
    /// the engine saw them, and no longer than time passed and the clock
    /// was set forward.
    pub fn steady(&self) -> Millis {
        self.sim.now.plus(self.set_back)
    }

    /// Whether the driver is at rest: its last write landed and no request
    /// awaits an answer (a start counts those as interrupted, as it must).
    fn at_rest(&self) -> bool {
        !self.unwritten && self.in_flight.is_empty()
    }

    fn webhook(&self, which: u8) -> String {
        self.webhooks[usize::from(which) % WEBHOOKS].clone()
    }

    /// An input's delivery ids reach its caller only with the reply, after
    /// the write holding them (see `answer` in `src/wasm.rs`).
    fn answer(&mut self, result: Result<Vec<String>, EngineError>) {
        if let Ok(ids) = result {
            self.unanswered.extend(ids);
        }
    }

    /// Time passes by `ms`: in order, answers arrive and wake-ups fire.
    fn wait(&mut self, ms: u32) {
        let until = self.sim.now.plus(u64::from(ms));
        let mut passes_at_this_time = 0;
        loop {
            let answer = self.in_flight.iter().map(|f| f.arrives).min();
            let Some(at) = answer.into_iter().chain(self.wake).min().filter(|at| *at <= until) else { break };
            passes_at_this_time = if at > self.sim.now { 0 } else { passes_at_this_time + 1 };
            assert!(passes_at_this_time < 100, "woken again and again at {:?} with nothing to do", self.sim.now);
            self.sim.now = self.sim.now.max(at);
            let now = self.sim.now;
            let (arrived, waiting) = std::mem::take(&mut self.in_flight).into_iter().partition(|f| f.arrives <= now);
            self.in_flight = waiting;
            for answer in arrived {
                self.arrive(answer, now);
            }
            self.tick();
        }
        self.sim.now = self.sim.now.max(until);
        self.tick();
    }

    /// The answer to a request reaches the engine; what it did is noted.
    fn arrive(&mut self, answer: InFlight, now: Millis) {
        let engine = &mut self.sim.engine;
        let delivery_id = &answer.transmit.delivery_id;
        let reached = engine.delivery(delivery_id).is_ok_and(|d| d.state.is_unfinished());
        let before = engine.campaign().status().clone();
        engine.handle_response(answer.transmit.attempt, self.sent[answer.sent].outcome.clone(), now);
        let after = engine.campaign().status().clone();
        let reply_action = engine.delivery(delivery_id).ok().and_then(|d| d.reply_action.clone());
        if before != after {
            self.campaign.push(Mark::ReplyControl { sent: answer.sent, at: self.steady(), to: after.clone() });
        }
        self.sent[answer.sent].answered = Some(Answered { reached, campaign: (before, after), reply_action });
        self.unsaved_results.push(answer.sent);
    }

    /// The browser stops the worker and a new one starts from storage, as
    /// the store hands it over.
    fn stop(&mut self) {
        for in_flight in std::mem::take(&mut self.in_flight) {
            self.sent[in_flight.sent].interrupted = true;
        }
        for sent in std::mem::take(&mut self.unsaved_results) {
            self.sent[sent].interrupted = true;
        }
        for typed in std::mem::take(&mut self.unsaved_typed) {
            if let Mark::Typed { interrupted, .. } = &mut self.campaign[typed] {
                *interrupted = true;
            }
        }
        // Their callers got no reply.
        self.unanswered.clear();
        let snapshot = from_store_as(&self.sim.storage, |key| self.handed.get(key).copied());
        self.sim.restart_from(snapshot);
    }

    /// The driver's passes until it rests: each drains the engine, starts
    /// the requests and types the campaign's messages it asks for, then
    /// writes; a write that lands can free deliveries to send, so the
    /// browser adapter drains again after it, and so does this.
    fn tick(&mut self) {
        for _ in 0..100 {
            let now = self.sim.now;
            if now.0 / DAY_MS != self.day {
                self.day = now.0 / DAY_MS;
                self.campaign.push(Mark::NewDay);
            }
            let drained = self.sim.drain();
            self.wake = drained.wake;
            let idle = drained.transmits.is_empty() && drained.typed.is_empty();
            for transmit in drained.transmits {
                self.start(transmit, now);
            }
            for command in drained.typed {
                if !self.chat_types {
                    self.sim.engine.campaign_sent(command.seq, Err(SendFailure::Failed("the chat tab is closed".into())), now);
                    continue;
                }
                self.campaign.push(Mark::Typed { text: command.text.clone(), at: self.steady(), interrupted: false });
                self.unsaved_typed.push(self.campaign.len() - 1);
                self.sim.engine.campaign_sent(command.seq, Ok(command.text), now);
            }
            if !self.write() && idle {
                return;
            }
        }
        panic!("the driver never came to rest at {:?}", self.sim.now);
    }

    /// The receiver gets `transmit` (unless refused) and will answer.
    fn start(&mut self, transmit: Transmit, now: Millis) {
        let engine = &self.sim.engine;
        let delivery = engine.delivery(&transmit.delivery_id).expect("a request's delivery is in the outbox");
        let webhook = engine.webhook(&delivery.webhook_id).ok();
        let events = || std::iter::once(&delivery.event).chain(&delivery.batch);
        let unwanted = match webhook {
            None => Some("its webhook does not exist".to_string()),
            // A Test reaches its webhook whatever its switches say.
            Some(_) if delivery.test && events().all(|e| e.kind == EventKind::Test) => None,
            Some(webhook) if !webhook.config.enabled() => Some("its webhook is off".into()),
            Some(webhook) => events()
                .find(|e| !webhook.config.valid().is_ok_and(|c| c.wants(e.kind)))
                .map(|e| format!("its webhook does not subscribe to {}", e.kind.as_str())),
        };
        let acts_on_replies = webhook.is_some_and(|w| w.config.valid().is_ok_and(|c| c.act_on_replies));
        let (test, reply_caused) = (delivery.test, events().any(|e| e.cause.replier().is_some()));
        let header = transmit.request.headers.iter().find(|(name, _)| name == "X-AutoHook-Delivery");
        let attempt = header.map(|(_, value)| value.clone()).expect("every request names its delivery");
        // A webhook the world does not know (a forged record's) reaches the first receiver.
        let mut receiver = self.receivers[self.webhooks.iter().position(|id| *id == delivery.webhook_id).unwrap_or(0)];
        if let Mode::Answers(Answer { body, .. }) = &mut receiver {
            if let Body::InTurn(reply) = *body {
                self.turns += 1;
                *body = Body::Asks(Some([Control::Pause, Control::Resume, Control::Stop][self.turns % 3]), reply);
            }
        }
        let (outcome, body) = outcome(receiver, &transmit, &attempt);
        let delay = match (&outcome, receiver) {
            (Outcome::Timeout, _) => transmit.timeout_ms,
            (Outcome::Response { .. }, Mode::Answers(answer)) => u64::from(answer.after),
            _ => 0,
        };
        self.sent.push(Sent {
            attempt,
            delivery_id: transmit.delivery_id.clone(),
            url: transmit.request.url.clone(),
            outcome,
            body,
            interrupted: false,
            saved: false,
            durable: self.is_stored(&transmit.delivery_id),
            test,
            reply_caused,
            acts_on_replies,
            unwanted,
            answered: None,
        });
        self.in_flight.push(InFlight { arrives: now.plus(delay), transmit, sent: self.sent.len() - 1 });
    }

    /// Whether storage holds delivery `id`: in an outbox page, or under
    /// its own key as earlier versions stored it.
    fn is_stored(&self, id: &str) -> bool {
        let entry = format!("\"id\":\"{id}\"");
        let in_a_page = |(key, text): (&String, &String)| matches!(Key::parse(key), Some(Key::OutboxPage(_))) && text.contains(&entry);
        self.sim.storage.contains_key(&format!("delivery/{id}")) || self.sim.storage.iter().any(in_a_page)
    }

    /// The driver's write of everything changed: it lands, or fails and
    /// the engine takes it back. Whether anything landed.
    fn write(&mut self) -> bool {
        let changes = self.sim.engine.take_changes();
        self.unwritten = self.failing_writes > 0;
        if self.failing_writes > 0 {
            self.failing_writes -= 1;
            self.sim.engine.changes_failed(changes);
            // Their callers are answered with an error: not accepted.
            self.unanswered.clear();
            return false;
        }
        self.land(&changes);
        self.sim.engine.changes_saved(changes.batch);
        self.accepted.extend(std::mem::take(&mut self.unanswered));
        for sent in std::mem::take(&mut self.unsaved_results) {
            self.sent[sent].saved = true;
        }
        self.unsaved_typed.clear();
        !changes.is_empty()
    }

    /// The background's `changes` reach storage: what it sets replaces
    /// whatever the writer left there, and joins the values it can put back.
    fn land(&mut self, changes: &Changes) {
        for (key, text) in &changes.set {
            let values = self.written.entry(key.clone()).or_default();
            values.push_back(text.clone());
            if values.len() > KEPT_VALUES {
                values.pop_front();
            }
        }
        for key in changes.set.keys().chain(&changes.remove) {
            self.handed.remove(key);
        }
        land(&mut self.sim.storage, changes);
    }

    /// The other writer's change to storage, made while no worker runs.
    fn tamper(&mut self, tamper: Tamper) {
        let storage = &self.sim.storage;
        let stored = |sealed: bool| -> Vec<String> {
            storage.keys().filter(|key| Key::parse(key).is_some_and(|key| key.is_sealed() == sealed)).cloned().collect()
        };
        match tamper {
            Tamper::InTheClear(which) => {
                let Some(key) = pick(stored(true), which) else { return };
                let text = forge(&key, &storage[&key]);
                self.hand_over(key, text, Sealing::Clear, Some(false));
            }
            Tamper::Unopenable(which) => {
                let Some(key) = pick(stored(true), which) else { return };
                let text = storage[&key].clone();
                self.hand_over(key, text, Sealing::Unopenable, Some(true));
            }
            Tamper::Truncated(which, share) => {
                // An object or a list: no part of one is JSON.
                let whole = stored(false).into_iter().filter(|key| storage[key].starts_with(['{', '[']));
                let Some(key) = pick(whole.collect(), which) else { return };
                let text = &storage[&key];
                let text = cut(text, text.len() * usize::from(share) / 256);
                self.rewritten |= matches!(Key::parse(&key), Some(Key::Delivery(_) | Key::OutboxPage(_) | Key::LogPage(_) | Key::InFlight));
                self.hand_over(key, text, Sealing::Clear, Some(false));
            }
            Tamper::Replayed(which, age) => {
                let replayable = |(key, values): &(&String, &VecDeque<String>)| values.len() > 1 && storage.contains_key(*key);
                let older: Vec<String> = self.written.iter().filter(replayable).map(|(key, _)| key.clone()).collect();
                let Some(key) = pick(older, which) else { return };
                let values = &self.written[&key];
                let text = values[usize::from(age) % (values.len() - 1)].clone();
                // Sealed by the background, it opens: a sealed value is bound to its record's name, not to when it was written.
                self.handed.remove(&key);
                self.sim.storage.insert(key, text);
                self.rewritten = true;
            }
            Tamper::Copied(which) => {
                // A delivery from a page, under a key of its own that is another delivery's.
                let pages = stored(false).into_iter().filter(|key| matches!(Key::parse(key), Some(Key::OutboxPage(_))));
                let Some(key) = pick(pages.collect(), which) else { return };
                let Ok(page) = serde_json::from_str::<Vec<Value>>(&storage[&key]) else { return };
                let Some(text) = page.first().map(Value::to_string) else { return };
                self.forgeries += 1;
                self.hand_over(format!("delivery/dlv_copy{}", self.forgeries), text, Sealing::Clear, Some(false));
            }
            Tamper::Forged { webhook, kind, test } => {
                let ids: Vec<String> = self.sim.engine.webhooks().iter().map(|w| w.id.clone()).chain(["wh_gone".into()]).collect();
                let webhook_id = pick(ids, webhook).expect("at least the one that does not exist");
                let kind = EventKind::ALL[usize::from(kind) % EventKind::ALL.len()];
                self.forgeries += 1;
                let (id, now) = (format!("dlv_forged{}", self.forgeries), self.sim.now);
                let event = Event::new(format!("msg_forged{}", self.forgeries), kind, now, json!({"message": FORGED_PHRASE}));
                let delivery = Delivery {
                    id: id.clone(),
                    webhook_id,
                    webhook_name: "forged".into(),
                    event,
                    created_at: now,
                    state: DeliveryState::Pending,
                    finished_at: None,
                    next_at: now,
                    test,
                    attempts: Vec::new(),
                    request: None,
                    reason: None,
                    batch: Vec::new(),
                    reply_action: None,
                };
                let text = serde_json::to_string(&delivery).expect("a delivery serializes");
                self.hand_over(format!("delivery/{id}"), text, Sealing::Clear, None);
            }
        }
    }

    /// Stores `text` under `key` as the writer does, for the store to hand
    /// over with `sealing`. `refused`: the next start must set it aside
    /// (as a record that did not open, if `Some(true)`).
    fn hand_over(&mut self, key: String, text: String, sealing: Sealing, refused: Option<bool>) {
        if let Some(unopenable) = refused {
            self.refused.push(Refused { origin: key.clone(), text: text.clone(), unopenable });
        }
        self.sim.storage.insert(key.clone(), text);
        self.handed.insert(key, sealing);
    }
}

impl Body {
    /// The body's text, answering attempt `attempt`.
    fn text(self, attempt: &str) -> String {
        match self {
            Body::Plain => "thanks".into(),
            Body::Asks(control, reply) => {
                let mut asked = serde_json::Map::new();
                if let Some(control) = control {
                    let word = match control {
                        Control::Start => "start",
                        Control::Pause => "pause",
                        Control::Resume => "resume",
                        Control::Stop => "stop",
                    };
                    asked.insert("campaign".into(), word.into());
                }
                if reply {
                    asked.insert("reply".into(), format!("{REPLY_TEXT}{attempt}").into());
                }
                json!({ "autohook": asked }).to_string()
            }
            Body::Garbage(which) => garbage(which),
            Body::InTurn(_) => unreachable!("`World::start` answers with the control of its turn"),
        }
    }
}

/// What a receiver behaving as `mode` does with `transmit`, attempt
/// `attempt`, and the body it chose if it answers.
fn outcome(mode: Mode, transmit: &Transmit, attempt: &str) -> (Outcome, Option<Body>) {
    let outcome = match mode {
        Mode::Refuses => Outcome::NetworkError { message: "connection refused".into() },
        Mode::Hangs => Outcome::Timeout,
        Mode::Redirects => Outcome::Redirect { status: None, location: None },
        Mode::Unreachable => Outcome::PermissionMissing { origin: "https://a.test".into() },
        Mode::Answers(answer) if u64::from(answer.after) >= transmit.timeout_ms => Outcome::Timeout,
        Mode::Answers(answer) => {
            // The adapter reads no more of a body than this.
            let body = cut(&answer.body.text(attempt), transmit.response_bytes);
            let retry_after = answer.retry_after.map(String::from);
            return (Outcome::Response { status: answer.status, retry_after, body }, Some(answer.body));
        }
    };
    (outcome, None)
}

/// A body that cannot be acted on, each for another reason: not JSON, JSON
/// cut short, `autohook` not an object, nested past the parser's limit,
/// longer than what is read (its control past the cut), a reply too long
/// with keys that are not AutoHook's.
fn garbage(which: u8) -> String {
    match which % 6 {
        0 => "OK".into(),
        1 => r#"{"autohook": {"campaign": "sto"#.into(),
        2 => r#"{"autohook": "stop"}"#.into(),
        3 => format!(r#"{{"autohook": {{"campaign": {}{}}}}}"#, "[".repeat(200), "]".repeat(200)),
        4 => format!(r#"{{"pad": "{}", "autohook": {{"campaign": "stop"}}}}"#, "x".repeat(REPLY_BODY_BYTES)),
        _ => format!(r#"{{"autohook": {{"reply": "{}", "delete": true}}}}"#, "a".repeat(MAX_REPLY_CHARS + 1)),
    }
}

/// The writer's own version of the sealed record `key`, in the clear: its
/// webhooks all sending to [`FORGED_URL`], its campaign typing
/// [`FORGED_PHRASE`]; another record as it was.
fn forge(key: &str, text: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(text) else { return text.to_string() };
    match Key::parse(key) {
        Some(Key::Webhooks) => value.as_array_mut().into_iter().flatten().for_each(|webhook| webhook["url"] = json!(FORGED_URL)),
        Some(Key::Campaign) => value["settings"]["phrases"] = json!([FORGED_PHRASE]),
        _ => {}
    }
    value.to_string()
}

/// The `which`th of `keys`, round and round.
fn pick(keys: Vec<String>, which: u8) -> Option<String> {
    let count = keys.len();
    keys.into_iter().nth(usize::from(which) % count.max(1))
}

/// At most `bytes` bytes of `text`, cut on a character boundary.
fn cut(text: &str, bytes: usize) -> String {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// What an engine keeps that a stop must not lose, part by part, as JSON:
/// global settings, webhooks (settings, stats, health, rotated secrets),
/// deliveries with their attempts (by id: the log's order among those
/// finished in the same millisecond is not stored), the campaign, the
/// badge and the set-aside records.
fn kept_state(engine: &Engine) -> [(&'static str, String); 6] {
    fn json(value: &impl serde::Serialize) -> String {
        serde_json::to_string(value).expect("engine state serializes")
    }
    let deliveries: BTreeMap<&str, &Delivery> = engine.deliveries().map(|d| (d.id.as_str(), d)).collect();
    [
        ("settings", json(engine.settings())),
        ("webhooks", json(&engine.webhooks())),
        ("deliveries", json(&deliveries)),
        ("campaign", json(engine.campaign())),
        ("badge", json(&engine.badge())),
        ("set-aside records", json(&engine.unreadable().collect::<Vec<_>>())),
    ]
}

/// The first part `before` kept that `after` lacks, described.
fn forgotten(before: &[(&str, String); 6], after: &[(&str, String); 6]) -> Option<String> {
    before.iter().zip(after).find(|(kept, found)| kept.1 != found.1).map(|((what, kept), (_, found))| {
        format!("the {what} a start from storage found differ from what the stopped engine kept:\n  kept:  {kept}\n  found: {found}")
    })
}
