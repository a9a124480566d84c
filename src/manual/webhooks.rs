//! # Webhooks
//!
//! What [`webhooks.create`](crate::api::Request::WebhooksCreate),
//! [`webhooks.update`](crate::api::Request::WebhooksUpdate) and
//! [`webhooks.preview`](crate::api::Request::WebhooksPreview) take
//! ([`WebhookInput`](crate::WebhookInput), parsed once into a
//! [`WebhookConfig`](crate::WebhookConfig)), and what every request that
//! answers with a webhook shows.
//!
//! **Webhook input:** `name` (1–99 characters; default: the URL's host), `url`
//! (http/https, no credentials), `method` (`POST`, `GET`, `PUT`, `PATCH`),
//! `events` (names; default: all but `test`), `headers` (an object of names
//! to a string, or to `{"value", "secret"}`: `"secret": false` shows that
//! header in the log and exports; without `value` the stored value is kept)
//! or `headersJson` (the same as JSON text), `secret` (`""` removes it), `enabled`,
//! `retrySchedule` (ms before each retry; default `[1000, 2000, 3000]`),
//! `timeoutMs` (default 10000), `ratePerMinute` (default 100),
//! `autoDisableAfter` (consecutive failed deliveries after which AutoHook turns
//! the webhook off and holds its events; default 20, 0 never), `batch`
//! (`null`, the default: one request per event; or `{"maxEvents",
//! "maxWaitSeconds"}`: the events that pass the filters join the webhook's
//! open batch, sent as one request when it holds `maxEvents` or its first
//! event is `maxWaitSeconds` old, whichever comes first, or early, before an
//! event that would take it past 256 KB, which then starts the next batch;
//! see "A batch" in [`delivery`](super::delivery)),
//! `actOnReplies` (act on the receiver's replies: [`replies`](super::replies); default false),
//! `filters` ([`filters`](super::filters)), `preset` and `chatId`
//! ([`presets`](super::presets)), `template` ([`templates`](super::templates)).
//!
//! **Field limits.** Going over one is an error naming the field; nothing
//! is stored:
//!
//! | field | limit |
//! |---|---|
//! | `name` | under 100 characters |
//! | `url` | 2048 characters |
//! | `headers` | 20 headers; names up to 128 characters, values up to 4096 |
//! | `headersJson` | 100000 characters |
//! | `secret` | 256 characters |
//! | `events` | 32 names |
//! | `filters` | 20 conditions of up to 500 characters each; lists do not nest |
//! | `template` | 16384 characters and 256 tags |
//! | `chatId` | 64 characters |
//! | `retrySchedule` | 10 delays of up to 3600000 ms |
//! | `timeoutMs` | 1000 to 120000 ms |
//! | `ratePerMinute` | 1 to 10000 |
//! | `autoDisableAfter` | 0 (never) to 1000 |
//! | `batch` | `maxEvents` 2 to 100, `maxWaitSeconds` 1 to 3600 |
//! | `phrases` (campaign) | 1000 phrases of up to 4096 characters each |
//! | `input`, `button` (campaign target) | 1000 characters |
//! | `schedule.cron` (campaign) | 256 characters |
//!
//! **A webhook** as replies show it: `id`, `name`, `url` (as typed, with its
//! secret parts `••••`), `urlHasSecrets`, `method`, `events`, `headers`
//! (`[{name, value, secret}]`, `value` `null` where secret), `hasSecret` (the secret itself never leaves the background),
//! `previousSecrets` (`[{expiresAt}]`, newest first: the secrets a rotation
//! replaced that still sign, never their text),
//! `enabled`, `disabledReason`, `createdAt`, `updatedAt`, `retrySchedule`,
//! `timeoutMs`, `ratePerMinute`, `autoDisableAfter`, `batch`, `actOnReplies`, `filters`, `preset`, `chatId`, `template`, `stats`: `triggers`, `successes`,
//! `failures`, `lastTriggered`, `lastStatus`, `successRate`, `meanLatencyMs`;
//! and `health`: `state` (`healthy`, `failing`, or `disabled` when AutoHook
//! turned it off), `consecutiveFailures`, `failingSince`, `lastReason`,
//! `disabledAt`, `autoDisabled` (off after `autoDisableAfter` failed deliveries
//! in a row, or, where `autoDisableAfter` is not 0, after six hours of nothing
//! but 429 Too Many Requests, since a 429 waits out its Retry-After of up to an
//! hour before it is retried and a throttling receiver would otherwise stay on
//! for days while its deliveries pile up: its events are held, not dropped, until it is turned on again;
//! at most 1,000 per webhook, past which its events are logged as dropped so
//! one dead receiver cannot fill the outbox the others need)
//! and `held` (how many are held).
