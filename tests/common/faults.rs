//! A world around the engine that misbehaves on cue, in the manner of
//! FoundationDB's and TigerBeetle's simulators: the browser stops the
//! worker at any step, storage writes fail, the receiver refuses, hangs or
//! answers late, and the clock jumps. A [`Step`] list drives it, so a
//! schedule that breaks something prints as a list that replays it.
//!
//! The world keeps what an observer outside the worker would see: every
//! request the adapter started (with whether its attempt was interrupted),
//! and the deliveries whose ids a caller was given, which only happens
//! after the write holding them landed (the reply waits for it).

use std::collections::BTreeSet;

use autohook::{Control, EngineError, HeldEvents, Millis, Outcome, Transmit};
use serde_json::json;

use super::{status, Sim};

/// Webhooks the world starts with: one per retry and subscription shape.
pub const WEBHOOKS: usize = 3;
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
    /// Time passes: answers arrive and wake-ups fire on the way.
    Wait(u32),
    /// The system clock jumps by this many ms, forward or back, at once.
    Jump(i32),
    /// The browser stops the worker: whatever was not written is gone, and
    /// requests in flight reached the receiver but their answers are lost.
    Stop,
    /// The browser stops the worker in the middle of a write: its values
    /// are set but its removals never made, and the engine never hears it
    /// landed.
    StopMidWrite,
    /// The next writes fail (a full disk, a sealing key out of reach).
    FailWrites(u8),
    /// How the receiver behaves from now on.
    Receiver(Mode),
}

/// A receiver's behaviour.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// Answers with this status after this many ms; past the webhook's
    /// timeout that is a timeout.
    Answers(u16, u16),
    /// The connection is refused.
    Refuses,
    /// Never answers: every attempt times out.
    Hangs,
    /// Answers with a redirect, which is not followed.
    Redirects,
    /// Has an origin the extension may not reach: nothing is sent.
    Unreachable,
}

/// One request the adapter started.
#[derive(Clone, Debug)]
pub struct Sent {
    /// Its `X-AutoHook-Delivery` header: delivery id and attempt number.
    pub attempt: String,
    /// The delivery it belongs to.
    pub delivery_id: String,
    /// What the receiver answered (or will), once decided.
    pub outcome: Outcome,
    /// The worker stopped before its result was written: the attempt may
    /// rightly be made again.
    pub interrupted: bool,
    /// Its result is in storage.
    pub saved: bool,
    /// Its delivery was in storage when it started.
    pub durable: bool,
}

/// An answer on its way back.
struct InFlight {
    arrives: Millis,
    transmit: Transmit,
    sent: usize,
}

/// The engine, its storage and clock ([`Sim`]), the receiver and the
/// faults in force.
pub struct World {
    pub sim: Sim,
    pub webhooks: Vec<String>,
    /// Every request started, in order.
    pub sent: Vec<Sent>,
    /// Deliveries a caller was told about.
    pub accepted: BTreeSet<String>,
    /// Sent entries whose result the engine has, not yet written.
    unsaved_results: Vec<usize>,
    /// Ids returned by inputs whose write has not landed yet.
    unanswered: Vec<String>,
    in_flight: Vec<InFlight>,
    mode: Mode,
    failing_writes: u8,
    wake: Option<Millis>,
}

impl World {
    /// Three webhooks (default retries; no retries and only errors; a
    /// slow one) and a campaign ready to start in a chat tab.
    pub fn new() -> World {
        let mut sim = Sim::new(11);
        let webhooks = vec![
            sim.webhook(json!({"url": "https://a.test/"})),
            sim.webhook(json!({"url": "https://b.test/", "events": ["error", "milestone", "test"], "retrySchedule": []})),
            sim.webhook(json!({"url": "https://c.test/", "timeoutMs": 2000, "retrySchedule": [500, 60_000]})),
        ];
        let selectors = serde_json::from_value(json!({"input": "#msg"})).expect("selectors");
        sim.engine.set_campaign_target(4, "https://chat.test/room", selectors).expect("a chat target");
        let campaign = json!({"phrases": ["a", "b", "c"], "intervalMinSeconds": 1, "intervalMaxSeconds": 5, "dailyLimit": 30});
        sim.engine.configure_campaign(serde_json::from_value(campaign).expect("campaign settings"), sim.now).expect("a campaign");
        let mut world = World {
            sim,
            webhooks,
            sent: Vec::new(),
            accepted: BTreeSet::new(),
            unsaved_results: Vec::new(),
            unanswered: Vec::new(),
            in_flight: Vec::new(),
            mode: Mode::Answers(200, 50),
            failing_writes: 0,
            wake: None,
        };
        world.tick();
        world
    }

