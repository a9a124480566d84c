//! Campaigns: AutoChat-style auto-send in a chat tab, as a sans-IO state
//! machine. It is fed commands, send results and the current time, and
//! answers with texts to send (the content script types them) and the
//! events that happened, which the engine delivers to webhooks.
//!
//! Counters reset at local midnight (the caller gives its UTC offset);
//! `chrome.alarms` wakes the worker for sends and scheduled starts, so a
//! campaign outlives the popup and the service worker.
//!
//! Trust: a campaign types only into the site (origin) its target was
//! chosen on. Each [`SendCommand`] carries that site and the content script
//! compares it with the page's own origin right before typing, so a tab
//! that navigated elsewhere gets nothing ([`SendFailure::WrongSite`]). A
//! browser restart forgets the tab ([`Campaign::browser_restarted`]), since
//! tab ids are reused. A web page's content script may choose the target
//! only with the one-time token of a pick the user started from the popup
//! ([`Campaign::begin_pick`], [`Campaign::finish_pick`]).

pub mod cron;
mod settings;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use thiserror::Error;
use url::Url;

use crate::catalog::ErrorCode;
use crate::event::{data, Cause, MessageCounts, MessageSource, OwnData};
use crate::preset::cut;
use crate::time::Millis;
use cron::{Cron, CronError};
pub(crate) use settings::limits;
pub use settings::{CampaignInput, CampaignSettings, ScheduleInput};
use settings::{Order, SendBy, MAX_INTERVAL_SECONDS, MAX_PHRASES, MAX_PHRASE_CHARS, MAX_SELECTOR_CHARS};

/// The `error` when a send is due and no tab is bound.
const NO_CHAT_TAB: &str =
    "no chat tab: the browser restarted, so the chat must be chosen again (Pick input, or Use the saved input here, in the popup); nothing was typed";

/// The `error` when a send is due and a stored campaign has no phrases.
const NO_PHRASES: &str = "no phrases to send: add some in the campaign's settings; nothing was typed";

/// Message counts at which `milestone` fires.
pub const MILESTONES: [u64; 7] = [10, 50, 100, 500, 1000, 5000, 10000];
const DAY_MS: i64 = 86_400_000;
/// How long a pick started from the popup may take: long enough to find
/// the chat and click twice, short enough that a forgotten pick does not
/// leave the target open to change.
pub const PICK_MINUTES: u64 = 5;

/// The chat input (and send button) in a tab, as CSS selectors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selectors {
    /// The message box: a textarea, an input or a contenteditable element.
    pub input: String,
    /// The send button, if one was chosen.
    pub button: Option<String>,
}

/// Where the campaign types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatTarget {
    /// The browser tab.
    pub tab_id: u32,
    /// The site (origin) the selectors were chosen on.
    pub site: String,
    /// The selectors.
    #[serde(flatten)]
    pub selectors: Selectors,
}

/// Read as the flat object it is written as, but not through
/// `#[serde(flatten)]`: serde reads that through a copy of the record, a
/// second deserializer of [`Selectors`] and of the copy's every type
/// (1,881 bytes of the gzipped Wasm module, the last such copy in it).
impl<'de> Deserialize<'de> for ChatTarget {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ChatTarget, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", expecting = "struct ChatTarget")]
        struct Stored {
            tab_id: u32,
            site: String,
            input: String,
            button: Option<String>,
        }
        let Stored { tab_id, site, input, button } = Stored::deserialize(deserializer)?;
        Ok(ChatTarget { tab_id, site, selectors: Selectors { input, button } })
    }
}

/// Running, paused or neither.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not running.
    #[default]
    Idle,
    /// Sending on its interval.
    Running,
    /// Waiting for resume (by the user, or after an error).
    Paused,
}

/// Why a campaign request was refused. [`CampaignError::field`] names the field.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CampaignError {
    /// No phrases to send.
    #[error("phrases must contain at least one non-empty line")]
    NoPhrases,
    /// Too many or too long phrases.
    #[error("phrases: at most {MAX_PHRASES} phrases of at most {MAX_PHRASE_CHARS} characters each")]
    PhrasesTooLong,
    /// Unknown order.
    #[error("order must be random or sequential, not {0:?}")]
    Order(String),
    /// Unknown send method.
    #[error("sendBy must be enter or button, not {0:?}")]
    SendBy(String),
    /// Interval out of range.
    #[error("intervalMinSeconds must be from 1 to {MAX_INTERVAL_SECONDS}")]
    IntervalMin,
    /// Maximum below minimum or out of range.
    #[error("intervalMaxSeconds must be at least intervalMinSeconds and at most {MAX_INTERVAL_SECONDS}")]
    IntervalMax,
    /// A cron expression that does not parse.
    #[error("schedule: {0}")]
    Cron(#[from] CronError),
    /// A cron expression that never fires.
    #[error("schedule: {0:?} never matches a date")]
    CronNever(String),
    /// No target chosen.
    #[error("target: pick the chat's input first")]
    NoTarget,
    /// Send by button without a button.
    #[error("target: sending by button needs a send button; pick one or send with Enter")]
    NoButton,
    /// A selector that is empty or too long.
    #[error("target: the input selector must be 1 to {MAX_SELECTOR_CHARS} characters")]
    Selector,
    /// A target URL that is not a web page.
    #[error("target: {0:?} is not an http(s) page")]
    Site(String),
    /// Start while running.
    #[error("the campaign is already running")]
    Running,
    /// Pause/stop while not running, resume while not paused.
    #[error("the campaign is {0}, so it cannot {1}")]
    WrongState(&'static str, &'static str),
    /// The day's messages are all sent.
    #[error("dailyLimit: today's {0} messages are sent; the count resets at midnight")]
    LimitReached(u32),
    /// A content script's target without a pick token.
    #[error("token: a web page may set the target only with the token of a pick started from the popup (Pick input)")]
    PickTokenMissing,
    /// No open pick for this tab has this token (none started, another
    /// tab's, already used, or replaced by a newer pick).
    #[error("token: no pick started from the popup for this tab has this token; press Pick input again")]
    PickTokenInvalid,
    /// The pick was started too long ago.
    #[error("token: the pick expired ({PICK_MINUTES} minutes); press Pick input again")]
    PickExpired,
    /// The tab left the site the pick was started on.
    #[error("token: the pick was started on {started}, but the tab is now on {now}; press Pick input again")]
    PickSite {
        /// The site the pick was started on.
        started: String,
        /// The tab's site now.
        now: String,
    },
}

