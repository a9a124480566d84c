//! What happened: the event kinds a webhook can subscribe to, and the
//! envelope every delivery carries.
//!
//! Each kind is declared once, in `event_kinds!` below: its wire name, a
//! sample of its data and its sentence. [`EventKind::ALL`], the wire names,
//! parsing, serde and the catalog the settings page builds its checkboxes
//! from (`catalog.get`) all follow from that one list.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::time::Millis;

/// The envelope's `source` field.
pub const SOURCE: &str = "AutoHook";
/// The envelope's `version` field: the version of the payload's shape, not
/// of the extension, so receivers can tell when the shape changes.
pub const PAYLOAD_VERSION: &str = "1.0";

/// Declares [`EventKind`] and everything derived from its list. Each row:
/// doc, `Variant = "wire_name"`, `sample:` a plausible `data` (shaped as
/// AutoChat's guide shows it) from the time, `sentence:` what happened, in
/// words, from the event.
macro_rules! event_kinds {
    ($(
        $(#[doc = $doc:literal])*
        $kind:ident = $name:literal {
            sample: |$now:ident| $sample:expr,
            sentence: |$event:ident| $sentence:expr $(,)?
        }
    ),* $(,)?) => {
        /// An event a webhook can subscribe to. `Test` is only raised by the Test
        /// button and reaches a webhook whatever it subscribes to.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum EventKind {
            $($(#[doc = $doc])* #[serde(rename = $name)] $kind,)*
        }

        impl EventKind {
            /// Every kind, in the order the UI lists them.
            pub const ALL: [EventKind; [$($name),*].len()] = [$(EventKind::$kind),*];

            /// The wire name, e.g. `message_sent`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$kind => $name,)*
                }
            }

            /// A plausible `data` for this kind: what the settings page
            /// previews a request with and templates are checked against.
            pub fn sample_data(self, now: Millis) -> Value {
                match self {
                    $(EventKind::$kind => {
                        let $now = now;
                        $sample
                    })*
                }
            }
        }

        /// "Campaign paused after 25 messages today": what happened, in a
        /// sentence (the presets' text and a template's `{{sentence}}`).
        pub fn sentence(event: &Event) -> String {
            match event.kind {
                $(EventKind::$kind => {
                    let $event = event;
                    $sentence
                })*
            }
        }
    };
}

event_kinds! {
    /// A campaign typed and sent one message.
    MessageSent = "message_sent" {
        sample: |_now| json!({"message": "Hello from AutoHook!", "messagesSentToday": 25, "totalMessagesSent": 340}),
        sentence: |e| match text(e, "message") {
            Some(message) => format!("Message sent: “{message}” ({} today, {} in total)", count(e, "messagesSentToday"), count(e, "totalMessagesSent")),
            None => format!("Message sent ({} today, {} in total)", count(e, "messagesSentToday"), count(e, "totalMessagesSent")),
        },
    },
    /// A campaign started.
    CampaignStarted = "campaign_started" {
        sample: |now| json!({"timestamp": now.iso8601()}),
        sentence: |_e| "Campaign started".into(),
    },
    /// A campaign stopped.
    CampaignStopped = "campaign_stopped" {
        sample: |now| json!({"timestamp": now.iso8601(), "stats": sample_stats()}),
        sentence: |e| format!("Campaign stopped after {} messages today", stat(e, "messagesSentToday")),
    },
    /// A campaign was paused.
    CampaignPaused = "campaign_paused" {
        sample: |now| json!({"timestamp": now.iso8601(), "stats": sample_stats()}),
        sentence: |e| format!("Campaign paused after {} messages today", stat(e, "messagesSentToday")),
    },
    /// A paused campaign resumed.
    CampaignResumed = "campaign_resumed" {
        sample: |now| json!({"timestamp": now.iso8601()}),
        sentence: |_e| "Campaign resumed".into(),
    },
    /// The campaign's daily limit was reached.
    DailyLimitReached = "daily_limit_reached" {
        sample: |now| json!({"limit": 100, "messagesSentToday": 100, "timestamp": now.iso8601()}),
        sentence: |e| format!("Daily limit of {} messages reached", count(e, "limit")),
    },
    /// Something failed in the page (e.g. the send button disappeared).
    Error = "error" {
        sample: |now| json!({"error": "Failed to find send button", "timestamp": now.iso8601()}),
        sentence: |e| format!("Error: {}", text(e, "error").unwrap_or_else(|| "unknown".into())),
    },
    /// A message-count milestone was crossed.
    Milestone = "milestone" {
        sample: |now| json!({"milestone": "100_messages", "value": 100, "timestamp": now.iso8601()}),
        sentence: |e| format!("Milestone: {} messages sent", count(e, "value")),
    },
    /// Raised by the Test button.
    Test = "test" {
        sample: |_now| json!({"message": "Test delivery from AutoHook"}),
        sentence: |_e| "Test delivery from AutoHook".into(),
    },
}

