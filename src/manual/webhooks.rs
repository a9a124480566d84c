//! # Webhooks
//!
//! What [`webhooks.create`](crate::api::Request::WebhooksCreate),
//! [`webhooks.update`](crate::api::Request::WebhooksUpdate) and
//! [`webhooks.preview`](crate::api::Request::WebhooksPreview) take
//! ([`WebhookInput`](crate::WebhookInput), parsed once into a
//! [`WebhookConfig`](crate::WebhookConfig)), and what every request that
//! answers with a webhook shows.
//!
//! **Webhook input:** the fields of [`WebhookInput`](crate::WebhookInput),
//! each with what it takes, its default and its limits. Those docs are the
//! rows of the settings table in `src/config.rs` that the input, the stored
//! record, validation and the catalog are all built from, and a test holds
//! each limit written there to the one enforced, so this reference cannot
//! drift from the code. Going over a limit is an error naming the field;
//! nothing is stored. `batch` is explained under "A batch" in
//! [`delivery`](super::delivery), `actOnReplies` in [`replies`](super::replies),
//! `filters` in [`filters`](super::filters), `preset` and `chatId` in
//! [`presets`](super::presets), `template` in [`templates`](super::templates).
//! The campaign's settings are [`CampaignInput`](crate::CampaignInput), from
//! the same kind of table (`src/campaign/settings.rs`); its target's
//! selectors and a schedule's cron expression have limits of their own,
//! which the error for each states.
//!
//! **A webhook** as answers show it (`WebhookView` in `api.rs`):
//! `id`; every setting as its row of the settings table says it is shown
//! ([`ConfigView`](crate::config::ConfigView)): `url` as typed, with its
//! secret parts `••••`, `headers` as `[{name, value, secret}]` with `value`
//! `null` where secret, the signing secret never, the others as stored;
//! then `hasSecret`, `urlHasSecrets`, `createdAt`, `updatedAt`,
//! `disabledReason`, `previousSecrets` (`[{expiresAt}]`, newest first: the
//! secrets a rotation replaced that still sign, never their text), `stats`: `triggers`, `successes`,
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