    /// Carries out one step, then runs the driver's pass: drain, start
    /// what it asks for, write.
    pub fn step(&mut self, step: &Step) {
        let now = self.sim.now;
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
            Step::Toggle(which) => {
                let id = self.webhook(which);
                let enabled = self.sim.engine.webhook(&id).expect("a webhook").config.enabled();
                let input = serde_json::from_value(json!({"enabled": !enabled})).expect("input");
                self.sim.engine.update_webhook(&id, input, now).expect("a valid change");
            }
            Step::Retime(which, seconds) => {
                let id = self.webhook(which);
                let input = json!({"timeoutMs": 1000 * (1 + u64::from(seconds % 8))});
                self.sim.engine.update_webhook(&id, serde_json::from_value(input).expect("input"), now).expect("a valid change");
            }
            // Refused when the campaign is not in a state to take it.
            Step::Campaign(control) => drop(self.sim.engine.control_campaign(control, now)),
            Step::Wait(ms) => return self.wait(ms),
            Step::Jump(ms) => self.sim.now = Millis(now.0.saturating_add_signed(i64::from(ms))),
            Step::Stop => return self.stop(),
            Step::StopMidWrite => {
                let changes = self.sim.engine.take_changes();
                self.sim.storage.extend(changes.set);
                return self.stop();
            }
            Step::FailWrites(count) => self.failing_writes = count % 4,
            Step::Receiver(mode) => self.mode = mode,
        }
        self.tick();
    }

    /// Heals every fault, then lets time pass until nothing waits; false
    /// if the engine still had something to do after a simulated week.
    pub fn settle(&mut self) -> bool {
        self.mode = Mode::Answers(200, 10);
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
                let outcome = self.sent[answer.sent].outcome.clone();
                self.sim.engine.handle_response(answer.transmit.attempt, outcome, now);
                self.unsaved_results.push(answer.sent);
            }
            self.tick();
        }
        self.sim.now = self.sim.now.max(until);
        self.tick();
    }

    /// The browser stops the worker and a new one starts from storage.
    fn stop(&mut self) {
        for in_flight in std::mem::take(&mut self.in_flight) {
            self.sent[in_flight.sent].interrupted = true;
        }
        for sent in std::mem::take(&mut self.unsaved_results) {
            self.sent[sent].interrupted = true;
        }
        // Their callers got no reply.
        self.unanswered.clear();
        self.sim.restart_from_storage();
        self.tick();
    }

    /// The driver's passes until it rests: each drains the engine, starts
    /// the requests and types the campaign's messages it asks for, then
    /// writes; a write that lands can free deliveries to send, so the
    /// browser adapter drains again after it, and so does this.
    fn tick(&mut self) {
        for _ in 0..100 {
            let now = self.sim.now;
            let drained = self.sim.drain();
            self.wake = drained.wake;
            let idle = drained.transmits.is_empty() && drained.typed.is_empty();
            for transmit in drained.transmits {
                self.start(transmit, now);
            }
            // The chat tab types whatever it is asked to.
            for command in drained.typed {
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
        let outcome = self.outcome(&transmit);
        let delay = match (&outcome, self.mode) {
            (Outcome::Timeout, _) => transmit.timeout_ms,
            (Outcome::Response { .. }, Mode::Answers(_, after)) => u64::from(after),
            _ => 0,
        };
        let header = transmit.request.headers.iter().find(|(name, _)| name == "X-AutoHook-Delivery");
        self.sent.push(Sent {
            attempt: header.map(|(_, value)| value.clone()).expect("every request names its delivery"),
            delivery_id: transmit.delivery_id.clone(),
            outcome,
            interrupted: false,
            saved: false,
            durable: self.sim.storage.contains_key(&format!("delivery/{}", transmit.delivery_id)),
        });
        self.in_flight.push(InFlight { arrives: now.plus(delay), transmit, sent: self.sent.len() - 1 });
    }

    /// What the receiver does with `transmit`.
    fn outcome(&self, transmit: &Transmit) -> Outcome {
        match self.mode {
            Mode::Refuses => Outcome::NetworkError { message: "connection refused".into() },
            Mode::Hangs => Outcome::Timeout,
            Mode::Redirects => Outcome::Redirect { status: None, location: None },
            Mode::Unreachable => Outcome::PermissionMissing { origin: "https://a.test".into() },
            Mode::Answers(_, after) if u64::from(after) >= transmit.timeout_ms => Outcome::Timeout,
            Mode::Answers(code, _) => status(code),
        }
    }

    /// The driver's write of everything changed: it lands, or fails and
    /// the engine takes it back. Whether anything landed.
    fn write(&mut self) -> bool {
        if self.failing_writes > 0 {
            self.failing_writes -= 1;
            let changes = self.sim.engine.take_changes();
            self.sim.engine.changes_failed(changes);
            // Their callers are answered with an error: not accepted.
            self.unanswered.clear();
            return false;
        }
        let wrote = self.sim.persist();
        self.accepted.extend(std::mem::take(&mut self.unanswered));
        for sent in std::mem::take(&mut self.unsaved_results) {
            self.sent[sent].saved = true;
        }
        wrote
    }
}
