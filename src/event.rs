//! What happened: the event kinds a webhook can subscribe to, and the
//! envelope every delivery carries.
//!
//! Each kind is declared once, in [`event_kinds!`] below: its wire name, a
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
}

impl Event {
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
        let event =
            Event { id: "msg_1".into(), kind: EventKind::MessageSent, at: Millis(1_649_367_553_000), data: json!({"message": "hi"}) };
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
