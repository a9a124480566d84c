//! # The campaign
//!
//! What [`campaign.configure`](crate::api::Request::CampaignConfigure)
//! takes ([`CampaignInput`](crate::CampaignInput)) and what every campaign
//! request answers with.
//!
//! **Campaign input:** `phrases` (lines; blank ones dropped; at least one),
//! `order` (`random`, never the same phrase twice in a row, or `sequential`),
//! `intervalMinSeconds` / `intervalMaxSeconds` (a random wait in between,
//! 1 s to a day), `dailyLimit` (`0`: none; the campaign stops when it is
//! reached, and the count resets at local midnight), `sendBy` (`enter` or
//! `button`), `includeText` (whether `message_sent` carries the text; default
//! true), `schedule: {cron, stopAfterMessages?, stopAfterMinutes?}` (a
//! five-field cron expression in local time such as `0 9 * * 1-5` that starts
//! the campaign, `""` removes it; the stops apply to scheduled runs, paused or
//! not; a scheduled start that finds the campaign running or paused is
//! skipped). Errors
//! name the field: `schedule: column 3: hour: "25" is not a value from 0 to 23`.
//!
//! **The campaign** as answers show it: `status` (`idle`, `running`,
//! `paused`), `settings`, `target` (`{tabId, site, input, button}`, or
//! `null`: none chosen, or forgotten when the browser restarted),
//! `remembered`, `startedAt`, `nextSendAt`, `nextScheduledAt`,
//! `messagesSentToday`, `totalMessagesSent`, `lastError` (why it paused).
//!
//! A running campaign raises `campaign_started`, `message_sent`
//! (`{message, messagesSentToday, totalMessagesSent}`, and `source: "reply"`
//! when the text came from a receiver's reply: [`replies`](super::replies); a phrase's has no
//! `source`), `milestone` at 10, 50,
//! 100, 500, 1000, 5000 and 10000 messages (`{milestone: "100_messages",
//! value, timestamp}`), `daily_limit_reached` (`{limit, messagesSentToday,
//! timestamp}`, then it stops), `campaign_paused` / `campaign_stopped`
//! (`{timestamp, stats}`), `campaign_resumed`, and `error` (`{error,
//! timestamp}`, e.g. "Failed to find send button": the campaign pauses, it
//! does not die). The state machine is Rust (`src/campaign/`); the content
//! script (`extension/content/send.js`) only types the text, presses Enter or
//! clicks the button, and reports back. The campaign is stored with the rest,
//! so it keeps running when the popup closes or Chrome stops the worker (an
//! alarm wakes it for the next message). A message whose result was lost
//! when the worker stopped mid-send is typed again: at-least-once, like
//! deliveries.
//!
//! A campaign types only into the site (origin) its chat was picked on. Each
//! message carries that site, and the content script compares it with the
//! page's own `location.origin` just before typing, where no navigation can
//! slip in between: a tab that went elsewhere gets nothing, and the campaign
//! pauses. Its `lastError` says where the tab went ("the chat tab is now on
//! http://localhost:5000, not http://127.0.0.1:5000; nothing was typed";
//! `127.0.0.1` and `localhost` are different origins); the `error` event its
//! webhooks get says only that it left ("the chat tab left
//! http://127.0.0.1:5000; nothing was typed"), as the site the user went to is
//! their browsing, not the campaign's. Another page or a reload on the same site is fine.
//! Tab ids are reused across browser sessions, so when the browser starts
//! afresh the campaign forgets its tab (the selectors stay remembered for the
//! site): a running campaign's next message raises `error` ("no chat tab: …")
//! and pauses, and it cannot be resumed until the chat is chosen again (*Pick
//! input*, or *Use the saved input here*). *Pick input* first asks the
//! background for a one-time pick token (`campaign.beginPick`, kept with the
//! campaign so it survives the worker stopping), hands it to the picker it
//! injects, and the picker sends it back with its choice; the picker acts only
//! on the user's own (trusted) clicks and keys, not on events the page fakes.
