//! The engine's side of campaigns: the campaign is stored with everything
//! else (one key, `campaign`), and the events it raises are delivered like
//! any other.

use super::{Engine, EngineError, NotificationKind};
use crate::campaign::{Campaign, CampaignError, CampaignInput, Selectors, SendCommand, SendFailure};
use crate::event::{Cause, EventKind, OwnData};
use crate::time::Millis;

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

impl Engine {
    /// The campaign.
    pub fn campaign(&self) -> &Campaign {
        &self.campaign
    }

    /// Local time's offset east of UTC, in minutes: the campaign's day
    /// ends at local midnight and its schedule is in local time.
    pub fn set_utc_offset(&mut self, minutes: i32) {
        // Not stored: the driver tells it at every start.
        self.campaign.edit_if(|campaign| (campaign.set_utc_offset(minutes), false));
    }

    /// Changes the campaign's settings; nothing changes on error.
    pub fn configure_campaign(&mut self, input: CampaignInput, now: Millis) -> Result<(), EngineError> {
        Ok(self.campaign.try_edit(|campaign| campaign.configure(input, now))?)
    }

    /// Points the campaign at `selectors` in a tab showing `url`, as the
    /// user chose in an extension page.
    pub fn set_campaign_target(&mut self, tab_id: u32, url: &str, selectors: Selectors) -> Result<(), EngineError> {
        Ok(self.campaign.try_edit(|campaign| campaign.set_target(tab_id, url, selectors))?)
    }

    /// Opens a pick in tab `tab_id` showing `url` for the picker the popup
    /// injects there, with the fresh random `token` it will hand back;
    /// returns when the pick expires (see [`Campaign::begin_pick`]).
    pub fn begin_campaign_pick(&mut self, tab_id: u32, url: &str, token: String, now: Millis) -> Result<Millis, EngineError> {
        Ok(self.campaign.try_edit(|campaign| campaign.begin_pick(tab_id, url, token, now))?)
    }

    /// The picker's choice from its own tab: accepted once, with the open
    /// pick's token (see [`Campaign::finish_pick`]).
    pub fn finish_campaign_pick(
        &mut self,
        tab_id: u32,
        url: &str,
        selectors: Selectors,
        token: Option<&str>,
        now: Millis,
    ) -> Result<(), EngineError> {
        Ok(self.campaign.try_edit(|campaign| campaign.finish_pick(tab_id, url, selectors, token, now))?)
    }

    /// Call once when the browser (not just the worker) has started afresh:
    /// tab ids are reused across browser sessions, so the campaign forgets
    /// its tab rather than type into whatever tab has that id now (see
    /// [`Campaign::browser_restarted`]).
    pub fn browser_restarted(&mut self) {
        self.campaign.edit().browser_restarted();
    }

    /// Starts, pauses, resumes or stops the campaign, raising its event.
    pub fn control_campaign(&mut self, control: Control, now: Millis) -> Result<(), EngineError> {
        self.control_campaign_caused(control, Cause::Outside, now)
    }

    /// [`Engine::control_campaign`] for `cause`. A reply's control raises
    /// events of that cause, whose own replies are never acted on, and is
    /// obeyed at most once per interval (see `replies.rs`).
    pub(super) fn control_campaign_caused(&mut self, control: Control, cause: Cause, now: Millis) -> Result<(), EngineError> {
        let raised = self.campaign.try_edit(|campaign| {
            let raised = match control {
                Control::Start => campaign.start(now),
                Control::Pause => campaign.pause(now),
                Control::Resume => campaign.resume(now),
                Control::Stop => campaign.stop(now),
            }?;
            match &cause {
                Cause::Reply(replier) => campaign.reply_control_obeyed(replier, now),
                Cause::Outside => campaign.outside_control(),
            }
            Ok::<_, CampaignError>(raised)
        })?;
        self.raise(raised, cause, now);
        Ok(())
    }

    /// The next text the campaign wants typed, after starting or ending a
    /// scheduled run whose time has come, or pausing for a send it cannot make.
    pub(super) fn poll_campaign_send(&mut self, now: Millis) -> Option<SendCommand> {
        let raised = self.campaign.edit_if(|campaign| campaign.tick(now));
        self.raise(raised, Cause::Outside, now);
        let paused = self.campaign.edit_if(|campaign| {
            let paused = campaign.pause_if_unsendable(now);
            let changed = paused.is_some();
            (paused, changed)
        });
        if let Some((cause, raised)) = paused {
            self.raise(raised, cause, now);
        }
        self.campaign.edit_if(|campaign| {
            let command = campaign.poll_send(now);
            let changed = command.is_some();
            (command, changed)
        })
    }

    /// What became of send `seq`: `Ok(text)` once sent, or why it failed.
    pub fn campaign_sent(&mut self, seq: u64, result: Result<String, SendFailure>, now: Millis) {
        let cause = self.campaign.cause_of_send(seq, result.is_err(), now);
        let raised = self.campaign.edit().send_result(seq, result, now);
        self.raise(raised, cause, now);
    }

    /// Delivers the campaign's events, all of `cause`, which their
    /// notifications share. An event the outbox cannot take is logged by
    /// `emit` (too large) or dropped (outbox full: 10,000 events already
    /// wait), never allowed to stop the campaign.
    fn raise(&mut self, raised: Vec<OwnData>, cause: Cause, now: Millis) {
        self.settle_reply();
        let raised_kind = |kind: EventKind| raised.iter().any(|data| data.kind() == kind);
        // An error and a pause together: the campaign paused on the error.
        if raised_kind(EventKind::Error) && raised_kind(EventKind::CampaignPaused) {
            self.notify(NotificationKind::CampaignPaused, None, None, &cause, now);
        }
        let limit = raised.iter().find_map(|data| match data {
            OwnData::DailyLimitReached(reached) => Some(reached.limit),
            _ => None,
        });
        if let Some(limit) = limit {
            self.notify(NotificationKind::DailyLimit, None, Some(u64::from(limit)), &cause, now);
        }
        for data in raised {
            let _ = self.emit_caused(data.kind(), data.into(), cause.clone(), now);
        }
    }
}

/// The engine's random seed folded into the campaign's (see [`Campaign::seeded`]).
pub(super) fn campaign_seed(bytes: [u8; 16]) -> u64 {
    let (low, high) = bytes.split_at(8);
    let word = |half: &[u8]| u64::from_le_bytes(half.try_into().unwrap_or_default());
    word(low) ^ word(high)
}
