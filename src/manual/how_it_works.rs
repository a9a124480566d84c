//! # How it works
//!
//! The delivery core (`src/engine/`) is **sans-IO**: it never reads the clock,
//! awaits, or touches the network. It is fed commands, events, responses and the
//! current time, and answers with the storage writes to make and, through
//! one [`Engine::poll`](crate::Engine::poll), its outputs in a fixed order: every request due (signed),
//! every campaign message to type, every notice (a delivery a Test caller waits
//! for finished), and last the wake-up time. [`Engine::drive`](crate::Engine::drive) is the loop that
//! drains `poll` into a [`Driver`](crate::Driver); `src/wasm.rs` and the test harness
//! (`tests/common/`) both run it, so scenario tests run what the browser runs.
//! In the browser each output starts a `fetch` (redirects not followed, aborted
//! at the webhook's timeout), a message to the chat tab, or answers a caller;
//! the wake-up arms a timer and a `chrome.alarms` alarm; then the changes are
//! written. A request is answered only after the write holding its change:
//! `not_saved` if storage refused it. One write runs at a time and everything changed meanwhile goes into
//! the next, so a burst of events costs a few writes, not one each.
//!
//! Storage (the extension's own IndexedDB, `extension/shared/store.js`;
//! why not `storage.local` is in `.github/SECURITY.md`) holds `settings`,
//! `webhooks`, `campaign` and the unfinished deliveries in pages of up to
//! 50 of one webhook's, `pending/<page>`: the deliveries a batch adds share
//! a put per page, and a page is written again without those that finished
//! (removed once empty), once per batch however many changed. IndexedDB
//! charges per put or delete, not per byte: a key per delivery cost 2,000 of
//! the 2,150 operations of 1000 events. A finished delivery is written into
//! the log's newest page, `log/<page>`, 50 deliveries each, in the same batch
//! (trimming drops a page at a time). Earlier versions' `delivery/<id>` keys
//! load, and move into pages with the first write. The pages have an object store of their own, which a start does not
//! read: the engine asks for it ([`Output::LoadLog`](crate::Output)) once a
//! delivery finishes, and the driver hands it over before a request that
//! reads it ([`reads_log`](crate::reads_log)), so a cold start reads the
//! outbox, not 500 logged requests and responses. `inflight` lists the attempt
//! each delivery has under way (at most 32), so starting an attempt writes that
//! one small key rather than the whole delivery, and a restart still counts the
//! attempt as interrupted and never reuses its `X-AutoHook-Delivery` number.
//! Each value is the JSON text of
//! its record (one string is far cheaper for the browser to take and store
//! than the same record as an object). A value stored as an object instead
//! (by a sync or backup tool, say) still loads. The keys are the
//! variants of [`Key`](crate::Key).
//!
//! A delivery is stored before its first attempt: the engine does not hand it
//! out until the driver confirms the write batch holding it. Attempt results
//! and stats are written after the fact; if the worker stops before that, the
//! delivery is simply sent again. When the service worker
//! restarts, attempts cut off mid-flight count as failed attempts and follow the
//! retry rules; retries keep their schedule; the `webhook-id` stays the same, so
//! delivery is at least once and receivers can deduplicate.
//!
//! Failures are not silent. The core decides a webhook's health, what the
//! toolbar badge says (how many failed deliveries nobody has seen yet, in
//! red, or `!` while a webhook is auto-disabled) and when a notification is
//! due; the shell only shows them (`host.setBadge`, `host.notify`). A
//! notification is worded in the shell (`extension/shared/notify.js`) from
//! typed facts alone: its kind, the webhook's name, the HTTP status, the kind
//! of failure and the counts, so nothing a receiver sends can put words into
//! it. Clicking one opens the settings page on that webhook's log
//! (`options/options.html?webhook=<id>#log`); in Chrome it also has *Retry
//! failed* (`deliveries.redeliverFailed` for that webhook) and *Open log*
//! (Firefox has no notification buttons). Opening the settings page or the
//! popup marks the failures seen. The browser's `online` and `offline` events
//! wake the core: while offline, due deliveries wait without spending
//! attempts, and the log says "waiting for the network".