impl CampaignError {
    /// The message-API field the error is about, if one: the setting whose
    /// row claims it, or the target or the pick's token.
    pub fn field(&self) -> Option<&'static str> {
        use CampaignError::*;
        match self {
            NoTarget | NoButton | Selector | Site(_) => Some("target"),
            PickTokenMissing | PickTokenInvalid | PickExpired | PickSite { .. } => Some("token"),
            Running | WrongState(..) => None,
            setting => setting.setting(),
        }
    }

    /// A stable code the UI can switch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            CampaignError::Running | CampaignError::WrongState(..) => ErrorCode::CampaignState,
            CampaignError::LimitReached(_) => ErrorCode::DailyLimitReached,
            CampaignError::PickTokenMissing
            | CampaignError::PickTokenInvalid
            | CampaignError::PickExpired
            | CampaignError::PickSite { .. } => ErrorCode::NotAllowed,
            _ => ErrorCode::InvalidInput,
        }
    }
}

/// A text to type into the target now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendCommand {
    /// Pass back to [`Campaign::send_result`].
    pub seq: u64,
    /// The tab.
    pub tab_id: u32,
    /// The only origin the tab may show for the text to be typed: checked
    /// by the content script in the page itself, where no navigation can
    /// slip in between the check and the typing.
    pub site: String,
    /// What to type.
    pub text: String,
    /// Where.
    #[serde(flatten)]
    pub selectors: Selectors,
    /// Enter or button.
    pub send_by: SendBy,
}

/// Why a send did not go out: the content script's answer, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendFailure {
    /// The tab showed this origin, not the target's site: nothing was typed.
    WrongSite(String),
    /// The tab could not be reached, or could not type or send: why.
    Failed(String),
}

/// Most characters kept of a text a tab sends back (why it could not type,
/// the origin it showed). The tab belongs to the page, and the text goes
/// into the campaign's record, an error event and the log.
pub const MAX_TAB_TEXT_CHARS: usize = 500;

impl SendFailure {
    /// This failure with its text cut to [`MAX_TAB_TEXT_CHARS`], marked "…" where cut.
    fn bounded(self) -> SendFailure {
        match self {
            SendFailure::WrongSite(site) => SendFailure::WrongSite(cut(&site, MAX_TAB_TEXT_CHARS)),
            SendFailure::Failed(error) => SendFailure::Failed(cut(&error, MAX_TAB_TEXT_CHARS)),
        }
    }
}

/// A send handed out and not yet answered.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Sending {
    seq: u64,
    /// The site the command allowed, for the message if the tab was elsewhere.
    site: String,
    /// Whether it types the queued reply rather than a phrase.
    reply: bool,
}

/// Most characters of a receiver's reply typed into the chat.
pub const MAX_REPLY_CHARS: usize = 2000;

/// A receiver's reply waiting to be typed as the campaign's next message,
/// and the delivery it answered (whose log says what came of it). It is
/// stored with the campaign, in the same write as that delivery's result,
/// so a worker stop between the reply and the typing neither loses it nor
/// lets a retry of the delivery bring a second one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedReply {
    /// What to type, at most [`MAX_REPLY_CHARS`] characters.
    pub text: String,
    /// The delivery whose reply it was.
    pub delivery_id: String,
    /// That delivery's webhook: what the text sets off is its reply's
    /// ([`Cause::Reply`]). Empty in one a 1.0.0 build queued: still a
    /// reply's, of a webhook no longer known.
    #[serde(default)]
    pub webhook_id: String,
}

/// Why a reply's text is not queued ([`Campaign::queue_reply`]).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReplyRefused {
    /// No chat tab is chosen (or the browser restarted and forgot it).
    #[error("no chat to reply in")]
    NoChat,
    /// The campaign is idle or paused: nothing types into the chat now.
    #[error("the campaign is not running")]
    NotRunning,
    /// A reply already waits for the next send: one per interval.
    #[error("a reply is already waiting to be typed (at most one per campaign interval)")]
    AlreadyQueued,
}

