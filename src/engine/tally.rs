//! A count per webhook, kept beside a collection that holds its items (the
//! outbox's deliveries, the deliveries awaiting their write), so a share
//! reads one entry instead of scanning the collection per request.

use crate::ids::IdMap;

/// How many items each webhook has; a webhook with none has no entry.
#[derive(Debug, Default)]
pub struct Tally(IdMap<usize>);

impl Tally {
    /// Counts one more for `webhook_id`.
    pub fn add(&mut self, webhook_id: &str) {
        match self.0.get_mut(webhook_id) {
            Some(count) => *count += 1,
            None => drop(self.0.insert(webhook_id.to_string(), 1)),
        }
    }

    /// Counts one fewer for `webhook_id`.
    pub fn remove(&mut self, webhook_id: &str) {
        if let Some(count) = self.0.get_mut(webhook_id) {
            *count -= 1;
            if *count == 0 {
                self.0.remove(webhook_id);
            }
        }
    }

    /// How many `webhook_id` has.
    pub fn of(&self, webhook_id: &str) -> usize {
        self.0.get(webhook_id).copied().unwrap_or(0)
    }

    /// How many webhooks have any.
    pub fn webhooks(&self) -> usize {
        self.0.len()
    }

    /// The webhooks that have any.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}
