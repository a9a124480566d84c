//! Presets: each event rendered into the JSON body a service accepts, with a
//! human sentence per event, so a webhook can point straight at Slack,
//! Discord, Teams, Telegram or IFTTT without middleware. Over-long text is
//! cut with an ellipsis to the service's documented limits, never left for
//! the service to reject.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::event::{Event, EventKind};

/// The body shape a webhook sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// The AutoHook envelope.
    #[default]
    Raw,
    /// Slack incoming webhook: `text` and `blocks`.
    Slack,
    /// Discord webhook: `content` and one embed.
    Discord,
    /// Microsoft Teams (Workflows): a message with an Adaptive Card.
    Teams,
    /// Telegram Bot API `sendMessage`: `chat_id` and `text`.
    Telegram,
    /// IFTTT Maker: `value1`..`value3`.
    Ifttt,
    /// Zapier catch hook: the envelope.
    Zapier,
    /// Make custom webhook: the envelope.
    Make,
    /// n8n webhook node: the envelope.
    N8n,
    /// The webhook's own JSON template (see [`crate::template`]).
    Custom,
}

/// Slack: a section block's text.
pub const SLACK_SECTION_CHARS: usize = 3000;
/// Discord: message content, embed title, embed description, all embeds.
pub const DISCORD_LIMITS: (usize, usize, usize, usize) = (2000, 256, 4096, 6000);
/// Teams: the whole card message, in bytes.
pub const TEAMS_MAX_BYTES: usize = 28 * 1024;
/// Telegram: message text.
pub const TELEGRAM_TEXT_CHARS: usize = 4096;
const TEAMS_TEXT_CHARS: usize = 4000;
const TEAMS_FACTS: usize = 10;
const TEAMS_FACT_CHARS: usize = 200;

impl Preset {
    /// Whether the body is the plain envelope.
    pub fn is_raw(self) -> bool {
        matches!(self, Preset::Raw | Preset::Zapier | Preset::Make | Preset::N8n)
    }

    /// The body for `event`; `chat_id` is Telegram's. The custom preset's
    /// body comes from its template instead (see [`crate::request::build`]).
    pub fn render(self, event: &Event, chat_id: Option<&str>) -> Value {
        let sentence = sentence(event);
        match self {
            Preset::Raw | Preset::Zapier | Preset::Make | Preset::N8n | Preset::Custom => event.envelope(),
            Preset::Slack => json!({
                "text": cut(&sentence, SLACK_SECTION_CHARS),
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": cut(&slack_escape(&sentence), SLACK_SECTION_CHARS)}}],
            }),
            Preset::Discord => {
                let (content, title, description, _) = DISCORD_LIMITS;
                json!({
                    "content": cut(&sentence, content),
                    // Message text comes from web pages: never let it ping @everyone.
                    "allowed_mentions": {"parse": []},
                    "embeds": [{
                        "title": cut(&title_of(event), title),
                        "description": cut(&details(event), description),
                        "timestamp": event.at.iso8601(),
                        "footer": {"text": "AutoHook"},
                    }],
                })
            }
            Preset::Teams => json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "text": title_of(event)},
                            {"type": "TextBlock", "text": cut(&sentence, TEAMS_TEXT_CHARS), "wrap": true},
                            {"type": "FactSet", "facts": facts(event)},
                        ],
                    },
                }],
            }),
            Preset::Telegram => json!({"chat_id": chat_id.unwrap_or_default(), "text": cut(&sentence, TELEGRAM_TEXT_CHARS)}),
            Preset::Ifttt => json!({"value1": event.kind.as_str(), "value2": sentence, "value3": event.data.to_string()}),
        }
    }
}

/// "Campaign paused after 25 messages today": what happened, in a sentence.
pub fn sentence(event: &Event) -> String {
    let text = |key: &str| event.data.get(key).and_then(Value::as_str).map(str::to_string);
    let count = |key: &str| event.data.get(key).map(|v| v.to_string()).unwrap_or_else(|| "?".into());
    match event.kind {
        EventKind::MessageSent => match text("message") {
            Some(message) => format!("Message sent: “{message}” ({} today, {} in total)", count("messagesSentToday"), count("totalMessagesSent")),
            None => format!("Message sent ({} today, {} in total)", count("messagesSentToday"), count("totalMessagesSent")),
        },
        EventKind::CampaignStarted => "Campaign started".into(),
        EventKind::CampaignStopped => format!("Campaign stopped after {} messages today", stat(event, "messagesSentToday")),
        EventKind::CampaignPaused => format!("Campaign paused after {} messages today", stat(event, "messagesSentToday")),
        EventKind::CampaignResumed => "Campaign resumed".into(),
        EventKind::DailyLimitReached => format!("Daily limit of {} messages reached", count("limit")),
        EventKind::Error => format!("Error: {}", text("error").unwrap_or_else(|| "unknown".into())),
        EventKind::Milestone => format!("Milestone: {} messages sent", count("value")),
        EventKind::Test => "Test delivery from AutoHook".into(),
    }
}

/// A count from `data.stats`, where stop and pause events keep them.
fn stat(event: &Event, key: &str) -> String {
    event.data.get("stats").and_then(|s| s.get(key)).map(|v| v.to_string()).unwrap_or_else(|| "?".into())
}