/// A pick the user started from the popup: the one-time token that lets
/// the picker in that tab, on that site, set the target until `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pick {
    token: String,
    tab_id: u32,
    site: String,
    expires_at: Millis,
}

/// How long a reply's resume answers for the campaign's pauses on an
/// error: an hour, the window of the reply notification cap. Within it, a
/// failure is the reply's even when messages went out in between (a
/// receiver that resumes on errors and a chat tab that fails every other
/// message made 180 "paused" notifications an hour, all the user's, while
/// the receiver resumed each pause). After an hour of the campaign running
/// as the reply left it, a failure is the schedule's again, as a user who
/// never stepped in would see it: notified without the cap, and a workflow
/// that resumes on errors may resume it, so such a receiver restarts the
/// campaign at most once an hour (one uncapped notification an hour).
const REPLY_RESUME_ANSWERS_FOR_MS: u64 = 3_600_000;

/// A reply's resume, remembered for [`REPLY_RESUME_ANSWERS_FOR_MS`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReplyResume {
    /// The webhook whose reply it was.
    webhook_id: String,
    /// When it was obeyed.
    at: Millis,
}

/// The campaign: settings, target, state and counters. Serialized whole
/// into one storage key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Campaign {
    settings: CampaignSettings,
    target: Option<ChatTarget>,
    /// Selectors remembered per site (origin).
    sites: BTreeMap<String, Selectors>,
    status: Status,
    started_at: Option<Millis>,
    /// Whether this run was started by the schedule (its stops apply).
    scheduled_run: bool,
    next_send_at: Option<Millis>,
    next_scheduled_at: Option<Millis>,
    /// The local day (days since the epoch) `sent_today` counts.
    day: i64,
    sent_today: u64,
    total_sent: u64,
    /// Messages sent in this run.
    run_sent: u64,
    last_phrase: Option<usize>,
    last_error: Option<String>,
    /// The open pick, if any. Stored, so a pick survives the worker
    /// stopping while the user looks for the chat's input.
    pick: Option<Pick>,
    /// Random state, seeded afresh by each engine (see [`Campaign::seeded`]).
    #[serde(skip)]
    rng: u64,
    seq: u64,
    /// The send handed out and not yet answered. Not stored: after a
    /// restart the text is sent again (at-least-once, like deliveries).
    #[serde(skip)]
    sending: Option<Sending>,
    /// A receiver's reply to type instead of the next phrase.
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<QueuedReply>,
    /// When a reply's pause, resume or stop was last obeyed: at most one per
    /// interval is (see [`Campaign::reply_control_refused`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_control_at: Option<Millis>,
    /// The webhook whose reply resumed the campaign, while no message has
    /// gone out since nor has the user changed it: its sends' events are
    /// that reply's.
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_resumed_by: Option<String>,
    /// The webhook whose reply last resumed the campaign, and when, kept
    /// past the messages that go out after it (unlike `reply_resumed_by`)
    /// until the user or the schedule steps in: a pause on an error within
    /// [`REPLY_RESUME_ANSWERS_FOR_MS`] of it is that reply's (see
    /// [`Campaign::cause_of_pause`]). Absent in a campaign stored before.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_reply_resume: Option<ReplyResume>,
    /// Whether the queued reply is not yet known to be in storage: it is
    /// not typed until it is ([`Campaign::reply_saved`]), or a worker stop
    /// after the typing would lose the delivery's result, and its retry
    /// would bring the reply again. One read from storage is saved.
    #[serde(skip)]
    reply_unsaved: bool,
    /// What became of the last reply handed out or dropped, for the engine
    /// to write into its delivery's log entry (see [`Campaign::take_settled_reply`]).
    #[serde(skip)]
    settled_reply: Option<(String, String)>,
    #[serde(skip)]
    utc_offset_minutes: i32,
}

impl Campaign {
    /// This campaign with `seed` feeding its random phrase order and
    /// intervals.
    pub fn seeded(self, seed: u64) -> Campaign {
        // xorshift never leaves zero.
        Campaign { rng: seed | 1, ..self }
    }

    /// Local time's offset east of UTC, for midnight and cron.
    pub fn set_utc_offset(&mut self, minutes: i32) {
        self.utc_offset_minutes = minutes;
    }

    /// Applies `input`, all validated; nothing changes on error.
    pub fn configure(&mut self, input: CampaignInput, now: Millis) -> Result<(), CampaignError> {
        let rescheduled = input.schedule.is_some();
        let settings = self.settings.apply(input)?;
        let mut next_scheduled_at = self.next_scheduled_at;
        if rescheduled {
            next_scheduled_at = match &settings.schedule {
                Some(schedule) => Some(
                    schedule
                        .cron
                        .next_after(now, self.utc_offset_minutes)
                        .ok_or_else(|| CampaignError::CronNever(schedule.cron.as_str().to_string()))?,
                ),
                None => None,
            };
        }
        self.settings = settings;
        self.next_scheduled_at = next_scheduled_at;
        Ok(())
    }

