//! Answers to recent requests that changed state. The shell repeats a
//! request once when its answer was lost (the browser stopped the worker
//! while it answered); the work was already done and stored, so the repeat
//! must get the first answer rather than create, emit or send again.
//! Stored with the rest of the state, since the repeat reaches a new worker.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time::Millis;

/// Most answers kept: a repeat follows its lost answer within about a second,
/// so a few dozen cover any burst a page makes.
pub const KEPT_ANSWERS: usize = 64;
/// Most bytes of JSON the kept answers may take together: the key is
/// rewritten with every batch that answers such a request, and storage has
/// a quota. Past it the oldest go first; an answer larger than this alone is
/// not kept (a repeat of it then runs again).
pub const KEPT_ANSWER_BYTES: usize = 64 * 1024;
/// How long an answer is kept.
pub const KEPT_ANSWER_MS: u64 = 10 * 60_000;
/// Longest request id accepted.
pub const MAX_REQUEST_ID_CHARS: usize = 64;

/// What to answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Answer {
    /// Answer with this value now.
    Now(Value),
    /// Answer with the delivery's result once it has finished (Test).
    AfterDelivery(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Entry {
    id: String,
    at: Millis,
    /// Stored as `reply`, its name before issue #27 gave one name per concept.
    #[serde(rename = "reply")]
    answer: Answer,
    /// The size of `answer` as JSON, counted once.
    bytes: usize,
}

/// The kept answers, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Answers(VecDeque<Entry>);

impl Answers {
    /// The answer given to request `id`, if it is still kept at `now`.
    pub fn get(&self, id: &str, now: Millis) -> Option<&Answer> {
        let fresh = |entry: &&Entry| entry.at.plus(KEPT_ANSWER_MS) > now;
        self.0.iter().filter(fresh).find(|entry| entry.id == id).map(|entry| &entry.answer)
    }

    /// Keeps `answer` as the answer to request `id`, forgetting the oldest
    /// past [`KEPT_ANSWERS`] or [`KEPT_ANSWER_MS`].
    pub fn remember(&mut self, id: String, answer: Answer, now: Millis) {
        let bytes = serde_json::to_string(&answer).map_or(usize::MAX, |json| json.len());
        if bytes > KEPT_ANSWER_BYTES {
            return;
        }
        self.0.push_back(Entry { id, at: now, answer, bytes });
        let mut total: usize = self.0.iter().map(|e| e.bytes).sum();
        while self.0.len() > KEPT_ANSWERS || total > KEPT_ANSWER_BYTES || self.0.front().is_some_and(|e| e.at.plus(KEPT_ANSWER_MS) <= now) {
            let Some(dropped) = self.0.pop_front() else { break };
            total -= dropped.bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_found_until_it_is_too_old_or_too_many_came_after() {
        let mut answers = Answers::default();
        answers.remember("a".into(), Answer::Now(Value::from(1)), Millis(0));
        assert_eq!(answers.get("a", Millis(1)), Some(&Answer::Now(Value::from(1))));
        assert_eq!(answers.get("a", Millis(KEPT_ANSWER_MS)), None);
        for n in 0..KEPT_ANSWERS {
            answers.remember(n.to_string(), Answer::AfterDelivery(n.to_string()), Millis(2));
        }
        assert_eq!(answers.get("a", Millis(3)), None);
        assert_eq!(answers.get("0", Millis(3)), Some(&Answer::AfterDelivery("0".into())));
    }

    #[test]
    fn kept_replies_stay_within_their_byte_budget() {
        let mut answers = Answers::default();
        let big = Answer::Now(Value::String("x".repeat(KEPT_ANSWER_BYTES / 3)));
        for n in 0..4 {
            answers.remember(n.to_string(), big.clone(), Millis(0));
        }
        assert_eq!(answers.get("0", Millis(1)), None, "the oldest made room");
        assert!(answers.get("3", Millis(1)).is_some());
        answers.remember("huge".into(), Answer::Now(Value::String("x".repeat(KEPT_ANSWER_BYTES))), Millis(0));
        assert_eq!(answers.get("huge", Millis(1)), None, "too large to keep at all");
        assert!(answers.get("3", Millis(1)).is_some(), "and it pushed nothing out");
    }
}
