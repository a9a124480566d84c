//! Acting on replies: a webhook with `actOnReplies` lets its receiver answer
//! a delivery with `{"autohook": {"reply": "text"}}` (typed into the
//! campaign's chat as its next message) or `{"autohook": {"campaign":
//! "pause" | "resume" | "stop"}}`, the two-way flow chat platforms offer,
//! without AutoHook needing a public URL.
//!
//! Only a 2xx reply to a delivery that is not a Test is acted on, and only
//! to the events of an outside cause ([`Cause`](crate::event::Cause)):
//! never to an event an acted-on reply caused (the message it typed, the
//! pause, resume or stop it asked for, an error on the way), at any depth,
//! so two workflows, or one answering itself, cannot drive the campaign in
//! a loop. A pause,
//! resume or stop from replies is obeyed at most once per campaign
//! interval, and a resume waits a whole interval before the next message
//! ([`Campaign::reply_control_refused`](crate::campaign::Campaign::reply_control_refused)).
//! The text goes through the campaign's own send path (see
//! [`Campaign::queue_reply`](crate::campaign::Campaign::queue_reply)): one
//! per interval, to the same tab, with the same site check. What the chain
//! of one webhook's replies sets off notifies at most three times an hour
//! ([`REPLY_NOTIFICATIONS_PER_HOUR`](super::REPLY_NOTIFICATIONS_PER_HOUR)).
//!
//! This module reads a reply ([`read_reply`]); what the reply may do, and
//! the note its delivery's log entry keeps of it, are decided with the
//! engine's other cross-part rules ([`super::rules`]).
//!
//! Once: the decision is stored in the same write as the delivery's result
//! (the campaign holds the queued text), and the text is typed only after
//! that write is saved. A worker stop before it brings the delivery's retry
//! and a fresh decision; after it, the stored text is typed and the
//! delivery is not sent again.

use serde_json::Value;

use super::{Control, Outcome};
use crate::campaign::MAX_REPLY_CHARS;
use crate::config::StoredConfig;
use crate::redact::Redactor;

/// How much of a reply's body is read for a webhook that acts on replies:
/// room for a 2,000-character text even written all as `\ud83d\ude00`-style
/// escapes (12 bytes a character) and the object around it, yet bounded, so
/// a huge body never enters the worker's memory.
pub const REPLY_BODY_BYTES: usize = 32 * 1024;
/// Most ignored keys named in the log; the rest are counted.
const NAMED_IGNORED: usize = 5;
/// Longest key or value quoted in the log.
const QUOTED_CHARS: usize = 40;

/// What a reply's `autohook` object asks for, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Asked {
    /// Text to type into the chat: non-empty, at most [`MAX_REPLY_CHARS`]
    /// characters.
    pub reply: Option<String>,
    /// A change of the campaign's state: pause, resume or stop.
    pub campaign: Option<Control>,
    /// Why each other part of the object is not acted on.
    pub ignored: Vec<String>,
}

/// Reads the start of a reply's body (at most [`REPLY_BODY_BYTES`] are read):
/// `None` when it asks nothing (empty, or JSON without an `autohook` key),
/// `Err` with the reason when it cannot be acted on at all. serde_json
/// refuses nesting deeper than 128, and the body is never longer than what
/// was read, so no body can exhaust the stack or the memory.
pub fn parse_reply(body: &str) -> Option<Result<Asked, String>> {
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    // The adapter stops at the limit (minus at most a cut character's bytes).
    let cut = body.len() + 4 > REPLY_BODY_BYTES;
    if body.len() > REPLY_BODY_BYTES {
        return Some(Err(format!("the body is longer than the {REPLY_BODY_BYTES} bytes AutoHook reads")));
    }
    let value: Value = match serde_json::from_str(body) {
        Ok(value) => value,
        Err(_) if cut => return Some(Err(format!("the body is longer than the {REPLY_BODY_BYTES} bytes AutoHook reads"))),
        Err(error) => return Some(Err(format!("the body is not JSON ({error})"))),
    };
    let Value::Object(object) = value.get("autohook")? else {
        return Some(Err("autohook is not an object".into()));
    };
    let mut asked = Asked::default();
    let mut unknown = 0;
    for (key, value) in object {
        let why = match (key.as_str(), value) {
            ("reply", Value::String(text)) if text.trim().is_empty() => "reply is empty".to_string(),
            ("reply", Value::String(text)) => match text.chars().count() {
                n if n > MAX_REPLY_CHARS => format!("reply is {n} characters; at most {MAX_REPLY_CHARS}"),
                _ => {
                    asked.reply = Some(text.clone());
                    continue;
                }
            },
            ("reply", _) => "reply is not a string".into(),
            ("campaign", Value::String(word)) => match word.as_str() {
                "pause" | "resume" | "stop" => {
                    asked.campaign = Some(match word.as_str() {
                        "pause" => Control::Pause,
                        "resume" => Control::Resume,
                        _ => Control::Stop,
                    });
                    continue;
                }
                other => format!("campaign must be pause, resume or stop, not {:?}", quoted(other)),
            },
            ("campaign", _) => "campaign is not a string".into(),
            (other, _) => {
                unknown += 1;
                if unknown > NAMED_IGNORED {
                    continue;
                }
                format!("{:?} is not reply or campaign", quoted(other))
            }
        };
        asked.ignored.push(why);
    }
    if unknown > NAMED_IGNORED {
        asked.ignored.push(format!("{} more keys", unknown - NAMED_IGNORED));
    }
    Some(Ok(asked))
}

fn acts_on_replies(config: &StoredConfig) -> bool {
    config.valid().is_ok_and(|c| c.act_on_replies)
}

/// At most [`QUOTED_CHARS`] characters of `text`, for the log.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// How much of a response body to read for the webhook with `config`:
/// enough for a reply when it acts on replies, else nothing beyond what the
/// log needs (0).
pub(super) fn reply_bytes(config: &StoredConfig) -> usize {
    if acts_on_replies(config) {
        REPLY_BODY_BYTES
    } else {
        0
    }
}

/// What the reply `outcome` to a delivery of the webhook with `config`
/// asks, read before the log cuts the body; `None` unless it is a 2xx to
/// a webhook that acts on replies and asks something. The text has the
/// request's credentials scrubbed (`redactor`), as the log does, so a
/// workflow that echoes its input into `reply` cannot type a secret into
/// the chat.
pub(super) fn read_reply(config: &StoredConfig, outcome: &Outcome, redactor: &Redactor) -> Option<Result<Asked, String>> {
    let Outcome::Response { status: 200..=299, body, .. } = outcome else { return None };
    if !acts_on_replies(config) {
        return None;
    }
    let mut asked = parse_reply(body)?;
    if let Ok(asked) = &mut asked {
        // Never longer for it: a mask is shorter than the shortest value it hides.
        asked.reply = asked.reply.take().map(|text| redactor.scrub(&text));
    }
    Some(asked)
}