    /// Points the campaign at `selectors` in tab `tab_id` showing `url`,
    /// and remembers them for that site.
    pub fn set_target(&mut self, tab_id: u32, url: &str, selectors: Selectors) -> Result<(), CampaignError> {
        let selectors = Selectors {
            input: selectors.input.trim().to_string(),
            button: selectors.button.map(|b| b.trim().to_string()).filter(|b| !b.is_empty()),
        };
        let too_long = |s: &str| s.is_empty() || s.chars().count() > MAX_SELECTOR_CHARS;
        if too_long(&selectors.input) || selectors.button.as_deref().is_some_and(too_long) {
            return Err(CampaignError::Selector);
        }
        let site = site_of(url).ok_or_else(|| CampaignError::Site(url.to_string()))?;
        self.sites.insert(site.clone(), selectors.clone());
        self.target = Some(ChatTarget { tab_id, site, selectors });
        Ok(())
    }

    /// Opens a pick in tab `tab_id` showing `url`, replacing any open one,
    /// and returns when it expires. `token` is fresh and random: the popup
    /// hands it to the picker it injects, and [`Campaign::finish_pick`]
    /// takes it once.
    pub fn begin_pick(&mut self, tab_id: u32, url: &str, token: String, now: Millis) -> Result<Millis, CampaignError> {
        let site = site_of(url).ok_or_else(|| CampaignError::Site(url.to_string()))?;
        let expires_at = now.plus(PICK_MINUTES * 60_000);
        self.pick = Some(Pick { token, tab_id, site, expires_at });
        Ok(expires_at)
    }

    /// The picker's choice in tab `tab_id` showing `url`: accepted only with
    /// the open pick's `token`, for that tab and site, before it expires,
    /// and only once. A refusal changes nothing.
    pub fn finish_pick(
        &mut self,
        tab_id: u32,
        url: &str,
        selectors: Selectors,
        token: Option<&str>,
        now: Millis,
    ) -> Result<(), CampaignError> {
        let token = token.ok_or(CampaignError::PickTokenMissing)?;
        let pick = self.pick.as_ref().filter(|p| p.tab_id == tab_id && same_secret(&p.token, token));
        let pick = pick.ok_or(CampaignError::PickTokenInvalid)?;
        if now >= pick.expires_at {
            return Err(CampaignError::PickExpired);
        }
        let site = site_of(url).ok_or_else(|| CampaignError::Site(url.to_string()))?;
        if site != pick.site {
            return Err(CampaignError::PickSite { started: pick.site.clone(), now: site });
        }
        self.set_target(tab_id, url, selectors)?;
        self.pick = None;
        Ok(())
    }

    /// Forgets the target's tab (and any open pick): after a browser
    /// restart its id may belong to an unrelated tab. The selectors stay
    /// remembered for their site, so choosing the chat again is one click;
    /// a running campaign pauses with an error at its next send.
    pub fn browser_restarted(&mut self) {
        self.target = None;
        self.pick = None;
    }

    /// The selectors remembered for `url`'s site.
    pub fn remembered(&self, url: &str) -> Option<&Selectors> {
        self.sites.get(&site_of(url)?)
    }

    /// Starts sending now.
    pub fn start(&mut self, now: Millis) -> Result<Vec<OwnData>, CampaignError> {
        if self.status != Status::Idle {
            return Err(CampaignError::Running);
        }
        self.begin(now, false)
    }

    fn begin(&mut self, now: Millis, scheduled: bool) -> Result<Vec<OwnData>, CampaignError> {
        if self.settings.phrases.is_empty() {
            return Err(CampaignError::NoPhrases);
        }
        let target = self.target.as_ref().ok_or(CampaignError::NoTarget)?;
        if self.settings.send_by == SendBy::Button && target.selectors.button.is_none() {
            return Err(CampaignError::NoButton);
        }
        if let Some(limit) = self.limit_reached(now) {
            return Err(CampaignError::LimitReached(limit));
        }
        self.status = Status::Running;
        // A run the user or the schedule starts is theirs.
        self.outside_control();
        self.started_at = Some(now);
        self.scheduled_run = scheduled;
        self.run_sent = 0;
        self.last_error = None;
        self.next_send_at = Some(now);
        Ok(vec![OwnData::CampaignStarted(data::CampaignStarted { timestamp: now.iso8601() })])
    }

    /// Pauses a running campaign.
    pub fn pause(&mut self, now: Millis) -> Result<Vec<OwnData>, CampaignError> {
        self.expect(Status::Running, "pause")?;
        Ok(vec![self.enter_pause(now)])
    }

    /// Resumes a paused campaign; the next message goes out now. Not
    /// without a target: it would only pause again; nor once the day's
    /// messages are sent (the limit lowered while it was paused) or a
    /// scheduled run's time is up (before [`Campaign::tick`] ended it),
    /// whoever asks.
    pub fn resume(&mut self, now: Millis) -> Result<Vec<OwnData>, CampaignError> {
        self.expect(Status::Paused, "resume")?;
        self.target.as_ref().ok_or(CampaignError::NoTarget)?;
        if let Some(limit) = self.limit_reached(now) {
            return Err(CampaignError::LimitReached(limit));
        }
        if self.stop_at().is_some_and(|at| at <= now) {
            return Err(CampaignError::WrongState("past its scheduled stop", "resume"));
        }
        self.status = Status::Running;
        self.last_error = None;
        self.next_send_at = Some(now);
        Ok(vec![OwnData::CampaignResumed(data::CampaignResumed { timestamp: now.iso8601() })])
    }

