//! The campaign part: the campaign ([`Campaign`], stored whole under one
//! key, `campaign`) with the write batch that holds a reply it queued, which
//! is typed only once that batch is saved. What the campaign's events do to
//! the other parts (their deliveries and notifications) is a rule across
//! parts: [`super::rules`].

use std::ops::Deref;

use super::stored::{Stored, Writes};
use super::Key;
use crate::campaign::{Campaign, QueuedReply, ReplyRefused};

/// A change of a campaign's state the user asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Start sending.
    Start,
    /// Pause a running campaign.
    Pause,
    /// Resume a paused one.
    Resume,
    /// Stop.
    Stop,
}

/// The campaign, and where its queued reply is on its way to storage.
#[derive(Debug)]
pub(super) struct CampaignPart {
    campaign: Stored<Campaign>,
    /// The write batch holding a reply queued for the chat (`Some(None)`
    /// until one does).
    reply_batch: Option<Option<u64>>,
}

impl CampaignPart {
    /// The campaign as read from storage, its random numbers drawn from the
    /// engine's `seed` (see [`Campaign::seeded`]).
    pub fn new(campaign: Campaign, seed: [u8; 16]) -> CampaignPart {
        let (low, high) = seed.split_at(8);
        let word = |half: &[u8]| u64::from_le_bytes(half.try_into().unwrap_or_default());
        CampaignPart { campaign: Stored::new(campaign.seeded(word(low) ^ word(high))), reply_batch: None }
    }

    /// The campaign, to change: see [`Stored::edit`].
    pub fn edit(&mut self) -> &mut Campaign {
        self.campaign.edit()
    }

    /// See [`Stored::edit_if`].
    pub fn edit_if<R>(&mut self, change: impl FnOnce(&mut Campaign) -> (R, bool)) -> R {
        self.campaign.edit_if(change)
    }

    /// See [`Stored::try_edit`].
    pub fn try_edit<R, E>(&mut self, change: impl FnOnce(&mut Campaign) -> Result<R, E>) -> Result<R, E> {
        self.campaign.try_edit(change)
    }

    /// Queues a receiver's reply as the campaign's next message (see
    /// [`Campaign::queue_reply`]): typed once the next batch is saved.
    pub fn queue_reply(&mut self, reply: QueuedReply) -> Result<(), ReplyRefused> {
        self.campaign.try_edit(|campaign| campaign.queue_reply(reply))?;
        self.reply_batch = Some(None);
        Ok(())
    }

    /// Adds the campaign to `writes` if it changed, in the batch numbered
    /// `batch`, which then holds a queued reply not yet in one.
    pub fn take_change(&mut self, batch: u64, writes: &mut Writes) {
        if self.reply_batch == Some(None) {
            self.reply_batch = Some(Some(batch));
        }
        self.campaign.take_change(Key::Campaign, writes);
    }

    /// Batch `batch` (and every earlier one) is saved: a queued reply it
    /// holds may be typed.
    pub fn saved(&mut self, batch: u64) {
        if self.reply_batch.is_some_and(|held| held.is_some_and(|b| b <= batch)) {
            self.reply_batch = None;
            // Not stored: a reply read from storage is saved already.
            self.campaign.edit_if(|campaign| (campaign.reply_saved(), false));
        }
    }

    /// Batch `batch` failed: the campaign is written with the next, and a
    /// queued reply it held waits for that one.
    pub fn failed(&mut self, batch: u64) {
        if self.reply_batch == Some(Some(batch)) {
            self.reply_batch = Some(None);
        }
    }

    /// See [`Stored::rewrite`].
    pub fn rewrite(&mut self) {
        self.campaign.rewrite();
    }
}

impl Deref for CampaignPart {
    type Target = Campaign;

    fn deref(&self) -> &Campaign {
        &self.campaign
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::time::Millis;

    /// A campaign running in a chat tab, with a reply queued.
    fn replying() -> CampaignPart {
        let mut part = CampaignPart::new(Campaign::default(), [7; 16]);
        let selectors = serde_json::from_value(json!({"input": "#msg"})).expect("selectors");
        let settings = serde_json::from_value(json!({"phrases": ["a"]})).expect("campaign settings");
        let campaign = part.edit();
        campaign.set_target(4, "https://chat.test/room", selectors).expect("a chat target");
        campaign.configure(settings, Millis(0)).expect("a campaign");
        campaign.start(Millis(0)).expect("a campaign ready to start");
        let reply = QueuedReply { text: "hi".into(), delivery_id: "dlv_1".into(), webhook_id: "wh_1".into() };
        part.queue_reply(reply).expect("a running campaign takes a reply");
        part
    }

    /// Whether the campaign would type anything an hour on.
    fn types(part: &mut CampaignPart) -> bool {
        part.edit().poll_send(Millis(3_600_000)).is_some()
    }

    #[test]
    fn a_queued_reply_is_typed_once_the_batch_holding_it_is_saved() {
        let mut part = replying();
        assert!(!types(&mut part), "not before it is written");
        let mut writes = Writes::default();
        part.take_change(1, &mut writes);
        assert!(writes.into_changes(1).set.contains_key("campaign"), "the reply is in batch 1");
        part.saved(0);
        assert!(!types(&mut part), "an earlier batch does not hold it");
        part.saved(1);
        assert!(types(&mut part));
    }

    #[test]
    fn a_queued_reply_whose_batch_failed_waits_for_the_next() {
        let mut part = replying();
        part.take_change(1, &mut Writes::default());
        part.failed(1);
        part.saved(1);
        assert!(!types(&mut part), "batch 1 was not saved after all");
        part.take_change(2, &mut Writes::default());
        part.saved(2);
        assert!(types(&mut part));
    }
}
