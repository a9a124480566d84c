//! What happened: the event kinds a webhook can subscribe to, the data each
//! carries, and the envelope every delivery carries.
//!
//! Each kind is declared once, in `event_kinds!` below: its wire name, the
//! type of its data, a sample of it and its sentence. [`EventKind::ALL`], the
//! wire names, parsing, serde, the [`data`] types, [`OwnData`] and the
//! catalog the settings page builds its checkboxes from (`catalog.get`) all
//! follow from that one list.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::json;
use crate::time::Millis;

/// The envelope's `source` field.
pub const SOURCE: &str = "AutoHook";
/// The envelope's `version` field: the version of the payload's shape, not
/// of the extension, so receivers can tell when the shape changes.
pub const PAYLOAD_VERSION: &str = "1.0";

/// Declares [`EventKind`] and everything derived from its list. Each row:
/// doc, `Variant = "wire_name"`, `data:` its fields (the struct
/// [`data`]`::Variant`, serialized camelCase in the order written: what
/// receivers get, byte for byte), `sample:` a plausible data (shaped as
/// AutoChat's guide shows it) from the time, `sentence:` what happened, in
/// words, from the data as JSON.
macro_rules! event_kinds {
    ($(
        $(#[doc = $doc:literal])*
        $kind:ident = $name:literal {
            data: { $($(#[$field_meta:meta])* $field:ident: $field_type:ty),* $(,)? },
            sample: |$now:ident| $sample:expr,
            sentence: |$data:ident| $sentence:expr $(,)?
        }
    ),* $(,)?) => {
        /// An event a webhook can subscribe to. `Test` is only raised by the Test
        /// button and reaches a webhook whatever it subscribes to.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum EventKind {
            $($(#[doc = $doc])* #[serde(rename = $name)] $kind,)*
        }

        /// One type per event kind: the data AutoHook itself writes for it,
        /// named as the kind.
        pub mod data {
            use serde::{Deserialize, Serialize};

            use super::{MessageCounts, MessageSource};

            $(
                #[doc = concat!("The data of `", $name, "`.")]
                #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
                #[serde(rename_all = "camelCase")]
                pub struct $kind {
                    $($(#[$field_meta])* pub $field: $field_type,)*
                }
            )*
        }

        /// An event's data as AutoHook writes it: its kind's type.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum OwnData {
            $($(#[doc = $doc])* $kind(data::$kind),)*
        }

        impl OwnData {
            /// The kind whose data this is.
            pub fn kind(&self) -> EventKind {
                match self {
                    $(OwnData::$kind(_) => EventKind::$kind,)*
                }
            }

            /// `data` read as `kind`'s type, in any order of its keys,
            /// ignoring others; `None` where a field is missing or of
            /// another type.
            fn read(kind: EventKind, data: &Value) -> Option<OwnData> {
                match kind {
                    $(EventKind::$kind => data::$kind::deserialize(data).ok().map(OwnData::$kind),)*
                }
            }
        }

        impl Serialize for OwnData {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(OwnData::$kind(data) => data.serialize(serializer),)*
                }
            }
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

            /// A plausible data for this kind, of the type the real events
            /// have: what the settings page previews a request with and
            /// templates are checked against.
            pub fn sample(self, now: Millis) -> OwnData {
                match self {
                    $(EventKind::$kind => {
                        let $now = now;
                        OwnData::$kind($sample)
                    })*
                }
            }
        }

        /// "Campaign paused after 25 messages today": what happened, in a
        /// sentence (the presets' text and a template's `{{sentence}}`).
        /// It reads the data as receivers get it, by key, with `?` where a
        /// field is missing, as a template does: data emitted from outside
        /// (`events.emit`) need not have its kind's shape.
        pub fn sentence(event: &Event) -> String {
            let json = event.data.to_value();
            match event.kind {
                $(EventKind::$kind => {
                    let $data = &json;
                    $sentence
                })*
            }
        }
    };
}

event_kinds! {
    /// A campaign typed and sent one message.
    MessageSent = "message_sent" {
        data: {
            /// Messages sent since local midnight, this one included.
            messages_sent_today: u64,
            /// Messages sent ever, this one included.
            total_messages_sent: u64,
            /// What was typed, when the campaign's `includeText` is on.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            message: Option<String>,
            /// `reply` when the text was a receiver's reply.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            source: Option<MessageSource>,
        },
        sample: |_now| data::MessageSent {
            messages_sent_today: 25,
            total_messages_sent: 340,
            message: Some("Hello from AutoHook!".into()),
            source: None,
        },
        sentence: |d| match text(d, "message") {
            Some(message) => format!("Message sent: “{message}” ({} today, {} in total)", count(d, "messagesSentToday"), count(d, "totalMessagesSent")),
            None => format!("Message sent ({} today, {} in total)", count(d, "messagesSentToday"), count(d, "totalMessagesSent")),
        },
    },
    /// A campaign started.
    CampaignStarted = "campaign_started" {
        data: {
            /// When, in ISO 8601.
            timestamp: String,
        },
        sample: |now| data::CampaignStarted { timestamp: now.iso8601() },
        sentence: |_d| "Campaign started".into(),
    },
    /// A campaign stopped.
    CampaignStopped = "campaign_stopped" {
        data: {
            /// When, in ISO 8601.
            timestamp: String,
            /// The counters as the run ended.
            stats: MessageCounts,
        },
        sample: |now| data::CampaignStopped { timestamp: now.iso8601(), stats: MessageCounts::SAMPLE },
        sentence: |d| format!("Campaign stopped after {} messages today", count(&d["stats"], "messagesSentToday")),
    },
    /// A campaign was paused.
    CampaignPaused = "campaign_paused" {
        data: {
            /// When, in ISO 8601.
            timestamp: String,
            /// The counters as it paused.
            stats: MessageCounts,
        },
        sample: |now| data::CampaignPaused { timestamp: now.iso8601(), stats: MessageCounts::SAMPLE },
        sentence: |d| format!("Campaign paused after {} messages today", count(&d["stats"], "messagesSentToday")),
    },
    /// A paused campaign resumed.
    CampaignResumed = "campaign_resumed" {
        data: {
            /// When, in ISO 8601.
            timestamp: String,
        },
        sample: |now| data::CampaignResumed { timestamp: now.iso8601() },
        sentence: |_d| "Campaign resumed".into(),
    },
    /// The campaign's daily limit was reached.
    DailyLimitReached = "daily_limit_reached" {
        data: {
            /// The campaign's daily limit.
            limit: u32,
            /// Messages sent since local midnight.
            messages_sent_today: u64,
            /// When, in ISO 8601.
            timestamp: String,
        },
        sample: |now| data::DailyLimitReached { limit: 100, messages_sent_today: 100, timestamp: now.iso8601() },
        sentence: |d| format!("Daily limit of {} messages reached", count(d, "limit")),
    },
    /// Something failed in the page (e.g. the send button disappeared).
    Error = "error" {
        data: {
            /// What failed.
            error: String,
            /// When, in ISO 8601.
            timestamp: String,
        },
        sample: |now| data::Error { error: "Failed to find send button".into(), timestamp: now.iso8601() },
        sentence: |d| format!("Error: {}", text(d, "error").unwrap_or_else(|| "unknown".into())),
    },
    /// A message-count milestone was crossed.
    Milestone = "milestone" {
        data: {
            /// Its name, `100_messages`.
            milestone: String,
            /// The messages sent in total.
            value: u64,
            /// When, in ISO 8601.
            timestamp: String,
        },
        sample: |now| data::Milestone { milestone: "100_messages".into(), value: 100, timestamp: now.iso8601() },
        sentence: |d| format!("Milestone: {} messages sent", count(d, "value")),
    },
    /// Raised by the Test button.
    Test = "test" {
        data: {
            /// What the Test button sends.
            message: String,
        },
        sample: |_now| data::Test { message: "Test delivery from AutoHook".into() },
        sentence: |_d| "Test delivery from AutoHook".into(),
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

/// The campaign's counters, which stop and pause events carry as `stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageCounts {
    /// Messages sent since local midnight.
    pub messages_sent_today: u64,
    /// Messages sent ever.
    pub total_messages_sent: u64,
}

impl MessageCounts {
    /// The samples' counters.
    const SAMPLE: MessageCounts = MessageCounts { messages_sent_today: 25, total_messages_sent: 340 };
}

/// Where a sent message's text came from, when not from the campaign's
/// phrases: `message_sent`'s `source`. Receivers see it. AutoHook decides
/// by [`Event::cause`]; the marker, parsed once where data comes in
/// ([`EventData::source`]), matters only where there is no cause: records
/// that 1.0.0 stored, and such data emitted again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MessageSource {
    /// A receiver's reply that AutoHook typed.
    Reply,
}

/// A text field of the data.
fn text(data: &Value, key: &str) -> Option<String> {
    data.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A field of the data as written in a sentence, `?` when missing.
fn count(data: &Value, key: &str) -> String {
    data.get(key).map(|v| v.to_string()).unwrap_or_else(|| "?".into())
}

/// An event's data: its kind's type ([`OwnData`]), or data that is not of
/// that type, kept as written.
///
/// Data need not be AutoHook's own: `events.emit` takes any JSON from the
/// settings page, and deliveries stored by earlier versions hold data as it
/// was written then (an error with a `url`, a message's keys in another
/// order). Receivers must get such data byte for byte as before, and the
/// bytes are signed. A struct serializes its fields in its own order and
/// drops what it does not know, so data is typed only where its own type
/// writes it back identically ([`EventData::read`]); anything else is kept
/// whole as [`EventData::Other`] rather than split into typed fields and an
/// untyped rest, which could not keep the order of keys.
#[derive(Clone, Debug, PartialEq)]
pub enum EventData {
    /// Of its kind's type: what AutoHook raises, and other data of that exact shape.
    Own(OwnData),
    /// Any other JSON, kept as written.
    Other {
        /// The data.
        data: Value,
        /// A `message_sent`'s `source`, read once, here, from data such as
        /// 1.0.0 stored (`{"message": …, "source": "reply"}`).
        source: Option<MessageSource>,
    },
}

impl EventData {
    /// `data` of an event of `kind`, typed if its kind's type writes it back
    /// byte for byte.
    pub fn read(kind: EventKind, data: Value) -> EventData {
        match OwnData::read(kind, &data) {
            Some(own) if same_json(&own_value(&own), &data) => EventData::Own(own),
            _ => {
                let source = data.get("source").filter(|_| kind == EventKind::MessageSent);
                EventData::Other { source: source.and_then(|source| MessageSource::deserialize(source).ok()), data }
            }
        }
    }

    /// The data as JSON, as receivers get it.
    pub fn to_value(&self) -> Value {
        match self {
            EventData::Own(own) => own_value(own),
            EventData::Other { data, .. } => data.clone(),
        }
    }

    /// The data as JSON text, as receivers get it: written straight from
    /// the data, not through a copy as a [`Value`] first.
    pub fn to_text(&self) -> String {
        // Never fails: the data types hold only strings, numbers and structs of them.
        json::to_text(self).unwrap_or_default()
    }

    /// A `message_sent`'s `source`.
    pub fn source(&self) -> Option<MessageSource> {
        match self {
            EventData::Own(OwnData::MessageSent(message)) => message.source,
            EventData::Own(_) => None,
            EventData::Other { source, .. } => *source,
        }
    }
}

impl From<OwnData> for EventData {
    fn from(own: OwnData) -> EventData {
        EventData::Own(own)
    }
}

impl Serialize for EventData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            EventData::Own(own) => own.serialize(serializer),
            EventData::Other { data, .. } => data.serialize(serializer),
        }
    }
}

/// Own data as JSON.
fn own_value(own: &OwnData) -> Value {
    // Never fails: the data types hold only strings, numbers and structs of them.
    serde_json::to_value(own).unwrap_or_default()
}

/// Whether `a` and `b` serialize to the same bytes: equal, and with their
/// objects' keys in the same order (`Value`'s `==` ignores the order).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && same_json(va, vb))
        }
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_json(a, b)),
        _ => a == b,
    }
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
#[serde(from = "StoredEvent")]
pub struct Event {
    /// Unique id, `msg_…`.
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// When it happened.
    pub at: Millis,
    /// The event's own fields (`message`, `limit`, …), of its kind's type
    /// where they are.
    pub data: EventData,
    /// What set it off; stored with it (only when a reply did, as
    /// `{"reply": "wh_…"}`, so records of outside events are as they were),
    /// as the rule outlives the worker.
    #[serde(default, skip_serializing_if = "Cause::is_outside")]
    pub cause: Cause,
}

/// An event as stored, its data not yet read.
#[derive(Deserialize)]
struct StoredEvent {
    id: String,
    kind: EventKind,
    at: Millis,
    data: Value,
    #[serde(default)]
    cause: Cause,
}

impl From<StoredEvent> for Event {
    fn from(StoredEvent { id, kind, at, data, cause }: StoredEvent) -> Event {
        Event { id, kind, at, data: EventData::read(kind, data), cause }
    }
}

impl Event {
    /// An event of an outside cause with `data` as given (see [`EventData::read`]).
    pub fn new(id: String, kind: EventKind, at: Millis, data: Value) -> Event {
        Event { id, kind, at, data: EventData::read(kind, data), cause: Cause::Outside }
    }

    /// An event of an outside cause with AutoHook's own data.
    pub fn own(id: String, at: Millis, data: OwnData) -> Event {
        Event { id, kind: data.kind(), at, data: data.into(), cause: Cause::Outside }
    }

    /// The JSON envelope: `{id, event, timestamp, data, source, version}`.
    pub fn envelope(&self) -> Value {
        envelope_value(&self.envelope_fields())
    }

    fn envelope_fields(&self) -> Envelope<'_> {
        Envelope {
            id: &self.id,
            event: self.kind.as_str(),
            timestamp: self.at.iso8601(),
            data: &self.data,
            source: SOURCE,
            version: PAYLOAD_VERSION,
        }
    }
}