    /// Why a pause, resume or stop that a receiver's reply asks for is not
    /// obeyed at `now`: one was, less than the campaign's shortest interval
    /// ago. Replies then cannot move the campaign faster than its settings.
    pub fn reply_control_refused(&self, now: Millis) -> Option<String> {
        let interval = self.settings.interval_min_ms();
        // A time after `now` (the clock went back) has expired: it must not block replies for good.
        let last = self.reply_control_at.filter(|at| *at <= now && now < at.plus(interval))?;
        Some(format!(
            "a reply already changed the campaign {} s ago; at most one such change per interval ({} s)",
            now.since(last) / 1000,
            self.settings.interval_min_seconds
        ))
    }

    /// A pause, resume or stop in a reply to a delivery of the webhook
    /// `replier` was obeyed at `now`. After a resume, the next message waits
    /// a whole interval: a reply never makes the campaign send sooner than
    /// its settings would; and until a message is sent or the user steps
    /// in, what the campaign raises is the reply's (a send that fails after
    /// a reply's resume must not let the reply resume it again); its pauses
    /// on an error are for an hour after (see [`REPLY_RESUME_ANSWERS_FOR_MS`]).
    pub fn reply_control_obeyed(&mut self, replier: &str, now: Millis) {
        self.reply_control_at = Some(now);
        self.reply_resumed_by = (self.status == Status::Running).then(|| replier.to_string());
        if self.reply_resumed_by.is_some() {
            self.last_reply_resume = Some(ReplyResume { webhook_id: replier.to_string(), at: now });
            let interval = self.settings.interval_min_ms();
            self.next_send_at = Some(self.next_send_at.map_or(now, |at| at.max(now)).max(now.plus(interval)));
        }
    }

    /// The user (or the schedule) changed the campaign: what follows is
    /// no longer a reply's doing.
    pub fn outside_control(&mut self) {
        self.reply_resumed_by = None;
        self.last_reply_resume = None;
    }

    /// What set off send `seq` if it is the one under way, and so what
    /// its events are: the text of an acted-on reply or the first send
    /// after a reply's resume, or else a phrase due by the schedule; if
    /// it `failed` (the campaign pauses on it), see [`Campaign::cause_of_pause`].
    pub fn cause_of_send(&self, seq: u64, failed: bool, now: Millis) -> Cause {
        match &self.sending {
            Some(sending) if sending.seq == seq && failed => self.cause_of_pause(sending.reply, now),
            Some(sending) if sending.seq == seq => self.cause_of(sending.reply),
            _ => Cause::Outside,
        }
    }

    /// What sets off a pause on an error at `now` of a send that types the
    /// queued reply (`reply`) or a phrase: as [`Campaign::cause_of`], and
    /// else the reply that last resumed the campaign, if it did less than
    /// [`REPLY_RESUME_ANSWERS_FOR_MS`] ago and neither the user nor the
    /// schedule has stepped in since, messages having gone out or not. So
    /// its notification counts against that reply's webhook, and replies
    /// to it are not acted on: a receiver cannot resume the campaign into
    /// a chat tab that fails every other message, again and again, each
    /// pause the user's own. The messages that go out meanwhile stay the
    /// schedule's: replies to them are acted on as before.
    fn cause_of_pause(&self, reply: bool, now: Millis) -> Cause {
        let cause = self.cause_of(reply);
        if cause != Cause::Outside {
            return cause;
        }
        // A time after `now` (the clock went back) counts as recent: attributing to the reply is the safe side.
        let recent = |resume: &&ReplyResume| resume.at > now || now.since(resume.at) < REPLY_RESUME_ANSWERS_FOR_MS;
        self.last_reply_resume.as_ref().filter(recent).map_or(Cause::Outside, |resume| Cause::Reply(resume.webhook_id.clone()))
    }

    /// What sets off a send that types the queued reply (`reply`) or a
    /// phrase: that reply, or the reply that resumed the campaign, or else
    /// the schedule.
    fn cause_of(&self, reply: bool) -> Cause {
        let queued = self.reply.as_ref().filter(|_| reply).map(|queued| &queued.webhook_id);
        queued.or(self.reply_resumed_by.as_ref()).map_or(Cause::Outside, |replier| Cause::Reply(replier.clone()))
    }

    /// Stops a running or paused campaign.
    pub fn stop(&mut self, now: Millis) -> Result<Vec<OwnData>, CampaignError> {
        if self.status == Status::Idle {
            return Err(CampaignError::WrongState("not running", "stop"));
        }
        Ok(vec![self.enter_stop(now)])
    }