impl EventKind {
    /// The kind with this wire name, if any.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// Whether a webhook can subscribe to it: every kind but `test`, which
    /// reaches a webhook whatever it subscribes to.
    pub fn is_subscribable(self) -> bool {
        self != EventKind::Test
    }
}

/// The counters stop and pause events carry, in samples.
fn sample_stats() -> Value {
    json!({"messagesSentToday": 25, "totalMessagesSent": 340})
}

/// A text field of the event's data.
fn text(event: &Event, key: &str) -> Option<String> {
    event.data.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A field of the event's data as written in a sentence, `?` when missing.
fn count(event: &Event, key: &str) -> String {
    event.data.get(key).map(|v| v.to_string()).unwrap_or_else(|| "?".into())
}

/// A count from `data.stats`, where stop and pause events keep them.
fn stat(event: &Event, key: &str) -> String {
    event.data.get("stats").and_then(|s| s.get(key)).map(|v| v.to_string()).unwrap_or_else(|| "?".into())
}

/// What set an event off. AutoHook acts on a receiver's reply only to the
/// events of an outside cause: an event that an acted-on reply caused (a
/// message it typed, a pause, resume or stop it asked for, an error on the
/// way) never has its own replies acted on, at any depth, so two workflows,
/// or one answering itself, cannot drive the campaign in a loop. A reply's
/// cause names its webhook: what its chain notifies counts against that
/// webhook's allowance (see `engine/alerts.rs`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Cause {
    /// A campaign phrase due by its schedule, something the user did, or
    /// another source outside AutoHook.
    #[default]
    Outside,
    /// A receiver's reply that AutoHook acted on: the id of the webhook
    /// whose delivery it answered.
    Reply(String),
}

impl Cause {
    fn is_outside(&self) -> bool {
        *self == Cause::Outside
    }

    /// The webhook whose acted-on reply this is, if one's.
    pub fn replier(&self) -> Option<&str> {
        match self {
            Cause::Outside => None,
            Cause::Reply(webhook_id) => Some(webhook_id),
        }
    }
}

/// One occurrence of an event. Its `id` is the Standard Webhooks message id:
/// the same on every attempt and redelivery, so receivers can deduplicate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id, `msg_…`.
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// When it happened.
    pub at: Millis,
    /// The event's own fields (`message`, `limit`, …).
    pub data: Value,
    /// What set it off; stored with it (only when a reply did, as
    /// `{"reply": "wh_…"}`, so records of outside events are as they were),
    /// as the rule outlives the worker.
    #[serde(default, skip_serializing_if = "Cause::is_outside")]
    pub cause: Cause,
}

impl Event {
    /// An event of an outside cause.
    pub fn new(id: String, kind: EventKind, at: Millis, data: Value) -> Event {
        Event { id, kind, at, data, cause: Cause::Outside }
    }

    /// The JSON envelope: `{id, event, timestamp, data, source, version}`.
    pub fn envelope(&self) -> Value {
        json!({
            "id": self.id,
            "event": self.kind.as_str(),
            "timestamp": self.at.iso8601(),
            "data": self.data,
            "source": SOURCE,
            "version": PAYLOAD_VERSION,
        })
    }
}

