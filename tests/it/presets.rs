//! Presets are safe for their service whatever a web page puts in the event:
//! 4-byte characters, combining marks, ZWJ emoji, markdown links, mentions
//! in each service's syntax, URLs with and without a scheme, HTML, JSON
//! escapes and huge lengths. Every body stays within each limit of its
//! service, counted the service's way; every cut falls between grapheme
//! clusters and ends in "…"; no chat service gets event text it would act
//! on as a link or a mention; and what a reader sees, once the service has
//! undone its escapes, is the event's text as it was.

use autohook::limits::{
    DISCORD_CONTENT, DISCORD_DESCRIPTION, DISCORD_EMBED_CHARS, DISCORD_TITLE, SLACK_TEXT, TEAMS_MAX_BYTES, TELEGRAM_TEXT,
};
use autohook::{sentence, Body, Event, EventKind, Millis, Preset};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Value};
use unicode_segmentation::UnicodeSegmentation;

use crate::common::regressions;

/// Text a web page may put in an event, by class: Unicode at its hardest,
/// Slack, Discord and Teams link and mention syntax, URLs with and without
/// a scheme, markdown, HTML, entities and escapes, and JSON's own escapes.
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
    // Slack: mentions, a user group, a channel and links.
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123ABC>",
    "<!subteam^S012|team>",
    "<#C024BE7LR|general>",
    "<https://evil.test|click>",
    // Discord: mentions, pings, a timestamp, emoji and a command.
    "@everyone",
    "@here",
    "<@123>",
    "<@!123>",
    "<@&456>",
    "<#789>",
    "<t:1700000000:R>",
    "<:e:1>",
    ":smile:",
    "</cmd:1>",
    // Markdown links, nested brackets, URLs with and without a scheme.
    "[click](https://evil.test)",
    "[[a](b)](c)",
    "](",
    "https://evil.test/a_b?c=d&e=f",
    "http://x.test",
    "steam://run/1",
    "<https://evil.test>",
    "www.evil.test",
    "evil.test/path",
    "mailto:a@evil.test",
    // Styles and line-start markup.
    "**b**",
    "*i*",
    "__u__",
    "_i_",
    "~~s~~",
    "||spoiler||",
    "`code`",
    "```",
    "# ",
    "-# ",
    "> ",
    ">>> ",
    "- ",
    "1. ",
    // Teams mentions, HTML, entities and escapes.
    "<at>Ada</at>",
    "<b>html</b>",
    "&",
    "<",
    ">",
    "&amp;",
    "&lt;",
    "&#60;",
    "\\*",
    "\\:",
    "\\\\",
    "¯\\_(ツ)_/¯",
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

/// What Slack shows for mrkdwn text: each of its three entities as its
/// character, read left to right. `None` if the text has a `&` that starts
/// none of them, which Slack would not show as written.
fn slack_unescape(written: &str) -> Option<String> {
    let mut shown = String::with_capacity(written.len());
    let mut rest = written;
    while let Some(at) = rest.find('&') {
        shown.push_str(&rest[..at]);
        let (c, entity) = [('&', "&amp;"), ('<', "&lt;"), ('>', "&gt;")].into_iter().find(|(_, e)| rest[at..].starts_with(e))?;
        shown.push(c);
        rest = &rest[at + entity.len()..];
    }
    shown.push_str(rest);
    Some(shown)
}

/// What Discord reads in `written`: each character and whether it was
/// escaped. Discord's escape rule (simple-markdown's `\\([^0-9A-Za-z\s])`)
/// shows the character after a backslash as text, unless it is a letter, a
/// digit or whitespace, and no other rule matches an escaped character.
fn discord_read(written: &str) -> Vec<(char, bool)> {
    let mut read = Vec::with_capacity(written.len());
    let mut chars = written.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && !next.is_ascii_alphanumeric() && !next.is_whitespace() => {
                read.push((next, true));
                chars.next();
            }
            _ => read.push((c, false)),
        }
    }
    read
}