    /// Starts a scheduled run or ends one whose time is up, paused or not
    /// (a pause, a reply's too, must not hold the schedule's next runs
    /// back); call whenever the engine wakes. What it raises is the
    /// schedule's doing. A start whose time comes while the campaign runs
    /// or is paused is skipped, not kept: kept, it began a run the moment
    /// the campaign stopped (a reply's stop too) and typed at once, within
    /// the interval of the message before.
    ///
    /// Returns what it raised, and whether it changed what is stored: a
    /// start whose time came moves the next one even when it raises nothing.
    pub fn tick(&mut self, now: Millis) -> (Vec<OwnData>, bool) {
        let mut raised = Vec::new();
        let came = self.next_scheduled_at.is_some_and(|at| at <= now);
        if came {
            self.next_scheduled_at = self.cron().and_then(|cron| cron.next_after(now, self.utc_offset_minutes));
            if self.status == Status::Idle {
                match self.begin(now, true) {
                    Ok(started) => raised.extend(started),
                    Err(error) => raised.push(self.error_event(format!("scheduled start failed: {error}"), now)),
                }
            }
        }
        if self.status != Status::Idle && self.stop_at().is_some_and(|at| at <= now) {
            raised.push(self.enter_stop(now));
        }
        let changed = came || !raised.is_empty();
        (raised, changed)
    }

    /// A send is due but there is no tab to type into (the browser
    /// restarted), or nothing to type (a stored campaign another build
    /// wrote): says so and pauses, rather than wait due forever, and gives
    /// the due send's cause with what it raised (a reply's, for its text or
    /// after its resume). Call after [`Campaign::tick`].
    pub fn pause_if_unsendable(&mut self, now: Millis) -> Option<(Cause, Vec<OwnData>)> {
        let due = self.status == Status::Running && self.sending.is_none() && self.next_send_at.is_some_and(|at| at <= now);
        if !due {
            return None;
        }
        let missing = if self.target.is_none() {
            NO_CHAT_TAB
        } else if self.settings.phrases.is_empty() {
            NO_PHRASES
        } else {
            return None;
        };
        let cause = self.cause_of_pause(self.reply.is_some(), now);
        self.last_error = Some(missing.to_string());
        Some((cause, vec![self.error_event(missing.to_string(), now), self.enter_pause(now)]))
    }

    /// The next text to type, if one is due.
    pub fn poll_send(&mut self, now: Millis) -> Option<SendCommand> {
        if self.status != Status::Running || self.sending.is_some() || self.reply_unsaved || self.next_send_at.is_none_or(|at| at > now) {
            return None;
        }
        let target = self.target.clone()?;
        let text = match &self.reply {
            Some(reply) => reply.text.clone(),
            None => {
                let index = self.next_phrase();
                // Never out of range: configure refuses an empty list, and `tick`
                // pauses a stored campaign that has none before a send is due.
                let text = self.settings.phrases.get(index)?.clone();
                self.last_phrase = Some(index);
                text
            }
        };
        self.seq += 1;
        self.sending = Some(Sending { seq: self.seq, site: target.site.clone(), reply: self.reply.is_some() });
        Some(SendCommand {
            seq: self.seq,
            tab_id: target.tab_id,
            site: target.site,
            text,
            selectors: target.selectors,
            send_by: self.settings.send_by,
        })
    }

    /// What became of send `seq`: typed and sent, or why not. An error
    /// pauses the campaign rather than ending it.
    pub fn send_result(&mut self, seq: u64, result: Result<String, SendFailure>, now: Millis) -> Vec<OwnData> {
        let Some(sending) = self.sending.take_if(|s| s.seq == seq) else {
            return Vec::new();
        };
        let result = result.map_err(SendFailure::bounded);
        // A reply is typed once or not at all: a failed one is not tried again.
        // A reply queued while a phrase was being typed waits for the next send.
        let reply = if sending.reply { self.reply.take() } else { None };
        if let Some(reply) = &reply {
            let outcome = match &result {
                Ok(_) => "typed in the chat".to_string(),
                Err(SendFailure::WrongSite(found)) => format!("not typed: the chat tab is now on {found}"),
                Err(SendFailure::Failed(error)) => format!("not typed: {error}"),
            };
            self.settled_reply = Some((reply.delivery_id.clone(), outcome));
        }
        let text = match result {
            Ok(text) => text,
            Err(failure) => {
                if self.status != Status::Running {
                    return Vec::new();
                }
                // Webhooks learn that the tab left the chat's site, not
                // where it went: that is the user's browsing, and stays in
                // the campaign's own lastError (PRIVACY.md).
                let (error, reported) = match failure {
                    SendFailure::WrongSite(found) => (
                        format!("the chat tab is now on {found}, not {}; nothing was typed", sending.site),
                        format!("the chat tab left {}; nothing was typed", sending.site),
                    ),
                    SendFailure::Failed(error) => (error.clone(), error),
                };
                self.last_error = Some(error);
                return vec![self.error_event(reported, now), self.enter_pause(now)];
            }
        };
        self.reply_resumed_by = None;
        self.roll_day(now);
        self.sent_today += 1;
        self.total_sent += 1;
        self.run_sent += 1;
        let sent = data::MessageSent {
            messages_sent_today: self.sent_today,
            total_messages_sent: self.total_sent,
            message: self.settings.include_text.then_some(text),
            // Receivers learn the text was a reply's; AutoHook itself goes by the event's cause.
            source: reply.is_some().then_some(MessageSource::Reply),
        };
        let mut raised = vec![OwnData::MessageSent(sent)];
        if MILESTONES.contains(&self.total_sent) {
            let milestone = format!("{}_messages", self.total_sent);
            raised.push(OwnData::Milestone(data::Milestone { milestone, value: self.total_sent, timestamp: now.iso8601() }));
        }
        if self.status != Status::Running {
            return raised;
        }
        if let Some(limit) = self.limit_reached(now) {
            let reached = data::DailyLimitReached { limit, messages_sent_today: self.sent_today, timestamp: now.iso8601() };
            raised.push(OwnData::DailyLimitReached(reached));
            raised.push(self.enter_stop(now));
        } else if self.scheduled_stop_messages().is_some_and(|n| self.run_sent >= u64::from(n)) {
            raised.push(self.enter_stop(now));
        } else {
            let (min, max) = (self.settings.interval_min_seconds, self.settings.interval_max_seconds);
            let wait = u64::from(min) * 1000 + self.random(u64::from(max - min) * 1000 + 1);
            self.next_send_at = Some(now.plus(wait));
        }
        raised
    }