/// `X-AutoHook-Event` (and a template's error wording) for a batch.
pub const BATCH_EVENT: &str = "batch";

/// What one request carries: one event, or a webhook's batch of events
/// sent together (see `batch` in the webhook settings).
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    /// One event.
    Event(&'a Event),
    /// A batch: its id (its `webhook-id`, stable across retries) and its
    /// events, oldest first.
    Batch {
        /// `msg_…`, like an event's.
        id: &'a str,
        /// Never empty.
        events: &'a [Event],
    },
}

impl<'a> From<&'a Event> for Payload<'a> {
    fn from(event: &'a Event) -> Payload<'a> {
        Payload::Event(event)
    }
}

impl Payload<'_> {
    /// The `webhook-id`.
    pub fn id(&self) -> &str {
        match self {
            Payload::Event(event) => &event.id,
            Payload::Batch { id, .. } => id,
        }
    }

    /// The `X-AutoHook-Event`: the event's wire name, or `batch`.
    pub fn name(&self) -> &'static str {
        match self {
            Payload::Event(event) => event.kind.as_str(),
            Payload::Batch { .. } => BATCH_EVENT,
        }
    }

    /// An event's envelope, or a batch's: `{id, batch: [envelope, …], count,
    /// source, version}`.
    pub fn envelope(&self) -> Value {
        match self {
            Payload::Event(event) => event.envelope(),
            Payload::Batch { id, events } => json!({
                "id": id,
                "batch": events.iter().map(Event::envelope).collect::<Vec<_>>(),
                "count": events.len(),
                "source": SOURCE,
                "version": PAYLOAD_VERSION,
            }),
        }
    }

    /// The event's sentence; for a batch, a digest: `25 events` and then
    /// each event's sentence on a line of its own.
    pub fn sentence(&self) -> String {
        match self {
            Payload::Event(event) => sentence(event),
            Payload::Batch { events, .. } => {
                let lines = events.iter().map(|event| format!("\n• {}", sentence(event)));
                std::iter::once(batch_heading(events.len())).chain(lines).collect()
            }
        }
    }
}

/// A digest's first line.
pub fn batch_heading(count: usize) -> String {
    format!("{count} events")
}

/// A sample of each of `kinds` at `at`: what templates are checked against
/// (in one batch, for a webhook that batches).
pub fn samples(kinds: &[EventKind], at: Millis) -> Vec<Event> {
    kinds.iter().map(|&kind| Event::new("msg_sample".into(), kind, at, kind.sample_data(at))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(EventKind::parse("message-sent"), None);
    }

    #[test]
    fn envelope_has_the_documented_fields() {
        let event = Event::new("msg_1".into(), EventKind::MessageSent, Millis(1_649_367_553_000), json!({"message": "hi"}));
        let envelope = event.envelope();
        assert_eq!(envelope["id"], "msg_1");
        assert_eq!(envelope["event"], "message_sent");
        assert_eq!(envelope["timestamp"], "2022-04-07T21:39:13.000Z");
        assert_eq!(envelope["data"]["message"], "hi");
        assert_eq!(envelope["source"], "AutoHook");
        assert_eq!(envelope["version"], "1.0");
        let keys: Vec<&String> = envelope.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "event", "timestamp", "data", "source", "version"]);
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    #[test]
    fn a_batch_envelope_lists_each_event_envelope_with_its_count() {
        let at = Millis(1_649_367_553_000);
        let events = samples(&[EventKind::MessageSent, EventKind::Error], at);
        let payload = Payload::Batch { id: "msg_b", events: &events };
        let envelope = payload.envelope();
        let keys: Vec<&String> = envelope.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "batch", "count", "source", "version"]);
        assert_eq!((envelope["id"].as_str(), envelope["count"].as_u64()), (Some("msg_b"), Some(2)));
        assert_eq!(envelope["batch"][1], events[1].envelope());
        assert_eq!((payload.id(), payload.name()), ("msg_b", "batch"));
        assert_eq!(
            payload.sentence(),
            "2 events\n• Message sent: “Hello from AutoHook!” (25 today, 340 in total)\n• Error: Failed to find send button"
        );
    }
}
