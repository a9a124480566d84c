//! # Acting on replies
//!
//! A reply is read by [`parse_reply`](crate::parse_reply) into what it
//! [`Asked`](crate::Asked).
//!
//! **Acting on replies** (`actOnReplies: true`, *Act on replies* in the
//! editor): the two-way flow chat platforms offer through incoming webhooks,
//! without AutoHook needing a public URL. An n8n, Make or AI workflow that
//! receives an event answers with a 2xx whose JSON body has an `autohook`
//! object. It needs an https URL, or one on this computer (127.0.0.1,
//! `[::1]`, `localhost`): over plain http anyone on the network path could
//! type into the chat, so such a webhook is refused when saved (the error
//! names `actOnReplies`), and a stored one is turned off on load with that
//! reason.
//!
//! ```json
//! {"autohook": {"reply": "Thanks! Someone will be with you shortly."}}
//! {"autohook": {"campaign": "pause"}}
//! ```
//!
//! - `reply` (a non-empty string of at most 2,000 characters) is typed into
//!   the campaign's chat as its next message: in place of the next phrase,
//!   when the interval is up, through the same path as phrases (the same tab,
//!   the same site check, a failure pauses the campaign). It counts as a
//!   message and raises `message_sent` with `"source": "reply"`. Only while
//!   the campaign runs: with no chat chosen it is logged as "no chat to reply
//!   in"; a pause keeps it for the resume, a stop drops it.
//! - `campaign` (`pause`, `resume` or `stop`) changes the campaign's state
//!   as the popup's buttons do (acted on before `reply`, so `resume` and a
//!   reply together type it).
//! - Anything else in the object, a wrong type, an empty or longer reply is
//!   logged as ignored with the reason; a body that is not JSON, or whose
//!   `autohook` is not an object, is logged as not acted on. A body without
//!   `autohook` (or an empty one) asks nothing and logs nothing.
//!
//! No loops. Every event has a cause, stored with it: an outside one (a
//! phrase due by the campaign's schedule, something the user did, an event
//! sent through the message API) or an acted-on reply. AutoHook acts only
//! on replies to events of an outside cause, never on a reply to an event
//! that an acted-on reply caused, at any depth: the message it typed (which
//! also carries `"source": "reply"`), the pause, resume or stop it asked
//! for, an error on the way ("not acted on: the event was caused by an
//! acted-on reply"). Nothing a receiver answers makes the campaign act
//! faster than its settings: a pause, resume or stop from replies is obeyed
//! at most once per campaign interval (otherwise logged "campaign not
//! resumed: a reply already changed the campaign N s ago…"), a resume from a
//! reply sends nothing before a whole interval has passed, at most one reply
//! is typed per interval (one waiting is enough: a second is logged "a reply
//! is already waiting"), and the daily limit and a schedule's stops hold.
//! Notifications that a reply sets off, at any depth (a pause on an error
//! after its resume, the daily limit, a webhook failing on an event it
//! caused), count against the webhook that replied: at most 3 an hour each
//! (rolling, kept across worker restarts under `notified`); the rest are
//! dropped, the change itself still happening and logged. A deleted webhook
//! has no allowance left. A pause on an error within an hour of a reply's
//! resume is that reply's, even if messages went out in between; your own
//! start, pause, resume or stop, or the schedule's, ends that. A "failing" or
//! "turned off" notice the cap drops is shown at that webhook's next failure
//! or held event instead.
//! `tests/it/reply_actions.rs` proves each:
//! `a_reply_to_an_event_an_acted_on_reply_caused_is_never_acted_on_at_any_depth`
//! (a receiver answering `message_sent` with pause and `campaign_paused`
//! with resume: one message typed in an hour of a 600 s campaign),
//! `replies_pause_resume_and_stop_the_campaign_at_most_once_per_interval`,
//! `a_reply_is_typed_once_as_the_next_message_and_raises_message_sent_from_reply`,
//! `a_receiver_pausing_and_resuming_on_every_reply_notifies_at_most_three_times_an_hour_across_restarts`
//! and the property `every_reply_schedule_keeps_the_notification_cap_the_log_and_the_limits`
//! (two receivers answering pause, resume, stop, a text or nothing, a tab
//! failing some sends, restarts: the cap, every control logged, the
//! interval, the daily limit and a schedule's stops hold).
//! Replies to Test are shown, never acted on. Each reply is acted on once: the decision is stored in
//! the same write as the delivery's result and the text is typed only after
//! that write is saved, so a worker stop before it brings the delivery's
//! retry and a fresh answer, and one after it types the stored text without
//! sending the delivery again. Typing it is at least once, as for phrases: a
//! stop while the chat tab is typing it, before the tab's answer is stored,
//! types it again. A batch counts as a reply's when any of its events does. The log's `replyAction` (the settings page:
//! "Reply: …" in the opened row) says what each reply did, e.g. "reply
//! queued as the campaign's next message, then typed in the chat". For such a
//! webhook AutoHook reads the first 32 KB of a body (room for 2,000
//! characters even written as `\u` escapes); serde_json refuses nesting past
//! 128 levels; credentials of the request found in a reply's text are
//! replaced before it is typed.
