//! # What a delivery looks like
//!
//! A receiver gets one request per event (or per batch), built by
//! [`HttpRequest`](crate::HttpRequest) from the event's envelope
//! ([`Event`](crate::Event)) and the webhook's settings:
//!
//! ```text
//! POST /hook HTTP/1.1
//! Content-Type: application/json
//! X-AutoHook-Event: message_sent
//! X-AutoHook-Delivery: dlv_….1          (unique per attempt)
//! webhook-id: msg_…                     (the event: same on every retry)
//! webhook-timestamp: 1763800000
//! webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">
//! X-AutoHook-Signature: sha256=<hex HMAC-SHA256 of the body>
//!
//! {"id":"msg_…","event":"message_sent","timestamp":"2026-11-22T08:00:00.000Z",
//!  "data":{…},"source":"AutoHook","version":"1.0"}
//! ```
//!
//! **A batch** (a webhook with `batch` set) is one request for several
//! events, signed once over its body, with `X-AutoHook-Event: batch` and
//! `webhook-id` the batch's id (the same on every retry and redelivery):
//!
//! ```json
//! {"id":"msg_…","batch":[{"id":"msg_…","event":"message_sent",…},…],
//!  "count":10,"source":"AutoHook","version":"1.0"}
//! ```
//!
//! The envelope presets (`raw`, `zapier`, `make`, `n8n`) send that; Slack,
//! Discord, Teams and Telegram send one digest message, `10 events` and a
//! line per event's sentence (each line at most 300 characters), within the
//! service's limit, ending in `+ 12 more` when the rest does not fit (Discord's
//! embed and Teams' card say the same at their own sizes; Teams' facts count
//! the events by kind); IFTTT gets `value1` `batch`, `value2` the whole digest
//! and `value3` the events' envelopes as JSON. A custom template (and header or
//! query templates) sees the batch's envelope: `{{count}}`, `{{batch | json}}`,
//! `{{batch.0.data.message}}`, and `{{sentence}}` as the digest; it is checked
//! on save against a sample batch. A Test of a batching webhook is sent at
//! once, never held for a batch, as a batch of one, so the receiver sees the
//! shape it will get. An open batch is stored with its events (the log shows
//! it as `open`, "Batching"), and its deadline wakes the worker like a retry,
//! so a stopped worker neither loses it nor sends it twice. Retries, the rate
//! limit, holding while auto-disabled and the 256 KB cap apply to the batch as
//! to one delivery; stats count requests, so a batch is one trigger (a batch
//! that settings changed since it was gathered take past 256 KB is refused
//! in the log, never sent). Changing the batch setting sends the open batch
//! at once; turning batching off sends its events at once, one request each,
//! as the webhook now sends them; turning the webhook off or deleting it
//! cancels the open batch with its other undelivered events, and turning an
//! auto-disabled one on with `held: "discard"` discards it too. In the log a batch is one delivery whose `batch` lists
//! its events (`[{id, kind, at, data}]`), shown when its row is opened.
//!
//! GET sends no body: the envelope goes into the query (`id`, `event`,
//! `timestamp`, `source`, `version`, `data` as compact JSON) after any query the
//! URL has, and the signed "body" is that query string. A secret starting with
//! `whsec_` is base64 after the prefix (generated secrets are 32 random bytes);
//! any other secret is used as its UTF-8 bytes.
//!
//! **Rotating a secret** ([`webhooks.rotateSecret`](crate::api::Request::WebhooksRotateSecret), *Rotate secret* in the
//! editor) makes a new one that signs at once, while the one it replaced stays
//! valid for the overlap (24 hours unless asked otherwise, at most a week), so
//! receivers can switch at their own pace: meanwhile `webhook-signature`
//! carries the new signature first and then the old one, space-separated
//! (`v1,<new> v1,<old>`), as Standard Webhooks allows, so a receiver holding
//! either verifies; `X-AutoHook-Signature` has room for one and uses the new
//! secret. At most 3 previous secrets are kept (a fourth rotation drops the
//! oldest); each expires by itself, and the engine wakes then to delete it.
//! Replacing the secret by hand in the editor ends every previous one at once:
//! that is how a leaked secret is revoked. The card shows "Previous secret
//! valid until …".
//!
//! Retried: network errors, timeouts, 408, 425, 429, 5xx (`Retry-After` on
//! 429/503 honoured, capped at one hour). Not retried: other 4xx and 3xx.
//! 410 Gone turns the webhook off and records why.
//!
//! Limits (each a clear error, never a silent drop): 10 webhooks; 256 KB
//! payloads (refused and logged); 100 first attempts a minute per webhook by
//! default (the excess waits in the outbox); 10 000 undelivered events; the log
//! keeps the last 500 deliveries (request body up to 4 KB, response body up to
//! 1 KB). The log never keeps credentials, known by where they come from, not
//! by name: every custom header value (unless the header is `Content-Type`,
//! `Accept`, `Accept-Language`, `Content-Language` or `User-Agent`, or its
//! *Secret* switch is off) shows as `•••• (<header>)`; every query value written
//! in the URL (a value with a `{{…}}` tag is a template and shows rendered),
//! every query component written without `=`, every token-like path segment
//! or host label (16+ characters mixing letters and digits, a host label read
//! as Unicode, plus Slack's and Discord's webhook tokens, Telegram's
//! `bot<token>`, Zapier's catch path and IFTTT's key) shows as `••••`, and a
//! stored URL that no longer parses as a whole. Any of them, the signing
//! secret, and the literal text of a secret header's template (at least 6
//! characters, without its auth scheme), found elsewhere in the request or
//! the response, plain or encoded, is replaced by `••••`. Credentials belong in a header, the secret
//! or the URL, never in a template: templates are shown and exported as
//! written.
//!
//! Fair shares: a webhook alone may use all 32 in-flight requests and all 10
//! 000 places in the outbox. While several have work, the in-flight requests
//! are shared by weight (a webhook whose last attempt failed weighs half one
//! that answers), and once the outbox is full a webhook holding more than an
//! equal share has its newest unsent deliveries dropped, each logged with the
//! reason, to make room for the others' events. A receiver that hangs or
//! answers nothing but 429 therefore cannot starve the others: beside one of
//! each, a healthy receiver keeps at least half the throughput it has alone
//! (`tests/it/fairness.rs`; E2E `health.test.mjs`). Webhooks on one host and
//! port also share the browser's own limit of 6 connections to it (Chromium,
//! HTTP/1.1): requests hanging there queue the others to that port in the
//! browser until their timeout.