    /// When the campaign next needs the engine: a send, a scheduled start
    /// or a scheduled stop.
    pub fn next_wake(&self) -> Option<Millis> {
        match self.status {
            Status::Running => {
                let send = self.next_send_at.filter(|_| self.sending.is_none() && !self.reply_unsaved);
                [send, self.stop_at()].into_iter().flatten().min()
            }
            Status::Idle => self.next_scheduled_at,
            Status::Paused => self.stop_at(),
        }
    }

    /// The campaign as the message API shows it.
    pub fn view(&self, url: Option<&str>, now: Millis) -> Value {
        json!({
            "status": self.status,
            "settings": self.settings,
            "target": self.target,
            "remembered": url.and_then(|url| self.remembered(url)),
            "startedAt": self.started_at,
            "nextSendAt": self.next_send_at.filter(|_| self.status == Status::Running),
            "nextScheduledAt": self.next_scheduled_at,
            "messagesSentToday": self.sent_today(now),
            "totalMessagesSent": self.total_sent,
            "lastError": self.last_error,
        })
    }

    /// The status.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// Queues a receiver's reply to be typed as the next message, in the
    /// next send's slot, so at most one reply is typed per interval and it
    /// goes where phrases go: the same tab, site check and pause on error.
    /// Only while running: a paused or stopped campaign types nothing.
    pub fn queue_reply(&mut self, reply: QueuedReply) -> Result<(), ReplyRefused> {
        if self.target.is_none() {
            return Err(ReplyRefused::NoChat);
        }
        if self.status != Status::Running {
            return Err(ReplyRefused::NotRunning);
        }
        if self.reply.is_some() {
            return Err(ReplyRefused::AlreadyQueued);
        }
        self.reply = Some(reply);
        self.reply_unsaved = true;
        Ok(())
    }

    /// The queued reply is in storage: it may be typed.
    pub fn reply_saved(&mut self) {
        self.reply_unsaved = false;
    }

    /// The delivery whose queued reply was last typed, failed or dropped,
    /// and what came of it; once.
    pub fn take_settled_reply(&mut self) -> Option<(String, String)> {
        self.settled_reply.take()
    }

    fn expect(&self, status: Status, action: &'static str) -> Result<(), CampaignError> {
        if self.status == status {
            return Ok(());
        }
        let now = match self.status {
            Status::Idle => "not running",
            Status::Running => "running",
            Status::Paused => "paused",
        };
        Err(CampaignError::WrongState(now, action))
    }

    fn enter_pause(&mut self, now: Millis) -> OwnData {
        self.status = Status::Paused;
        self.next_send_at = None;
        OwnData::CampaignPaused(data::CampaignPaused { timestamp: now.iso8601(), stats: self.counts(now) })
    }

    fn enter_stop(&mut self, now: Millis) -> OwnData {
        // Whatever starts the next run, a reply's resume of this one did not.
        self.outside_control();
        self.reply_unsaved = false;
        if let Some(reply) = self.reply.take() {
            self.settled_reply = Some((reply.delivery_id, "not typed: the campaign stopped first".into()));
        }
        self.status = Status::Idle;
        self.next_send_at = None;
        self.started_at = None;
        OwnData::CampaignStopped(data::CampaignStopped { timestamp: now.iso8601(), stats: self.counts(now) })
    }

    fn error_event(&self, error: String, now: Millis) -> OwnData {
        OwnData::Error(data::Error { error, timestamp: now.iso8601() })
    }

    fn counts(&self, now: Millis) -> MessageCounts {
        MessageCounts { messages_sent_today: self.sent_today(now), total_messages_sent: self.total_sent }
    }

    fn cron(&self) -> Option<&Cron> {
        Some(&self.settings.schedule.as_ref()?.cron)
    }

    /// The daily limit, if today's messages have reached it.
    fn limit_reached(&self, now: Millis) -> Option<u32> {
        self.settings.daily_limit.filter(|limit| self.sent_today(now) >= u64::from(*limit))
    }

    fn scheduled_stop_messages(&self) -> Option<u32> {
        self.settings.schedule.as_ref().filter(|_| self.scheduled_run)?.stop_after_messages
    }

    fn stop_at(&self) -> Option<Millis> {
        let minutes = self.settings.schedule.as_ref().filter(|_| self.scheduled_run)?.stop_after_minutes?;
        Some(self.started_at?.plus(u64::from(minutes) * 60_000))
    }