/// What Discord acts on, as parse-discord (checked against Discord's
/// client) reads it: every mention, role, channel, timestamp, custom emoji
/// and `<url>` opens with `<`; pings are `@everyone` and `@here`; a masked
/// link opens with `[`; a bare link (`https://`) and an emoji (`:smile:`)
/// need a `:`; styles, code and spoilers are `*`, `_`, `~`, `` ` ``, `|`;
/// quotes, headings, lists and subtext start a line with `>`, `#`, `-`.
fn discord_acts_on(unescaped: &str) -> bool {
    let syntax = ["<", "@everyone", "@here", "[", ":", "*", "_", "~", "`", "|"];
    syntax.iter().any(|s| unescaped.contains(s)) || unescaped.lines().any(|line| line.trim_start().starts_with(['>', '#', '-']))
}

/// Checks that `body`, `preset`'s rendering of `event`, gives its service
/// no event text it would act on as a link or a mention, and that a
/// reader, once the service has undone its escapes, sees the text as it
/// was (or cut to fit). Chat presets only; the others are left alone.
fn assert_inert(preset: Preset, event: &Event, body: &Value) -> Result<(), TestCaseError> {
    let said = sentence(event);
    match preset {
        Preset::Slack => {
            let section = &body["blocks"][0]["text"];
            prop_assert_eq!(&section["verbatim"], &json!(true), "Slack would link bare URLs and names");
            let options = [&body["parse"], &body["link_names"], &body["unfurl_links"], &body["unfurl_media"]];
            prop_assert_eq!(options, [&json!("none"), &json!(false), &json!(false), &json!(false)]);
            for field in [&body["text"], &section["text"]] {
                let written = text(field);
                prop_assert!(!written.contains(['<', '>']), "a Slack control sequence in {written:?}");
                let shown = slack_unescape(written);
                prop_assert!(shown.as_deref().is_some_and(|shown| cut_from(shown, &said)), "{written:?} shows as {shown:?}");
            }
        }
        Preset::Discord => {
            prop_assert_eq!(&body["allowed_mentions"], &json!({"parse": []}));
            let details = serde_json::to_string_pretty(&event.data).unwrap();
            for (field, full) in [(&body["content"], &said), (&body["embeds"][0]["description"], &details)] {
                let read = discord_read(text(field));
                let unescaped: String = read.iter().map(|&(c, escaped)| if escaped { ' ' } else { c }).collect();
                prop_assert!(!discord_acts_on(&unescaped), "Discord acts on {:?}", text(field));
                let shown: String = read.iter().map(|&(c, _)| c).collect();
                prop_assert!(cut_from(&shown, full), "{:?} shows as {shown:?}", text(field));
            }
        }
        Preset::Teams => {
            let card = &body["attachments"][0]["content"];
            prop_assert!(card.get("msteams").is_none(), "Teams mentions are declared in msteams.entities");
            let (title, blocks) = card["body"].as_array().unwrap().split_first().unwrap();
            // The title is the only markdown, and it is AutoHook's own.
            prop_assert_eq!(&title["type"], "TextBlock");
            prop_assert_eq!(text(&title["text"]), format!("AutoHook: {}", event.kind.as_str()));
            let mut runs = Vec::new();
            for block in blocks {
                prop_assert_eq!(&block["type"], "RichTextBlock");
                for inline in block["inlines"].as_array().unwrap() {
                    prop_assert!(inline["type"] == "TextRun" && inline.get("selectAction").is_none(), "{inline}");
                }
                runs.push(block["inlines"].as_array().unwrap().iter().map(|run| text(&run["text"])).collect::<Vec<_>>());
            }
            let (sentence_runs, facts) = runs.split_first().unwrap();
            prop_assert!(cut_from(sentence_runs.concat().as_str(), &said), "{sentence_runs:?}");
            let data = event.data.to_value();
            let fields = data.as_object().unwrap();
            prop_assert_eq!(facts.len(), fields.len().min(10));
            for (fact, (name, value)) in facts.iter().zip(fields) {
                let value = value.as_str().map_or_else(|| value.to_string(), str::to_string);
                let [shown_name, shown_value] = fact[..] else { return Err(TestCaseError::fail(format!("{fact:?}"))) };
                let shown_value = shown_value.strip_prefix(": ").unwrap_or_default();
                prop_assert!(cut_from(shown_name, name) && cut_from(shown_value, &value), "{fact:?}");
            }
        }
        Preset::Telegram => {
            let fields: Vec<&String> = body.as_object().unwrap().keys().collect();
            prop_assert_eq!(fields, ["chat_id", "text", "link_preview_options"], "no parse_mode and no entities: plain text");
            prop_assert_eq!(&body["link_preview_options"]["is_disabled"], &json!(true));
            prop_assert!(cut_from(text(&body["text"]), &said));
        }
        Preset::Ifttt => prop_assert_eq!(&body["value2"], &Value::String(said)),
        _ => {}
    }
    Ok(())
}

