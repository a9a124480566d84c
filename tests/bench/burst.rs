//! The engine's own cost of a burst, without a browser: one signed webhook,
//! 3 × 1,000 events emitted through the message API, every request answered
//! 200, the changes stored every 4 responses (about as often as the
//! browser's writes land in a burst). `./build.sh bench` runs it under
//! callgrind, whose instruction count is the same from run to run whatever
//! else the machine does; the browser's rates are not.
use std::collections::{BTreeMap, VecDeque};

use autohook::{handle, Driver, Engine, Millis, Notice, Outcome, SendCommand, Sender, Transmit};
use serde_json::{json, Value};

const EVENTS: usize = 1000;
const ROUNDS: usize = 3;

/// Keeps the requests a drain hands out, as the browser's driver starts them.
#[derive(Default)]
struct Requests(VecDeque<Transmit>);

impl Driver for Requests {
    fn transmit(&mut self, transmit: Transmit) {
        self.0.push_back(transmit);
    }
    fn type_message(&mut self, _: SendCommand) {}
    fn notice(&mut self, _: Notice) {}
    // A fresh engine's log is all in memory: it never asks.
    fn load_log(&mut self) {}
    fn wake_at(&mut self, _: Option<Millis>) {}
}

fn persist(engine: &mut Engine, storage: &mut BTreeMap<String, String>) {
    let changes = engine.take_changes();
    storage.extend(changes.set);
    for key in changes.remove {
        storage.remove(&key);
    }
    engine.changes_saved(changes.batch);
}

fn main() {
    let mut now = Millis(1_700_000_000_000);
    let mut engine = Engine::new([7; 16]);
    let mut storage = BTreeMap::new();
    let request = |engine: &mut Engine, message: Value, now: Millis| {
        handle(engine, message, Sender::ExtensionPage, now, &[1; 32]).expect("the bench's requests are valid");
    };
    let webhook = json!({"url": "http://127.0.0.1:4000/bench", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "events": ["message_sent"], "ratePerMinute": 10_000});
    request(&mut engine, json!({"type": "webhooks.create", "webhook": webhook}), now);
    persist(&mut engine, &mut storage);
    let mut answered = 0;
    for _ in 0..ROUNDS {
        for i in 0..EVENTS {
            let data = json!({"message": "bench", "totalMessagesSent": i});
            request(&mut engine, json!({"type": "events.emit", "event": "message_sent", "data": data}), now);
        }
        persist(&mut engine, &mut storage);
        let mut in_flight = Requests::default();
        loop {
            engine.drive(now, &mut in_flight);
            let Some(transmit) = in_flight.0.pop_front() else { break };
            now = now.plus(1);
            engine.handle_response(transmit.attempt, Outcome::Response { status: 200, retry_after: None, body: "ok".into() }, now);
            answered += 1;
            if answered % 4 == 0 {
                persist(&mut engine, &mut storage);
            }
        }
        persist(&mut engine, &mut storage);
        now = now.plus(120_000);
    }
    assert_eq!(answered, EVENTS * ROUNDS, "every event was sent once");
    println!("{answered} events");
}