fn title_of(event: &Event) -> String {
    format!("AutoHook: {}", event.kind.as_str())
}

/// The event's data as pretty JSON, for embeds.
fn details(event: &Event) -> String {
    serde_json::to_string_pretty(&event.data).unwrap_or_default()
}

/// The data's fields as Adaptive Card facts, bounded in count and length.
fn facts(event: &Event) -> Vec<Value> {
    let empty = Map::new();
    let fields = event.data.as_object().unwrap_or(&empty);
    fields
        .iter()
        .take(TEAMS_FACTS)
        .map(|(name, value)| {
            let value = value.as_str().map_or_else(|| value.to_string(), str::to_string);
            json!({"title": cut(name, TEAMS_FACT_CHARS), "value": cut(&value, TEAMS_FACT_CHARS)})
        })
        .collect()
}

/// Slack's mrkdwn treats `&`, `<` and `>` as control characters.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `text` cut to at most `max` characters, ending in "…" when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Millis;

    const PRESETS: [Preset; 9] = [
        Preset::Raw, Preset::Slack, Preset::Discord, Preset::Teams, Preset::Telegram,
        Preset::Ifttt, Preset::Zapier, Preset::Make, Preset::N8n,
    ];

    /// Every event with its sample data, and once more with hostile, huge text.
    fn events() -> Vec<Event> {
        let long = format!("{}\"quotes\" \n newlines, ünïcödé 🎉 </script> <@everyone> & ", "x".repeat(10_000));
        EventKind::ALL
            .into_iter()
            .flat_map(|kind| {
                let at = Millis(1_700_000_000_000);
                let mut hostile = kind.sample_data(at);
                for key in ["message", "error"] {
                    hostile[key] = Value::String(long.clone());
                }
                [kind.sample_data(at), hostile].map(|data| Event { id: "msg_1".into(), kind, at, data })
            })
            .collect()
    }

    fn chars(value: &Value) -> usize {
        value.as_str().map_or(0, |s| s.chars().count())
    }

    #[test]
    fn every_preset_renders_every_event_within_its_service_limits() {
        for event in events() {
            for preset in PRESETS {
                let body = preset.render(&event, Some("-1001234"));
                let text = body.to_string();
                assert!(serde_json::from_str::<Value>(&text).is_ok(), "{preset:?} {:?}", event.kind);
                match preset {
                    Preset::Slack => {
                        assert!(chars(&body["text"]) <= SLACK_SECTION_CHARS && chars(&body["text"]) > 0);
                        assert!(chars(&body["blocks"][0]["text"]["text"]) <= SLACK_SECTION_CHARS);
                        assert!(!body["blocks"][0]["text"]["text"].as_str().unwrap().contains('<'));
                    }
                    Preset::Discord => {
                        let (content, title, description, total) = DISCORD_LIMITS;
                        let embed = &body["embeds"][0];
                        assert!(chars(&body["content"]) <= content && chars(&embed["title"]) <= title);
                        assert!(chars(&embed["description"]) <= description);
                        assert!(chars(&embed["title"]) + chars(&embed["description"]) + chars(&embed["footer"]["text"]) <= total);
                        assert_eq!(body["allowed_mentions"]["parse"], json!([]));
                    }
                    Preset::Teams => {
                        assert!(text.len() <= TEAMS_MAX_BYTES, "{} bytes", text.len());
                        assert_eq!(body["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
                        assert_eq!(body["attachments"][0]["content"]["type"], "AdaptiveCard");
                    }
                    Preset::Telegram => {
                        assert_eq!(body["chat_id"], "-1001234");
                        assert!(chars(&body["text"]) <= TELEGRAM_TEXT_CHARS && chars(&body["text"]) > 0);
                    }
                    Preset::Ifttt => {
                        assert_eq!(body.as_object().unwrap().keys().collect::<Vec<_>>(), ["value1", "value2", "value3"]);
                    }
                    Preset::Raw | Preset::Zapier | Preset::Make | Preset::N8n => assert_eq!(body, event.envelope()),
                    Preset::Custom => unreachable!("not in PRESETS: its body is its template's"),
                }
            }
        }
    }

    #[test]
    fn sentences_read_as_the_event() {
        let at = Millis(0);
        let event = |kind: EventKind| Event { id: "m".into(), kind, at, data: kind.sample_data(at) };
        assert_eq!(sentence(&event(EventKind::CampaignPaused)), "Campaign paused after 25 messages today");
        assert_eq!(sentence(&event(EventKind::MessageSent)), "Message sent: “Hello from AutoHook!” (25 today, 340 in total)");
        assert_eq!(sentence(&event(EventKind::DailyLimitReached)), "Daily limit of 100 messages reached");
        assert_eq!(sentence(&event(EventKind::Error)), "Error: Failed to find send button");
        assert_eq!(sentence(&event(EventKind::Milestone)), "Milestone: 100 messages sent");
    }

    #[test]
    fn cut_ends_in_an_ellipsis_and_never_splits_a_character() {
        assert_eq!(cut("héllo", 5), "héllo");
        assert_eq!(cut("héllo wörld", 5), "héll…");
        assert_eq!(cut("🎉🎉🎉", 2).chars().count(), 2);
    }
}
