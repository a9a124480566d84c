//! What happened: the event kinds a webhook can subscribe to, and the
//! envelope every delivery carries.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::time::Millis;

/// The envelope's `source` field.
pub const SOURCE: &str = "AutoHook";
/// The envelope's `version` field: the version of the payload's shape, not
/// of the extension, so receivers can tell when the shape changes.
pub const PAYLOAD_VERSION: &str = "1.0";

/// An event a webhook can subscribe to. `Test` is only raised by the Test
/// button and reaches a webhook whatever it subscribes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A campaign typed and sent one message.
    MessageSent,
    /// A campaign started.
    CampaignStarted,
    /// A campaign stopped.
    CampaignStopped,
    /// A campaign was paused.
    CampaignPaused,
    /// A paused campaign resumed.
    CampaignResumed,
    /// The campaign's daily limit was reached.
    DailyLimitReached,
    /// Something failed in the page (e.g. the send button disappeared).
    Error,
    /// A message-count milestone was crossed.
    Milestone,
    /// Raised by the Test button.
    Test,
}

impl EventKind {
    /// Every kind, in the order the UI lists them.
    pub const ALL: [EventKind; 9] = [
        EventKind::MessageSent,
        EventKind::CampaignStarted,
        EventKind::CampaignStopped,
        EventKind::CampaignPaused,
        EventKind::CampaignResumed,
        EventKind::DailyLimitReached,
        EventKind::Error,
        EventKind::Milestone,
        EventKind::Test,
    ];

    /// The wire name, e.g. `message_sent`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::MessageSent => "message_sent",
            EventKind::CampaignStarted => "campaign_started",
            EventKind::CampaignStopped => "campaign_stopped",
            EventKind::CampaignPaused => "campaign_paused",
            EventKind::CampaignResumed => "campaign_resumed",
            EventKind::DailyLimitReached => "daily_limit_reached",
            EventKind::Error => "error",
            EventKind::Milestone => "milestone",
            EventKind::Test => "test",
        }
    }

    /// The kind with this wire name, if any.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// A plausible `data` for this kind, shaped as AutoChat's guide shows
    /// it: what the settings page previews a request with.
    pub fn sample_data(self, now: Millis) -> Value {
        let timestamp = now.iso8601();
        let stats = json!({"messagesSentToday": 25, "totalMessagesSent": 340});
        match self {
            EventKind::MessageSent => json!({"message": "Hello from AutoHook!", "messagesSentToday": 25, "totalMessagesSent": 340}),
            EventKind::CampaignStarted | EventKind::CampaignResumed => json!({"timestamp": timestamp}),
            EventKind::CampaignStopped | EventKind::CampaignPaused => json!({"timestamp": timestamp, "stats": stats}),
            EventKind::DailyLimitReached => json!({"limit": 100, "messagesSentToday": 100, "timestamp": timestamp}),
            EventKind::Error => json!({"error": "Failed to find send button", "timestamp": timestamp}),
            EventKind::Milestone => json!({"milestone": "100_messages", "value": 100, "timestamp": timestamp}),
            EventKind::Test => json!({"message": "Test delivery from AutoHook"}),
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
        let event = Event {
            id: "msg_1".into(),
            kind: EventKind::MessageSent,
            at: Millis(1_649_367_553_000),
            data: json!({"message": "hi"}),
        };
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
