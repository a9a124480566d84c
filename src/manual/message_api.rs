//! # The message API
//!
//! Pages and the content script talk to the background with
//! `chrome.runtime.sendMessage({type, ...})` (`extension/shared/ext.js` wraps
//! this as `call(type, fields)`). Every reply is
//!
//! ```js
//! { ok: true, value }
//! { ok: false, error: { code, message, field } }   // field: null or the input field at fault
//! ```
//!
//! Messages from other extensions and from web pages are ignored. The content
//! script may make one request, `campaign.setTarget` for its own tab (the
//! picker), and only with the one-time `token` of a pick the user started from
//! the popup (`campaign.beginPick`); anything else from it is refused
//! (`not_allowed`).
//!
//! Every request `call()` sends carries a `requestId` (1–64 characters). When
//! the browser drops a reply (it stopped the worker while answering), `call()`
//! sends the same request once more; the background keeps its answers to
//! state-changing requests (the last 64, for 10 minutes, in storage) and
//! answers the repeat with the first answer instead of acting twice. If the
//! core traps, every request in flight is answered `internal` and the next one
//! is served by a fresh core started from storage.
//!
//! Each request is a variant of [`Request`](crate::api::Request), which
//! documents its `type` (the variant's serde name), its fields (the
//! variant's, in camelCase: `webhook_id` is `webhookId`; a field in an
//! `Option` or with a default may be left out) and the `value` it answers
//! with. [`handle`](crate::handle) runs one; [`answer_json`](crate::answer_json) writes
//! the answer. The inputs and views they speak of are in the chapters
//! [`webhooks`](super::webhooks) and [`campaign`](super::campaign).
//!
//! **Events:** `message_sent`, `campaign_started`, `campaign_stopped`,
//! `campaign_paused`, `campaign_resumed`, `daily_limit_reached`, `error`,
//! `milestone`, and `test` (sent only by `webhooks.test`). Each is a variant
//! of [`EventKind`](crate::EventKind), with its sample data; what the
//! campaign's events carry is in [`campaign`](super::campaign).
//!
//! **Error codes:** `bad_request` (not a known request or a field is missing),
//! `not_allowed` (field `token` for a picker's `campaign.setTarget` without a valid pick token), `invalid_input` (with `field`: `url`, `name`, `method`,
//! `events`, `headers`, `filters`, `preset`, `chatId`, `template`, `secret`,
//! `retrySchedule`, `timeoutMs`, `ratePerMinute`, `autoDisableAfter`, `batch`, and `overlapHours` for `webhooks.rotateSecret`), `too_many_webhooks`, `unknown_webhook` and
//! `unknown_delivery` (field `id`), `unknown_event` (field `event`),
//! `invalid_import` (field `data`: not a settings file, over its size, or a
//! record of the wrong shape), `unsupported_version` (a file from a later
//! AutoHook), `decrypt_failed` (field `passphrase`: a wrong passphrase or a
//! file changed after export),
//! `payload_too_large`, `outbox_full`, `template_failed` (a preview of an
//! event the template cannot render), `campaign_state` (a campaign request its
//! state does not allow), `daily_limit_reached` (starting when today's
//! messages are all sent), `not_saved` (the request was carried out but
//! storage refused the write, so a restart before the next write lands would
//! undo it), `storage`, `internal`. A refused request changes nothing. `catalog.get` lists them all
//! ([`ApiError::code`](crate::ApiError::code) gives each error's).