    /// The local day (days since the epoch) at `now`.
    fn local_day(&self, now: Millis) -> i64 {
        let local = i64::try_from(now.0).unwrap_or(i64::MAX) + i64::from(self.utc_offset_minutes) * 60_000;
        local.div_euclid(DAY_MS)
    }

    /// Messages sent on `now`'s local day. The count stored is of
    /// `self.day`; on another day none are sent yet. Worked out when read,
    /// never reset by a read: a reset nothing stores made a running worker
    /// see another count than one started from storage after it.
    fn sent_today(&self, now: Millis) -> u64 {
        if self.local_day(now) == self.day {
            self.sent_today
        } else {
            0
        }
    }

    /// Starts the day's count again when local midnight has passed, before
    /// a message is counted.
    fn roll_day(&mut self, now: Millis) {
        let day = self.local_day(now);
        if day != self.day {
            self.day = day;
            self.sent_today = 0;
        }
    }

    fn next_phrase(&mut self) -> usize {
        let count = self.settings.phrases.len();
        match (self.settings.order, self.last_phrase.filter(|i| *i < count)) {
            (_, _) if count == 1 => 0,
            (Order::Sequential, last) => last.map_or(0, |i| (i + 1) % count),
            (Order::Random, None) => self.random(count as u64) as usize,
            (Order::Random, Some(last)) => {
                // One of the others, uniformly.
                let pick = self.random(count as u64 - 1) as usize;
                if pick >= last {
                    pick + 1
                } else {
                    pick
                }
            }
        }
    }

    /// A number below `bound` (xorshift64*: the order of phrases needs no
    /// cryptographic strength, only to differ between runs).
    fn random(&mut self, bound: u64) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound.max(1)
    }
}

/// Whether two tokens are equal, in time that does not depend on where
/// they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// `https://chat.example:8443` for a page URL; only http(s) pages.
fn site_of(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
}

#[cfg(test)]
mod event_tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::event::{EventData, EventKind};

    /// What a template can rely on in a value: an object's keys, each with
    /// its shape, or else the value's JSON type.
    fn shape(value: &Value) -> Value {
        match value {
            Value::Object(fields) => Value::Object(fields.iter().map(|(key, value)| (key.clone(), shape(value))).collect()),
            Value::Null => json!("null"),
            Value::Bool(_) => json!("boolean"),
            Value::Number(_) => json!("number"),
            Value::String(_) => json!("string"),
            Value::Array(_) => json!("array"),
        }
    }

    /// Templates are checked against each kind's sample: every event a
    /// campaign raises must have the keys, and the JSON types, of its
    /// kind's sample, or a template that passed the check could fail on
    /// a real event. The one key a sample lacks is a reply's `source`.
    #[test]
    fn every_event_a_campaign_raises_has_the_shape_of_its_kinds_sample() {
        let mut now = Millis(1_700_000_000_000);
        let mut campaign = Campaign::default().seeded(7);
        let input = CampaignInput {
            phrases: Some(vec!["hi".into()]),
            interval_min_seconds: Some(1),
            interval_max_seconds: Some(1),
            daily_limit: Some(MILESTONES[0] as u32),
            include_text: Some(true),
            ..Default::default()
        };
        campaign.configure(input, now).unwrap();
        campaign.set_target(7, "https://chat.example/room", Selectors { input: "#m".into(), button: None }).unwrap();
        let mut raised = campaign.start(now).unwrap();
        let send = |campaign: &mut Campaign, now: Millis, result: Result<String, SendFailure>| {
            let command = campaign.poll_send(now).expect("a send is due");
            campaign.send_result(command.seq, result, now)
        };
        raised.extend(send(&mut campaign, now, Ok("hi".into())));
        raised.extend(campaign.pause(now).unwrap());
        raised.extend(campaign.resume(now).unwrap());
        raised.extend(send(&mut campaign, now, Err(SendFailure::Failed("no send button".into()))));
        raised.extend(campaign.resume(now).unwrap());
        let reply = QueuedReply { text: "pong".into(), delivery_id: "dlv_1".into(), webhook_id: "wh_1".into() };
        campaign.queue_reply(reply).unwrap();
        campaign.reply_saved();
        raised.extend(send(&mut campaign, now, Ok("pong".into())));
        while *campaign.status() == Status::Running {
            now = now.plus(1000);
            raised.extend(send(&mut campaign, now, Ok("hi".into())));
        }

        let kinds: BTreeSet<EventKind> = raised.iter().map(OwnData::kind).collect();
        let subscribable: BTreeSet<EventKind> = EventKind::ALL.into_iter().filter(|kind| kind.is_subscribable()).collect();
        assert_eq!(kinds, subscribable, "the campaign raises every kind but test");
        let mut replies = 0;
        for data in raised {
            let sample = shape(&EventData::from(data.kind().sample(now)).to_value());
            let mut real = shape(&EventData::from(data.clone()).to_value());
            if real.as_object_mut().unwrap().shift_remove("source").is_some() {
                replies += 1;
            }
            assert_eq!(real, sample, "{data:?}");
        }
        assert_eq!(replies, 1, "the reply's message says so");
    }
}