fn event(kind: EventKind, data: Value) -> Event {
    Event::new("msg_1".into(), kind, Millis(1_700_000_000_000), data)
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: regressions(), ..ProptestConfig::with_cases(256) })]

    #[test]
    fn every_preset_fits_its_service_whatever_the_event_data(kind in select(&EventKind::ALL[..]), data in data()) {
        let event = event(kind, data);
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
            // What each service needs beyond its declared limits.
            match preset {
                Preset::Slack => {
                    for field in [&body["text"], &body["blocks"][0]["text"]["text"]] {
                        prop_assert!(utf16(field) <= SLACK_TEXT.max && !text(field).is_empty(), "{} UTF-16 units", utf16(field));
                    }
                }
                Preset::Discord => {
                    let embed = &body["embeds"][0];
                    prop_assert!(chars(&body["content"]) <= DISCORD_CONTENT.max && chars(&embed["title"]) <= DISCORD_TITLE.max);
                    prop_assert!(chars(&embed["description"]) <= DISCORD_DESCRIPTION.max);
                    prop_assert!(chars(&embed["title"]) + chars(&embed["description"]) + chars(&embed["footer"]["text"]) <= DISCORD_EMBED_CHARS);
                }
                Preset::Teams => {
                    let size = body.to_string().len();
                    prop_assert!(size <= TEAMS_MAX_BYTES, "{size} bytes");
                }
                Preset::Telegram => {
                    prop_assert!(utf16(&body["text"]) <= TELEGRAM_TEXT.max && !text(&body["text"]).is_empty());
                    prop_assert_eq!(&body["chat_id"], "-1001234");
                }
                _ => {}
            }
        }
    }

    #[test]
    fn chat_presets_show_event_text_as_written_and_never_as_a_link_or_mention(kind in select(&EventKind::ALL[..]), data in data()) {
        let event = event(kind, data);
        for preset in Preset::ALL {
            assert_inert(preset, &event, &preset.render(&event, Some("-1001234")))?;
        }
    }
}

#[test]
fn every_hostile_piece_reaches_every_chat_service_as_inert_text() {
    for piece in PIECES {
        let around = format!("see {piece}here, then{piece}");
        let data = json!({"message": around, "error": piece, *piece: around});
        for kind in [EventKind::MessageSent, EventKind::Error] {
            let event = event(kind, data.clone());
            for preset in Preset::ALL {
                let body = preset.render(&event, Some("-1001234"));
                assert_inert(preset, &event, &body).unwrap_or_else(|e| panic!("{preset:?} with {piece:?}: {e}"));
            }
        }
    }
}

#[test]
fn a_slack_message_cannot_ping_the_channel() {
    let data = json!({"message": "<!channel> deploy & <@U024BE7LH> <https://evil.test|click>"});
    let body = Preset::Slack.render(&event(EventKind::MessageSent, data), None);
    let expected = "Message sent: “&lt;!channel&gt; deploy &amp; &lt;@U024BE7LH&gt; &lt;https://evil.test|click&gt;” (? today, ? in total)";
    assert_eq!(body["text"], expected);
    assert_eq!(body["blocks"][0]["text"]["text"], expected);
}

#[test]
fn a_discord_message_shows_links_and_mentions_as_the_characters_typed() {
    let data = json!({"message": "[click](https://evil.test) @everyone <@123> https://evil.test"});
    let body = Preset::Discord.render(&event(EventKind::MessageSent, data), None);
    let expected = r"Message sent\: “\[click](https\://evil.test) \@everyone \<\@123\> https\://evil.test” (? today, ? in total)";
    assert_eq!(body["content"], expected);
}
