//! Presets are safe for their service whatever a web page puts in the event:
//! 4-byte characters, combining marks, ZWJ emoji, Slack mentions, JSON
//! escapes and huge lengths. Every body stays within each limit of its
//! service, counted the service's way; every cut falls between grapheme
//! clusters and ends in "…"; Slack's text is mrkdwn-escaped.

use autohook::limits::{
    DISCORD_CONTENT, DISCORD_DESCRIPTION, DISCORD_EMBED_CHARS, DISCORD_TITLE, SLACK_TEXT, TEAMS_MAX_BYTES, TELEGRAM_TEXT,
};
use autohook::{sentence, Body, Event, EventKind, Millis, Preset};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Value};
use unicode_segmentation::UnicodeSegmentation;

use crate::common::regressions;

const PIECES: &[&str] = &[
    "a",
    "Hello ",
    "é",
    "e\u{301}",
    "a\u{301}\u{302}\u{303}",
    "\u{301}",
    "🎉",
    "𝔘",
    "😀",
    "👍🏽",
    "👨\u{200d}👩\u{200d}👧\u{200d}👦",
    "🏳\u{fe0f}\u{200d}🌈",
    "🇫🇷",
    "\u{1100}\u{1161}\u{11a8}",
    "<!channel>",
    "<!here>",
    "<@U123ABC>",
    "&",
    "<",
    ">",
    "&amp;",
    "&lt;",
    "\"",
    "\\",
    "\n",
    "\r\n",
    "\u{0}",
    "\u{1f}",
    "…",
    "\u{2028}",
    "\u{feff}",
];
const FIELDS: &[&str] = &["message", "error", "limit", "value", "messagesSentToday", "totalMessagesSent", "note"];

/// Text from a web page at its worst: short runs mostly, now and then
/// thousands of one piece.
fn hostile() -> impl Strategy<Value = String> {
    let run = (select(PIECES), prop_oneof![4 => 1usize..4, 1 => 1usize..3000]);
    prop::collection::vec(run, 0..8).prop_map(|runs| runs.into_iter().map(|(piece, n)| piece.repeat(n)).collect())
}

fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => hostile().prop_map(Value::String),
        1 => any::<i64>().prop_map(Value::from),
        1 => (hostile(), hostile()).prop_map(|(a, b)| json!({"messagesSentToday": a, "nested": [b]})),
    ]
}

fn data() -> impl Strategy<Value = Value> {
    let known = prop::collection::vec((select(FIELDS), field_value()), 0..6);
    let other = prop::collection::vec((hostile(), field_value()), 0..14);
    (known, other, field_value()).prop_map(|(known, other, stats)| {
        let mut data: Map<String, Value> = known.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        data.extend(other);
        data.insert("stats".into(), json!({"messagesSentToday": stats}));
        Value::Object(data)
    })
}

fn utf16(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.encode_utf16().count())
}

fn chars(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// `field` is `full`, or a prefix of it that ends between two grapheme
/// clusters, followed by "…".
fn cut_from(field: &str, full: &str) -> bool {
    if field == full {
        return true;
    }
    let Some(kept) = field.strip_suffix('…') else { return false };
    full.starts_with(kept) && full.grapheme_indices(true).map(|(i, _)| i).take_while(|&i| i <= kept.len()).any(|i| i == kept.len())
}

fn slack_unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: regressions(), ..ProptestConfig::with_cases(256) })]

    #[test]
    fn every_preset_fits_its_service_whatever_the_event_data(kind in select(&EventKind::ALL[..]), data in data()) {
        let event = Event::new("msg_1".into(), kind, Millis(1_700_000_000_000), data);
        let said = sentence(&event);
        for preset in Preset::ALL {
            let body = preset.render(&event, Some("-1001234"));
            if !matches!(preset.body(), Body::Service(_)) {
                // The envelope; a template's preset renders as the envelope too.
                prop_assert_eq!(&body, &event.envelope());
                continue;
            }
            // Every declared limit, for every preset: a new one needs no case below.
            for limit in preset.limits() {
                prop_assert!(limit.fits(&body), "{:?}: over its {} limit", preset, limit.field);
            }
            // What each service needs beyond its declared limits: text cut
            // from the sentence at a grapheme boundary, escaping, mentions.
            match preset {
                Preset::Slack => {
                    for field in [&body["text"], &body["blocks"][0]["text"]["text"]] {
                        prop_assert!(utf16(field) <= SLACK_TEXT.max && !text(field).is_empty(), "{} UTF-16 units", utf16(field));
                        let written = text(field);
                        prop_assert!(!written.contains(['<', '>']), "{written:?}");
                        let bare = written.match_indices('&').any(|(i, _)| !["&amp;", "&lt;", "&gt;"].iter().any(|e| written[i..].starts_with(e)));
                        prop_assert!(!bare, "a bare & in {written:?}");
                        prop_assert!(cut_from(&slack_unescape(written), &said), "{written:?}");
                    }
                }
                Preset::Discord => {
                    let embed = &body["embeds"][0];
                    prop_assert!(chars(&body["content"]) <= DISCORD_CONTENT.max && cut_from(text(&body["content"]), &said));
                    prop_assert!(chars(&embed["title"]) <= DISCORD_TITLE.max);
                    prop_assert!(chars(&embed["description"]) <= DISCORD_DESCRIPTION.max);
                    let details = serde_json::to_string_pretty(&event.data).unwrap();
                    prop_assert!(cut_from(text(&embed["description"]), &details));
                    prop_assert!(chars(&embed["title"]) + chars(&embed["description"]) + chars(&embed["footer"]["text"]) <= DISCORD_EMBED_CHARS);
                    prop_assert_eq!(&body["allowed_mentions"]["parse"], &json!([]));
                }
                Preset::Teams => {
                    let size = body.to_string().len();
                    prop_assert!(size <= TEAMS_MAX_BYTES, "{size} bytes");
                    let card = &body["attachments"][0]["content"]["body"];
                    prop_assert!(cut_from(text(&card[1]["text"]), &said));
                    let facts = card[2]["facts"].as_array().unwrap();
                    let fields = event.data.as_object().unwrap();
                    prop_assert!(facts.len() <= 10);
                    for (fact, (name, value)) in facts.iter().zip(fields) {
                        let value = value.as_str().map_or_else(|| value.to_string(), str::to_string);
                        prop_assert!(cut_from(text(&fact["title"]), name) && cut_from(text(&fact["value"]), &value));
                    }
                }
                Preset::Telegram => {
                    prop_assert!(utf16(&body["text"]) <= TELEGRAM_TEXT.max && !text(&body["text"]).is_empty());
                    prop_assert!(cut_from(text(&body["text"]), &said));
                    prop_assert_eq!(&body["chat_id"], "-1001234");
                }
                Preset::Ifttt => prop_assert_eq!(&body["value2"], &Value::String(said.clone())),
                _ => {}
            }
        }
    }
}

#[test]
fn a_slack_message_cannot_ping_the_channel() {
    let data = json!({"message": "<!channel> deploy & <@U024BE7LH> <https://evil.test|click>"});
    let event = Event::new("m".into(), EventKind::MessageSent, Millis(0), data);
    let body = Preset::Slack.render(&event, None);
    let expected = "Message sent: “&lt;!channel&gt; deploy &amp; &lt;@U024BE7LH&gt; &lt;https://evil.test|click&gt;” (? today, ? in total)";
    assert_eq!(body["text"], expected);
    assert_eq!(body["blocks"][0]["text"]["text"], expected);
}
