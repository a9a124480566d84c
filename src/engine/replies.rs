//! Replies to recent requests that changed state. The shell repeats a
//! request once when its reply was lost (the browser stopped the worker
//! while it answered); the work was already done and stored, so the repeat
//! must get the first answer rather than create, emit or send again.
//! Stored with the rest of the state, since the repeat reaches a new worker.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time::Millis;

/// Most replies kept: a repeat follows its lost reply within about a second,
/// so a few dozen cover any burst a page makes.
pub const KEPT_REPLIES: usize = 64;
/// Most bytes of JSON the kept replies may take together: the key is
/// rewritten with every batch that answers such a request, and storage has
/// a quota. Past it the oldest go first; a reply larger than this alone is
/// not kept (a repeat of it then runs again).
pub const KEPT_REPLY_BYTES: usize = 64 * 1024;
/// How long a reply is kept.
pub const KEPT_REPLY_MS: u64 = 10 * 60_000;
/// Longest request id accepted.
pub const MAX_REQUEST_ID_CHARS: usize = 64;

/// What to answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Reply {
    /// Answer with this value now.
    Now(Value),
    /// Answer with the delivery's result once it has finished (Test).
    AfterDelivery(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Entry {
    id: String,
    at: Millis,
    reply: Reply,
    /// The size of `reply` as JSON, counted once.
    bytes: usize,
}

/// The kept replies, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Replies(VecDeque<Entry>);

impl Replies {
    /// The reply given to request `id`, if it is still kept at `now`.
    pub fn get(&self, id: &str, now: Millis) -> Option<&Reply> {
        let fresh = |entry: &&Entry| entry.at.plus(KEPT_REPLY_MS) > now;
        self.0.iter().filter(fresh).find(|entry| entry.id == id).map(|entry| &entry.reply)
    }

    /// Keeps `reply` as the answer to request `id`, forgetting the oldest
    /// past [`KEPT_REPLIES`] or [`KEPT_REPLY_MS`].
    pub fn remember(&mut self, id: String, reply: Reply, now: Millis) {
        let bytes = serde_json::to_string(&reply).map_or(usize::MAX, |json| json.len());
        if bytes > KEPT_REPLY_BYTES {
            return;
        }
        self.0.push_back(Entry { id, at: now, reply, bytes });
        let mut total: usize = self.0.iter().map(|e| e.bytes).sum();
        while self.0.len() > KEPT_REPLIES || total > KEPT_REPLY_BYTES || self.0.front().is_some_and(|e| e.at.plus(KEPT_REPLY_MS) <= now) {
            let Some(dropped) = self.0.pop_front() else { break };
            total -= dropped.bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_found_until_it_is_too_old_or_too_many_came_after() {
        let mut replies = Replies::default();
        replies.remember("a".into(), Reply::Now(Value::from(1)), Millis(0));
        assert_eq!(replies.get("a", Millis(1)), Some(&Reply::Now(Value::from(1))));
        assert_eq!(replies.get("a", Millis(KEPT_REPLY_MS)), None);
        for n in 0..KEPT_REPLIES {
            replies.remember(n.to_string(), Reply::AfterDelivery(n.to_string()), Millis(2));
        }
        assert_eq!(replies.get("a", Millis(3)), None);
        assert_eq!(replies.get("0", Millis(3)), Some(&Reply::AfterDelivery("0".into())));
    }

    #[test]
    fn kept_replies_stay_within_their_byte_budget() {
        let mut replies = Replies::default();
        let big = Reply::Now(Value::String("x".repeat(KEPT_REPLY_BYTES / 3)));
        for n in 0..4 {
            replies.remember(n.to_string(), big.clone(), Millis(0));
        }
        assert_eq!(replies.get("0", Millis(1)), None, "the oldest made room");
        assert!(replies.get("3", Millis(1)).is_some());
        replies.remember("huge".into(), Reply::Now(Value::String("x".repeat(KEPT_REPLY_BYTES))), Millis(0));
        assert_eq!(replies.get("huge", Millis(1)), None, "too large to keep at all");
        assert!(replies.get("3", Millis(1)).is_some(), "and it pushed nothing out");
    }
}