/// An event's envelope, its fields in the order receivers get them: one
/// type for the [`Value`] that filters and templates read and for the text
/// sent, which is written from it directly (building a `Value` to write
/// was a tenth of a burst's instructions, `tests/bench/burst.rs`).
#[derive(Serialize)]
struct Envelope<'a> {
    id: &'a str,
    event: &'static str,
    timestamp: String,
    data: &'a EventData,
    source: &'static str,
    version: &'static str,
}

/// A batch's envelope: `{id, batch: [envelope, …], count, source, version}`.
#[derive(Serialize)]
struct BatchEnvelope<'a> {
    id: &'a str,
    batch: Vec<Envelope<'a>>,
    count: usize,
    source: &'static str,
    version: &'static str,
}

impl BatchEnvelope<'_> {
    fn of<'a>(id: &'a str, events: &'a [Event]) -> BatchEnvelope<'a> {
        let batch = events.iter().map(Event::envelope_fields).collect();
        BatchEnvelope { id, batch, count: events.len(), source: SOURCE, version: PAYLOAD_VERSION }
    }
}

/// An envelope as a [`Value`].
fn envelope_value(envelope: &impl Serialize) -> Value {
    // Never fails: an envelope holds only strings, numbers and event data (see `to_text`).
    serde_json::to_value(envelope).unwrap_or_default()
}

/// An envelope as the text sent.
fn envelope_text(envelope: &impl Serialize) -> String {
    // Never fails, as `envelope_value`.
    json::to_text(envelope).unwrap_or_default()
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
            Payload::Batch { id, events } => envelope_value(&BatchEnvelope::of(id, events)),
        }
    }

    /// [`Payload::envelope`] as the text sent.
    pub fn envelope_text(&self) -> String {
        match self {
            Payload::Event(event) => envelope_text(&event.envelope_fields()),
            Payload::Batch { id, events } => envelope_text(&BatchEnvelope::of(id, events)),
        }
    }

    /// The length of [`Payload::envelope_text`], counted without writing it.
    pub fn envelope_len(&self) -> usize {
        // Never fails, as `envelope_value`.
        match self {
            Payload::Event(event) => json::text_len(&event.envelope_fields()),
            Payload::Batch { id, events } => json::text_len(&BatchEnvelope::of(id, events)),
        }
        .unwrap_or_default()
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
    kinds.iter().map(|&kind| Event::own("msg_sample".into(), at, kind.sample(at))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(EventKind::parse("message-sent"), None);
    }

    /// The data as the campaign wrote it with `json!` before it was typed:
    /// what receivers got, and what their signatures cover.
    fn as_written_before(kind: EventKind, n: u64, total: u64, text: &str, now: Millis) -> Vec<(OwnData, Value)> {
        let timestamp = now.iso8601();
        let counts = MessageCounts { messages_sent_today: n, total_messages_sent: total };
        let sent = |message: Option<&str>, source| data::MessageSent {
            messages_sent_today: n,
            total_messages_sent: total,
            message: message.map(str::to_string),
            source,
        };
        let mut with_text = json!({"messagesSentToday": n, "totalMessagesSent": total});
        with_text["message"] = Value::String(text.into());
        let mut from_reply = with_text.clone();
        from_reply["source"] = Value::String("reply".into());
        let mut reply_without_text = json!({"messagesSentToday": n, "totalMessagesSent": total});
        reply_without_text["source"] = Value::String("reply".into());
        let stats = json!({"messagesSentToday": n, "totalMessagesSent": total});
        match kind {
            EventKind::MessageSent => vec![
                (OwnData::MessageSent(sent(None, None)), json!({"messagesSentToday": n, "totalMessagesSent": total})),
                (OwnData::MessageSent(sent(Some(text), None)), with_text),
                (OwnData::MessageSent(sent(Some(text), Some(MessageSource::Reply))), from_reply),
                (OwnData::MessageSent(sent(None, Some(MessageSource::Reply))), reply_without_text),
            ],
            EventKind::CampaignStarted => {
                vec![(OwnData::CampaignStarted(data::CampaignStarted { timestamp: timestamp.clone() }), json!({"timestamp": timestamp}))]
            }
            EventKind::CampaignResumed => {
                vec![(OwnData::CampaignResumed(data::CampaignResumed { timestamp: timestamp.clone() }), json!({"timestamp": timestamp}))]
            }
            EventKind::CampaignStopped => vec![(
                OwnData::CampaignStopped(data::CampaignStopped { timestamp: timestamp.clone(), stats: counts }),
                json!({"timestamp": timestamp, "stats": stats}),
            )],
            EventKind::CampaignPaused => vec![(
                OwnData::CampaignPaused(data::CampaignPaused { timestamp: timestamp.clone(), stats: counts }),
                json!({"timestamp": timestamp, "stats": stats}),
            )],
            EventKind::DailyLimitReached => {
                let limit = u32::try_from(total).unwrap_or(u32::MAX);
                vec![(
                    OwnData::DailyLimitReached(data::DailyLimitReached { limit, messages_sent_today: n, timestamp: timestamp.clone() }),
                    json!({"limit": limit, "messagesSentToday": n, "timestamp": timestamp}),
                )]
            }
            EventKind::Error => vec![(
                OwnData::Error(data::Error { error: text.into(), timestamp: timestamp.clone() }),
                json!({"error": text, "timestamp": timestamp}),
            )],
            EventKind::Milestone => {
                let milestone = format!("{total}_messages");
                vec![(
                    OwnData::Milestone(data::Milestone { milestone: milestone.clone(), value: total, timestamp: timestamp.clone() }),
                    json!({"milestone": milestone, "value": total, "timestamp": timestamp}),
                )]
            }
            EventKind::Test => vec![(OwnData::Test(data::Test { message: text.into() }), json!({"message": text}))],
        }
    }

    #[test]
    fn each_kinds_data_serializes_to_the_bytes_it_was_written_as_before_it_was_typed() {
        let values = [
            (0, 0, "", Millis(0)),
            (25, 340, "Hello from AutoHook!", Millis(1_649_367_553_042)),
            (u64::MAX, 10_000, "ünïcödé \"quotes\" \n </script> 🎉", Millis(4_102_444_800_999)),
        ];
        for kind in EventKind::ALL {
            for (n, total, text, now) in values {
                for (own, before) in as_written_before(kind, n, total, text, now) {
                    assert_eq!(own.kind(), kind);
                    let bytes = serde_json::to_string(&before).unwrap();
                    assert_eq!(serde_json::to_string(&own).unwrap(), bytes, "{kind:?}");
                    assert_eq!(EventData::read(kind, before), EventData::Own(own), "{bytes} reads back typed");
                }
            }
        }
    }

    /// `events.emit` and earlier versions' records: data that its kind's
    /// type would write otherwise (keys in another order, an unknown key,
    /// a float count, a missing field) is sent and stored as written.
    #[test]
    fn data_not_of_its_kinds_shape_is_kept_byte_for_byte() {
        let cases = [
            (EventKind::MessageSent, r#"{"message":"Thanks","messagesSentToday":4,"totalMessagesSent":4}"#),
            (EventKind::MessageSent, r#"{"messagesSentToday":1.0,"totalMessagesSent":1}"#),
            (EventKind::MessageSent, r#"{"message":"pong","source":"reply"}"#),
            (EventKind::MessageSent, r#"{"messagesSentToday":1,"totalMessagesSent":1,"source":"elsewhere"}"#),
            (EventKind::Error, r#"{"error":"Send button not found","url":"https://chat.example.test/room/42"}"#),
            (EventKind::Milestone, r#"{"milestone":"100_messages","value":100,"timestamp":"t","extra":[1,{"b":2,"a":1}]}"#),
            (EventKind::CampaignStarted, "null"),
            (EventKind::Test, r#"{"message":"hi","items":["a","b"]}"#),
        ];
        for (kind, written) in cases {
            let data = EventData::read(kind, serde_json::from_str(written).unwrap());
            assert!(matches!(data, EventData::Other { .. }), "{written}");
            assert_eq!(serde_json::to_string(&data).unwrap(), written);
            let event = Event::new("msg_1".into(), kind, Millis(0), serde_json::from_str(written).unwrap());
            let stored = serde_json::to_string(&event).unwrap();
            assert_eq!(serde_json::to_string(&serde_json::from_str::<Event>(&stored).unwrap()).unwrap(), stored);
        }
    }

    /// The loop rule's marker, read once where data comes in: in AutoHook's
    /// own data, and in data of another shape such as 1.0.0 stored; only a
    /// `message_sent`'s, and only `reply`.
    #[test]
    fn a_messages_reply_source_is_read_where_the_data_comes_in() {
        let source = |kind, data| EventData::read(kind, data).source();
        let own = json!({"messagesSentToday": 1, "totalMessagesSent": 2, "source": "reply"});
        assert_eq!(source(EventKind::MessageSent, own), Some(MessageSource::Reply));
        assert_eq!(source(EventKind::MessageSent, json!({"message": "pong", "source": "reply"})), Some(MessageSource::Reply));
        assert_eq!(source(EventKind::MessageSent, json!({"message": "pong", "source": "Reply"})), None);
        assert_eq!(source(EventKind::MessageSent, json!({"messagesSentToday": 1, "totalMessagesSent": 2})), None);
        assert_eq!(source(EventKind::Error, json!({"error": "x", "source": "reply"})), None);
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

    #[test]
    fn the_envelope_sent_is_the_envelope_value_written_byte_for_byte() {
        let data = json!({"z": {"b": 1, "a": [2.5, "\u{e9}\n"]}, "message": "hi"});
        let events = [
            Event::new("msg_1".into(), EventKind::MessageSent, Millis(1_000), data),
            Event::own("msg_2".into(), Millis(2_000), EventKind::Error.sample(Millis(2_000))),
        ];
        for payload in [Payload::Event(&events[0]), Payload::Batch { id: "msg_b", events: &events }] {
            assert_eq!(payload.envelope_text(), payload.envelope().to_string());
        }
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
