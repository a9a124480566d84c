//! The message API between the extension's pages (and content script) and
//! the background, dispatched onto the [`Engine`].
//!
//! Requests are JSON objects `{type, ...}`, each a variant of [`Request`]
//! that documents its fields and its answer; the manual's
//! [`message_api`](crate::manual::message_api) chapter has the rest.
//! Answers are `{ok: true, value}` or `{ok: false, error: {code, message,
//! field}}` — [`answer_json`] builds both. Trust is by sender: the content
//! script may only set the campaign's target to its own tab (the picker),
//! and only with the one-time token of a pick the user started from the
//! popup (`campaign.beginPick`), since a compromised page could send
//! anything the content script can.

use serde::de::{Error as _, IgnoredAny, Unexpected};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use thiserror::Error;
use url::Url;

use crate::campaign::{CampaignInput, Selectors};
use crate::catalog::{self, ErrorCode};
use crate::config::{display_url, ConfigView, WebhookInput};
pub use crate::engine::Answer;
use crate::engine::{
    Control, Delivery, DeliveryState, Engine, EngineError, GlobalSettings, HeldEvents, ImportMode, SwitchesInput, Webhook,
    MAX_REQUEST_ID_CHARS,
};
use crate::event::EventKind;
use crate::export::{self, Secrets, TransferError};
use crate::redact::{is_secret_header, StoredUrl};
use crate::signing::generate_secret;
use crate::stats::StatsView;
use crate::time::Millis;

const DEFAULT_LIST_LIMIT: usize = 50;
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Who sent a message, as the background's listener established it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sender {
    /// The settings page or the popup.
    ExtensionPage,
    /// The content script in a web page's tab.
    ContentScript {
        /// The tab it runs in.
        tab_id: u32,
        /// The page's URL.
        url: String,
    },
}

/// Declares [`Request`] and [`RequestKind`] from one list: the enum as
/// written, each variant with its doc and its `type` (`serde(rename)`).
macro_rules! requests {
    (
        $(#[$request_meta:meta])*
        pub enum $request:ident {
            $(
                $(#[doc = $doc:literal])*
                #[serde(rename = $name:literal)]
                $variant:ident $(($inner:ty))? $({ $($fields:tt)* })?,
            )*
        }
    ) => {
        $(#[$request_meta])*
        pub enum $request {
            $($(#[doc = $doc])* #[serde(rename = $name)] $variant $(($inner))? $({ $($fields)* })?,)*
        }

        /// Which [`Request`] a message asks, by its `type` alone: what can be
        /// known of it before its fields are read.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum RequestKind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl RequestKind {
            /// Every kind, in declaration order.
            const ALL: [RequestKind; [$($name),*].len()] = [$(RequestKind::$variant),*];

            /// The `type`, e.g. `webhooks.list`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RequestKind::$variant => $name,)*
                }
            }
        }
    };
}

requests! {
/// A request, parsed from the message's JSON by [`Request::parse`]. The
/// variants without fields hold [`IgnoredAny`]: such a request ignores any
/// other fields it carries, as it did when serde read the enum as
/// internally tagged.
#[derive(Debug, Deserialize)]
#[serde(rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum Request {
    /// `webhooks.list`: every webhook, with its stats and health.
    ///
    /// Answers a list of webhooks as answers show them
    /// ([`webhooks`](crate::manual::webhooks), "A webhook as answers show it").
    #[serde(rename = "webhooks.list")]
    WebhooksList(IgnoredAny),
    /// `webhooks.create`: adds a webhook.
    ///
    /// Answers the webhook as answers show it. Refused with `invalid_input`
    /// (and the field) by the rules of [`webhooks`](crate::manual::webhooks),
    /// `too_many_webhooks` past 10.
    #[serde(rename = "webhooks.create")]
    WebhooksCreate {
        /// Its settings ([`WebhookInput`]).
        webhook: WebhookInput,
    },
    /// `webhooks.update`: changes the fields given.
    ///
    /// Answers the webhook as answers show it.
    #[serde(rename = "webhooks.update")]
    WebhooksUpdate {
        /// Which webhook.
        id: String,
        /// The fields to change ([`WebhookInput`]); the others keep their values.
        changes: WebhookInput,
    },
    /// `webhooks.delete`: removes a webhook.
    ///
    /// Answers `null`; its undelivered events are cancelled.
    #[serde(rename = "webhooks.delete")]
    WebhooksDelete {
        /// Which webhook.
        id: String,
    },
    /// `webhooks.setEnabled`: turns a webhook on or off.
    ///
    /// Answers the webhook; turning it off cancels its undelivered events, held
    /// ones too.
    #[serde(rename = "webhooks.setEnabled")]
    WebhooksSetEnabled {
        /// Which webhook.
        id: String,
        /// On or off.
        enabled: bool,
        /// Turning on an auto-disabled webhook: `deliver` (the default) or
        /// `discard` its held events.
        #[serde(default)]
        held: HeldEvents,
    },
    /// `webhooks.test`: delivers the `test` event and answers with its result.
    ///
    /// The answer comes after the attempt ([`delivery_result`]):
    /// `{deliveryId, ok, state, status, latencyMs, error, failure,
    /// responseBody}`; `failure` is `permission`, `network`, `timeout`,
    /// `redirect`, `client_error` or `server_error`. A Test is sent at once
    /// (never held for a batch, as a batch of one for a batching webhook) and
    /// never retried.
    #[serde(rename = "webhooks.test")]
    WebhooksTest {
        /// Which webhook.
        id: String,
    },
    /// `settings.get`: the global switch.
    ///
    /// Answers `{enabled}`.
    #[serde(rename = "settings.get")]
    SettingsGet(IgnoredAny),
    /// `settings.set`: sets the global switch.
    ///
    /// Answers `{enabled}`.
    #[serde(rename = "settings.set")]
    SettingsSet {
        /// Whether events are delivered.
        enabled: bool,
    },
    /// `settings.export`: the settings file: every webhook, the campaign's
    /// settings, the switches.
    ///
    /// Answers the file ([`import_export`](crate::manual::import_export)):
    /// secrets and credential header values left out, or encrypted under the
    /// passphrase.
    #[serde(rename = "settings.export")]
    SettingsExport {
        /// Whether secrets and credential headers go in, encrypted (default false).
        #[serde(default)]
        include_secrets: bool,
        /// What they are encrypted under: at least 8 characters; needed with
        /// `includeSecrets`.
        passphrase: Option<String>,
    },
    /// `settings.import`: applies a settings file, all or nothing.
    ///
    /// Answers `{created, updated, unchanged, removed, withoutSecrets,
    /// credentialsDropped, campaign, settings}`: webhook names
    /// (`credentialsDropped`: `{webhook, changes, reenter}` per webhook
    /// imported without this browser's credentials), and whether the
    /// campaign's settings and the switches were in the file
    /// ([`import_export`](crate::manual::import_export) has the rules).
    #[serde(rename = "settings.import")]
    SettingsImport {
        /// The file's text, or its JSON; at most 32 MiB.
        data: Value,
        /// The passphrase, for a file with encrypted secrets.
        passphrase: Option<String>,
        /// `merge` or `replace`.
        mode: ImportMode,
        /// Only say what would change; nothing is applied.
        #[serde(default)]
        dry_run: bool,
    },
    /// `events.emit`: raises an event (extension pages only).
    ///
    /// Answers `{deliveries: [ids]}`: one delivery per webhook it reaches.
    #[serde(rename = "events.emit")]
    EventsEmit {
        /// Its wire name, e.g. `message_sent`.
        event: String,
        /// Its `data` object (`{}` when absent).
        #[serde(default)]
        data: Value,
    },
    /// `deliveries.list`: the delivery log, newest first.
    ///
    /// Answers deliveries as stored ([`Delivery`]); a pending
    /// one has `waitingForNetwork: true` while the browser is offline; a batch
    /// has `batch`, its events.
    #[serde(rename = "deliveries.list")]
    DeliveriesList {
        /// Only this webhook's.
        webhook_id: Option<String>,
        /// Only deliveries in this state: `pending`, `held`, `open`, `delivered`,
        /// `failed`, `cancelled` or `skipped`.
        state: Option<DeliveryState>,
        /// At most this many (default 50).
        limit: Option<usize>,
    },
    /// `deliveries.get`: one delivery with its attempts.
    #[serde(rename = "deliveries.get")]
    DeliveriesGet {
        /// Which delivery.
        id: String,
    },
    /// `deliveries.redeliver`: sends a logged delivery's event again.
    ///
    /// Answers `{delivery: id}`, the new delivery's; it has the same
    /// `webhook-id` as the original.
    #[serde(rename = "deliveries.redeliver")]
    DeliveriesRedeliver {
        /// Which delivery.
        id: String,
    },
    /// `deliveries.redeliverFailed`: queues again every event whose delivery
    /// failed since a time.
    ///
    /// Answers `{count}`: each such event queued again (same `webhook-id`,
    /// paced by the rate limit, shown as pending), once per webhook; not one
    /// already on its way or delivered since, nor Tests.
    #[serde(rename = "deliveries.redeliverFailed")]
    DeliveriesRedeliverFailed {
        /// Only this webhook's.
        webhook_id: Option<String>,
        /// Only deliveries that failed at or after this time (ms); default the
        /// whole log.
        since: Option<u64>,
        /// Only count them; nothing is queued.
        #[serde(default)]
        dry_run: bool,
    },
    /// `deliveries.cancelPending`: cancels unfinished deliveries (pending and
    /// held, not Tests).
    ///
    /// Answers `{count}`, how many were cancelled.
    #[serde(rename = "deliveries.cancelPending")]
    DeliveriesCancelPending {
        /// Only this webhook's.
        webhook_id: Option<String>,
    },
    /// `notifications.get`: which kinds of notification are on.
    ///
    /// Answers `{failing, disabled, campaignPaused, dailyLimit}` (default all
    /// on but `dailyLimit`).
    #[serde(rename = "notifications.get")]
    NotificationsGet(IgnoredAny),
    /// `notifications.set`: turns kinds of notification on or off: any of
    /// `failing`, `disabled`, `campaignPaused`, `dailyLimit` (booleans).
    ///
    /// Answers all four.
    #[serde(rename = "notifications.set")]
    NotificationsSet(SwitchesInput),
    /// `badge.get`: the toolbar badge and what it counts.
    ///
    /// Answers `{text, color, unseenFailures, autoDisabled}`: the badge (`!`
    /// while a webhook is auto-disabled, else the failed deliveries not yet
    /// seen), and how many webhooks are auto-disabled.
    #[serde(rename = "badge.get")]
    BadgeGet(IgnoredAny),
    /// `badge.markSeen`: the user has seen the failures so far (the log and
    /// the popup send it when opened).
    ///
    /// Answers as [`badge.get`](Request::BadgeGet), the failures so far counted
    /// as seen.
    #[serde(rename = "badge.markSeen")]
    BadgeMarkSeen(IgnoredAny),
    /// `stats.clear`: zeroes the stats of one webhook, or all when `id` is absent.
    ///
    /// Answers `null`.
    #[serde(rename = "stats.clear")]
    StatsClear {
        /// Which webhook.
        id: Option<String>,
    },
    /// `secrets.generate`: a new random `whsec_` secret (not stored).
    ///
    /// Answers `{secret: "whsec_…"}`.
    #[serde(rename = "secrets.generate")]
    SecretsGenerate(IgnoredAny),
    /// `webhooks.preview`: the exact request a sample event would produce (the
    /// settings page's preview).
    ///
    /// Answers the request as the log would show it (credentials masked, the
    /// whole body): `{method, url, headers, body}`. Fails as saving would.
    #[serde(rename = "webhooks.preview")]
    WebhooksPreview {
        /// The form's current input; checked as saving would check it.
        webhook: WebhookInput,
        /// The webhook being edited, if any (its stored secret is used).
        id: Option<String>,
        /// Which event to sample; default the first subscribed.
        event: Option<String>,
    },
    /// `webhooks.rotateSecret`: gives a webhook a new secret and keeps the old
    /// one signing for the overlap.
    ///
    /// Answers `{secret}`: the new `whsec_` secret, once, for copying. A
    /// webhook without a secret just gets one. How receivers see the overlap is
    /// in [`delivery`](crate::manual::delivery), "Rotating a secret".
    #[serde(rename = "webhooks.rotateSecret")]
    WebhooksRotateSecret {
        /// Which webhook.
        id: String,
        /// How long the replaced secret stays valid: default 24; more than 0, at
        /// most 168; fractions allowed.
        overlap_hours: Option<f64>,
    },
    /// `webhooks.revealSecret`: a webhook's credentials as stored, for the
    /// settings page's Reveal and Copy.
    ///
    /// Answers `{secret, url, headers}`: the secret, the URL as typed, and
    /// each secret header's value by name.
    #[serde(rename = "webhooks.revealSecret")]
    WebhooksRevealSecret {
        /// Which webhook.
        id: String,
    },
    /// `stats.summary`: counts for the last 24 hours and the latest deliveries
    /// (the popup).
    ///
    /// Answers `{delivered24h, failed24h, latest}`: deliveries finished in the
    /// last 24 hours by outcome, and the five newest as `{id, webhookName,
    /// event, state, status, createdAt}`.
    #[serde(rename = "stats.summary")]
    StatsSummary(IgnoredAny),
    /// `storage.unreadable`: stored records that could not be read and were
    /// set aside.
    ///
    /// Answers `[{name, origin, reason, bytes, preview, unopenable}]`:
    /// `preview` is the start of the record's text, empty for a record that
    /// holds credentials; `unopenable` says it was sealed under a key this
    /// browser no longer has.
    #[serde(rename = "storage.unreadable")]
    StorageUnreadable(IgnoredAny),
    /// `storage.deleteUnreadable`: deletes a set-aside record for good.
    ///
    /// Answers `null`; `bad_request` when no set-aside record has that name.
    #[serde(rename = "storage.deleteUnreadable")]
    StorageDeleteUnreadable {
        /// Its name, as `storage.unreadable` lists it.
        name: String,
    },
    /// `campaign.get`: the campaign: status, settings, target, counters.
    ///
    /// Answers the campaign as answers show it
    /// ([`campaign`](crate::manual::campaign)); with `url`, its `remembered`
    /// holds the selectors saved for that page's site.
    #[serde(rename = "campaign.get")]
    CampaignGet {
        /// The page the popup is on.
        url: Option<String>,
    },
    /// `campaign.configure`: changes the campaign's settings: only the fields given.
    ///
    /// Answers the campaign.
    #[serde(rename = "campaign.configure")]
    CampaignConfigure {
        /// The fields to change.
        settings: CampaignInput,
    },
    /// `campaign.setTarget`: points the campaign at a chat input (and send
    /// button) in a tab.
    ///
    /// From an extension page it takes `tabId`, `url`, `input` and `button`;
    /// from the content script (the picker) only `input`, `button` and the
    /// `token` of [`campaign.beginPick`](Request::CampaignBeginPick), and the
    /// tab is its own. The selectors are remembered for the site. Answers the
    /// campaign; to the picker only `{target}`. From the picker it is refused
    /// `not_allowed` (field `token`) without the token, with another, after 5
    /// minutes, from another tab or site, or a second time.
    #[serde(rename = "campaign.setTarget")]
    CampaignSetTarget {
        /// The tab (extension pages only).
        tab_id: Option<u32>,
        /// The page's URL (extension pages only).
        url: Option<String>,
        /// CSS selector of the message box.
        input: String,
        /// CSS selector of the send button.
        button: Option<String>,
        /// The pick's one-time token (the content script only; required there).
        token: Option<String>,
    },
    /// `campaign.beginPick`: opens a pick in a tab (extension pages only).
    ///
    /// Answers `{token, expiresAt}`: a one-time token for a picker in that tab,
    /// on that page's site, for 5 minutes, which the popup hands to the picker
    /// it injects there; a newer pick replaces it.
    #[serde(rename = "campaign.beginPick")]
    CampaignBeginPick {
        /// The tab the picker goes into.
        tab_id: u32,
        /// The page's URL: the pick holds for its site only.
        url: String,
    },
    /// `catalog.get`: what the pages build their forms from (extension pages only).
    ///
    /// Answers `{events, presets, limits, errorCodes, neverSecretHeaders,
    /// fields}`, as
    /// `catalog::view` lists them: `events` (`[{name, subscribable, sample,
    /// sentence}]`, in the order the UI lists them; `test` is not
    /// `subscribable`: it reaches every webhook), `presets` (`[{name, label,
    /// needs, sendsEnvelope, usesTemplate, limits}]`, the default first,
    /// `label` the service's name or `null` where the page translates it
    /// (`preset_<name>`), `needs` the webhook fields it requires (`chatId`,
    /// `template`), `limits` the service's `[{field, max, unit}]`, `unit`
    /// `chars`, `utf16`, `jsonBytes` or `bytes`), `limits` (`{webhook,
    /// campaign}`: per input field its `maxChars`, `maxItems`, `min`, `max`,
    /// and `maxNameChars`, `maxValueChars`, `maxTags`, as each field's doc on
    /// [`WebhookInput`] and
    /// [`CampaignInput`] says them, and
    /// `webhook.payload.maxBytes`, 256 KB), `errorCodes` (every error `code`)
    /// `neverSecretHeaders` (the headers whose values are never
    /// credentials) and `fields` (`{webhook, campaign}`: every setting's
    /// `{name, control, choices, step}` in its table's order, `control` one
    /// of `text`, `number` (with `step` for its arrows, if any), `numbers`,
    /// `bool`, `choice` (with its `choices`), `lines`, or `own`, a control
    /// the page writes itself; see
    /// [`settings`](crate::settings)).
    #[serde(rename = "catalog.get")]
    CatalogGet(IgnoredAny),
    /// `campaign.start`: starts sending.
    ///
    /// Answers the campaign; `campaign_state` if it is not in a state that
    /// allows it, `daily_limit_reached` when today's messages are all sent.
    #[serde(rename = "campaign.start")]
    CampaignStart(IgnoredAny),
    /// `campaign.pause`: pauses.
    ///
    /// Answers the campaign; `campaign_state` if it is not running.
    #[serde(rename = "campaign.pause")]
    CampaignPause(IgnoredAny),
    /// `campaign.resume`: resumes after a pause.
    ///
    /// Answers the campaign; `campaign_state` if it is not paused,
    /// `daily_limit_reached` when today's messages are all sent.
    #[serde(rename = "campaign.resume")]
    CampaignResume(IgnoredAny),
    /// `campaign.stop`: stops.
    ///
    /// Answers the campaign; `campaign_state` if it is not in a state that
    /// allows it.
    #[serde(rename = "campaign.stop")]
    CampaignStop(IgnoredAny),
}
}

impl Request {
    /// Reads `{"type": kind, ...fields}`. Not with serde's internally tagged
    /// enums: serde reads those by copying the message into a tree of its
    /// own and each variant's fields from that, a second deserializer for
    /// every type a request holds (47,134 bytes of the Wasm module, 9,782
    /// gzipped). The tag is moved out instead, `{kind: {...fields}}`, and
    /// the enum read as externally tagged, with the same errors. (serde
    /// also took a request as an array, `["webhooks.list"]`; no more.)
    fn parse(message: Value) -> Result<Request, serde_json::Error> {
        let mut fields = match message {
            Value::Object(fields) => fields,
            other => return Err(serde_json::Error::invalid_type(unexpected(&other), &"internally tagged enum Request")),
        };
        let kind = match fields.shift_remove("type") {
            Some(Value::String(kind)) => kind,
            Some(other) => return Err(serde_json::Error::invalid_type(unexpected(&other), &"variant identifier")),
            None => return Err(serde_json::Error::missing_field("type")),
        };
        serde_json::from_value(Value::Object([(kind, Value::Object(fields))].into_iter().collect()))
    }
}

/// How serde names a value in an "invalid type" error.
fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (None, Some(i)) => Unexpected::Signed(i),
            _ => Unexpected::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// Why a request failed.
#[derive(Debug, Error)]
pub enum ApiError {
    /// The message is not a request this API knows, or lacks a field.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The sender may not make this request.
    #[error("{0} is only accepted from the extension's own pages")]
    NotAllowed(String),
    /// The engine refused it.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A settings file could not be written or read.
    #[error(transparent)]
    Transfer(#[from] TransferError),
    /// It was done, but storage refused the write, so a restart of the
    /// background before the next write lands would undo it.
    #[error("done, but not saved: storage refused the write ({0}); it is written again with the next change")]
    NotSaved(String),
    /// The request needs the log, and storage did not hand it over.
    #[error("storage did not read the log ({0}); try again")]
    LogNotRead(String),
}

impl ApiError {
    /// A stable code the UI can switch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::NotAllowed(_) => ErrorCode::NotAllowed,
            ApiError::NotSaved(_) => ErrorCode::NotSaved,
            ApiError::LogNotRead(_) => ErrorCode::Storage,
            ApiError::Engine(error) => error.code(),
            ApiError::Transfer(error) => error.code(),
        }
    }

    /// The field at fault, if one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ApiError::Engine(error) => error.field(),
            ApiError::Transfer(error) => Some(error.field()),
            _ => None,
        }
    }
}

/// A webhook as pages see it: its settings as their table shows them
/// ([`ConfigView`]: no credential is ever sent;
/// [`webhooks.revealSecret`](Request::WebhooksRevealSecret) gives them to
/// the editor's Reveal), then its bookkeeping: of the secret, only whether
/// there is one; whether the URL has secret parts; of each previous
/// secret, only when it expires; the stats with their rates; and the
/// health with how many deliveries it holds.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhookView<'a> {
    id: &'a str,
    #[serde(flatten)]
    settings: ConfigView<'a>,
    has_secret: bool,
    url_has_secrets: bool,
    created_at: Millis,
    updated_at: Millis,
    disabled_reason: Option<&'a str>,
    stats: StatsView,
    health: Value,
    previous_secrets: Value,
}

/// The [`WebhookView`] of `webhook`, which holds `held` deliveries.
fn webhook_view(webhook: &Webhook, held: usize) -> Value {
    let raw = webhook.config.to_raw();
    let view = WebhookView {
        id: &webhook.id,
        settings: raw.view(),
        has_secret: raw.secret.is_some(),
        url_has_secrets: StoredUrl::read(&raw.url).holds_credential(),
        created_at: webhook.created_at,
        updated_at: webhook.updated_at,
        disabled_reason: webhook.disabled_reason.as_deref(),
        stats: webhook.stats.view(),
        health: webhook.health.view(held),
        previous_secrets: webhook.previous_secrets.view(),
    };
    serde_json::to_value(view).expect("a webhook's view serializes to JSON")
}

/// What [`webhook_view`] leaves out, for the editor's Reveal and Copy:
/// the secret, the URL as typed, and each secret header's value by name.
fn credentials_view(webhook: &Webhook) -> Value {
    let raw = webhook.config.to_raw();
    let url = Url::parse(&raw.url).map_or(raw.url.clone(), |url| display_url(&url));
    let headers: serde_json::Map<String, Value> = raw
        .headers
        .into_iter()
        .filter(|header| is_secret_header(&header.name, header.secret))
        .map(|header| (header.name, Value::String(header.value)))
        .collect();
    json!({ "secret": webhook.config.secret(), "url": url, "headers": headers })
}

/// The webhook with `id` as [`webhook_view`] shows it.
fn webhook_view_of(engine: &Engine, id: &str) -> Result<Value, ApiError> {
    let webhook = engine.webhook(id)?;
    Ok(webhook_view(webhook, engine.held_count(id)))
}

/// A delivery as stored; a pending one also says whether it waits for the
/// browser to be back online.
fn delivery_view(engine: &Engine, delivery: &Delivery) -> Value {
    let mut view = serde_json::to_value(delivery).expect("deliveries serialize to JSON");
    if delivery.state == DeliveryState::Pending && !engine.online() {
        view["waitingForNetwork"] = Value::Bool(true);
    }
    view
}

fn badge_view(engine: &Engine) -> Value {
    let badge = engine.badge();
    let auto_disabled = engine.webhooks().iter().filter(|w| w.health.auto_disabled).count();
    json!({ "text": badge.text, "color": badge.color, "unseenFailures": engine.unseen_failures(), "autoDisabled": auto_disabled })
}

/// Parses and runs one request. `random` supplies fresh bytes for
/// `secrets.generate`, `webhooks.rotateSecret` and `campaign.beginPick`.
///
/// A message may carry a `requestId` (the shell sets one on every request):
/// a request that changes state is answered once, and a repeat of the same
/// id from the same sender with the same type gets that first answer
/// without running again. The shell repeats a request only when the
/// browser dropped its answer.
pub fn handle(engine: &mut Engine, mut message: Value, sender: Sender, now: Millis, random: &[u8; 32]) -> Result<Answer, ApiError> {
    let kind = message.get("type").and_then(Value::as_str).unwrap_or_default().to_string();
    let raw_id = match message.as_object_mut().and_then(|fields| fields.remove("requestId")) {
        None => None,
        Some(Value::String(id)) if !id.is_empty() && id.chars().count() <= MAX_REQUEST_ID_CHARS => Some(id),
        Some(_) => return Err(ApiError::BadRequest(format!("requestId must be text of 1 to {MAX_REQUEST_ID_CHARS} characters"))),
    };
    let request_id = raw_id.as_deref().map(|id| request_key(&sender, &kind, id));
    let read_only = is_read_only(&message);
    // A campaign answer to a page carries every phrase: the campaign as it is
    // now is what a repeat answers, so only a marker is kept. A content
    // script's answer is only the target, and is kept as it is.
    let campaign_view = sender == Sender::ExtensionPage && kind.starts_with("campaign.") && kind != "campaign.beginPick";
    // 1.0.0 kept a page's answers under `page:<id>`, without the type; they
    // expire within minutes of the update, and a page's ids are its own.
    // A content script's are never read so: they held the whole campaign.
    let legacy = raw_id.filter(|_| sender == Sender::ExtensionPage).map(|id| format!("page:{id}"));
    let remembered = [request_id.as_deref(), legacy.as_deref()].into_iter().flatten().find_map(|id| engine.remembered_answer(id, now));
    if let Some(answer) = remembered {
        return Ok(match answer {
            Answer::Now(Value::Null) if campaign_view => Answer::Now(engine.campaign().view(None, now)),
            answer => answer.clone(),
        });
    }
    let answer = dispatch(engine, message, sender, now, random)?;
    if let (Some(id), false) = (request_id, read_only) {
        let kept = if campaign_view { Answer::Now(Value::Null) } else { answer.clone() };
        engine.remember_answer(id, kept, now);
    }
    Ok(answer)
}

/// The key a request id is kept under: scoped by sender, so no other
/// context can read a page's answer by guessing its id, and by the
/// request's type, so a repeat cannot ask another request's question
/// and get that one's answer.
pub fn request_key(sender: &Sender, kind: &str, id: &str) -> String {
    match sender {
        Sender::ExtensionPage => format!("page:{kind}:{id}"),
        Sender::ContentScript { tab_id, .. } => format!("tab {tab_id}:{kind}:{id}"),
    }
}

/// Whether `message` asks for something that changes nothing: its answer
/// need not wait for a write that landed. Read from its `type` alone,
/// before its fields are.
pub fn is_read_only(message: &Value) -> bool {
    message.get("type").and_then(Value::as_str).and_then(RequestKind::parse).is_some_and(RequestKind::is_read_only)
}

/// Whether `message` needs the whole log ([`RequestKind::reads_log`]).
pub fn reads_log(message: &Value) -> bool {
    message.get("type").and_then(Value::as_str).and_then(RequestKind::parse).is_some_and(RequestKind::reads_log)
}

impl RequestKind {
    /// The kind whose `type` is `name`, if any.
    pub fn parse(name: &str) -> Option<RequestKind> {
        RequestKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// Whether the request changes nothing: a repeat of one simply runs
    /// again, and its answer need not wait for a write.
    pub fn is_read_only(self) -> bool {
        self.handling().0
    }

    /// Whether the request reads logged deliveries older than this start:
    /// the driver hands the engine the log before it runs
    /// ([`Engine::load_log`]). Every other request runs on the outbox and
    /// what was logged since the start, so a start need not read the log.
    pub fn reads_log(self) -> bool {
        self.handling().1
    }

    /// (read only, reads the log). Every kind is named here once, so a new
    /// request must say both.
    fn handling(self) -> (bool, bool) {
        use RequestKind::*;
        const READS: (bool, bool) = (true, false);
        const READS_LOG: (bool, bool) = (true, true);
        const CHANGES: (bool, bool) = (false, false);
        const CHANGES_AFTER_LOG: (bool, bool) = (false, true);
        match self {
            WebhooksList | WebhooksPreview | WebhooksRevealSecret | SettingsGet | SettingsExport | SecretsGenerate | CampaignGet
            | StorageUnreadable | CatalogGet | NotificationsGet | BadgeGet => READS,
            DeliveriesList | DeliveriesGet | StatsSummary => READS_LOG,
            // A Test is answered with its delivery, which a repeat after a restart finds in the log.
            DeliveriesRedeliver | DeliveriesRedeliverFailed | WebhooksTest => CHANGES_AFTER_LOG,
            WebhooksCreate
            | WebhooksUpdate
            | WebhooksDelete
            | WebhooksSetEnabled
            | SettingsSet
            | SettingsImport
            | EventsEmit
            | DeliveriesCancelPending
            | NotificationsSet
            | BadgeMarkSeen
            | StatsClear
            | WebhooksRotateSecret
            | StorageDeleteUnreadable
            | CampaignConfigure
            | CampaignSetTarget
            | CampaignBeginPick
            | CampaignStart
            | CampaignPause
            | CampaignResume
            | CampaignStop => CHANGES,
        }
    }
}

fn dispatch(engine: &mut Engine, message: Value, sender: Sender, now: Millis, random: &[u8; 32]) -> Result<Answer, ApiError> {
    // Content scripts live in web pages: nothing here is theirs to read or
    // change (webhook URLs and logs can hold tokens), except the picker's
    // choice of target in its own tab.
    let kind = message.get("type").and_then(Value::as_str).unwrap_or("this request");
    if let Sender::ContentScript { tab_id, url } = &sender {
        if kind != "campaign.setTarget" {
            return Err(ApiError::NotAllowed(kind.to_string()));
        }
        let request = Request::parse(message).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let Request::CampaignSetTarget { tab_id: None, url: None, input, button, token } = request else {
            return Err(ApiError::BadRequest("a content script sets the target of its own tab only".into()));
        };
        engine.finish_campaign_pick(*tab_id, url, Selectors { input, button }, token.as_deref(), now)?;
        // Only what it set: the campaign's phrases and settings are not the page's to read.
        return Ok(Answer::Now(json!({ "target": engine.campaign().view(None, now)["target"] })));
    }
    let request = Request::parse(message).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let value = match request {
        Request::WebhooksList(_) => Value::Array(engine.webhooks().iter().map(|w| webhook_view(w, engine.held_count(&w.id))).collect()),
        Request::WebhooksCreate { webhook } => {
            let id = engine.create_webhook(webhook, now)?.id.clone();
            webhook_view_of(engine, &id)?
        }
        Request::WebhooksUpdate { id, changes } => {
            engine.update_webhook(&id, changes, now)?;
            webhook_view_of(engine, &id)?
        }
        Request::WebhooksDelete { id } => {
            engine.delete_webhook(&id, now)?;
            Value::Null
        }
        Request::WebhooksSetEnabled { id, enabled, held } => {
            engine.set_webhook_enabled(&id, enabled, held, now)?;
            webhook_view_of(engine, &id)?
        }
        Request::WebhooksTest { id } => return Ok(Answer::AfterDelivery(engine.test(&id, now)?)),
        // The notification switches have their own requests.
        Request::SettingsGet(_) => json!({ "enabled": engine.settings().enabled }),
        Request::SettingsSet { enabled } => {
            engine.set_settings(GlobalSettings { enabled, ..engine.settings().clone() });
            json!({ "enabled": enabled })
        }
        Request::SettingsExport { include_secrets, passphrase } => {
            let secrets = match (include_secrets, passphrase.as_deref()) {
                (false, _) => Secrets::Omit,
                (true, Some(passphrase)) => Secrets::Encrypt { passphrase, random },
                (true, None) => return Err(TransferError::Passphrase("needed to encrypt the secrets").into()),
            };
            engine.export_settings(secrets, now)?
        }
        Request::SettingsImport { data, passphrase, mode, dry_run } => {
            let file = export::read(data, passphrase.as_deref())?;
            json!(engine.import_settings(file, mode, dry_run, now)?)
        }
        Request::EventsEmit { event, data } => {
            let data = if data.is_null() { json!({}) } else { data };
            json!({ "deliveries": engine.emit(&event, data, now)? })
        }
        Request::DeliveriesList { webhook_id, state, limit } => Value::Array(
            engine
                .deliveries()
                .filter(|d| webhook_id.as_ref().is_none_or(|id| &d.webhook_id == id))
                .filter(|d| state.is_none_or(|s| d.state == s))
                .take(limit.unwrap_or(DEFAULT_LIST_LIMIT))
                .map(|d| delivery_view(engine, d))
                .collect(),
        ),
        Request::DeliveriesGet { id } => delivery_view(engine, engine.delivery(&id)?),
        Request::DeliveriesRedeliver { id } => json!({ "delivery": engine.redeliver(&id, now)? }),
        Request::DeliveriesRedeliverFailed { webhook_id, since, dry_run } => {
            json!({ "count": engine.redeliver_failed(webhook_id.as_deref(), Millis(since.unwrap_or(0)), dry_run, now)? })
        }
        Request::DeliveriesCancelPending { webhook_id } => json!({ "count": engine.cancel_unfinished(webhook_id.as_deref(), now)? }),
        Request::NotificationsGet(_) => json!(engine.settings().notifications),
        Request::NotificationsSet(switches) => {
            engine.set_notifications(switches);
            json!(engine.settings().notifications)
        }
        Request::BadgeGet(_) => badge_view(engine),
        Request::BadgeMarkSeen(_) => {
            engine.mark_seen();
            badge_view(engine)
        }
        Request::StatsClear { id } => {
            engine.clear_stats(id.as_deref())?;
            Value::Null
        }
        Request::SecretsGenerate(_) => json!({ "secret": generate_secret(random) }),
        Request::WebhooksPreview { webhook, id, event } => {
            let kind = match event {
                Some(name) => Some(EventKind::parse(&name).ok_or(EngineError::UnknownEvent(name))?),
                None => None,
            };
            json!(engine.preview(id.as_deref(), webhook, kind, now)?)
        }
        Request::WebhooksRotateSecret { id, overlap_hours } => json!({ "secret": engine.rotate_secret(&id, overlap_hours, random, now)? }),
        Request::WebhooksRevealSecret { id } => credentials_view(engine.webhook(&id)?),
        Request::StatsSummary(_) => summary(engine, now),
        Request::StorageUnreadable(_) => Value::Array(engine.unreadable().map(unreadable_view).collect()),
        Request::StorageDeleteUnreadable { name } => {
            if !engine.delete_unreadable(&name) {
                return Err(ApiError::BadRequest(format!("no unreadable record is named {name:?}")));
            }
            Value::Null
        }
        Request::CampaignGet { url } => engine.campaign().view(url.as_deref(), now),
        Request::CampaignConfigure { settings } => {
            engine.configure_campaign(settings, now)?;
            engine.campaign().view(None, now)
        }
        Request::CampaignSetTarget { tab_id, url, input, button, token: _ } => {
            let (Some(tab_id), Some(url)) = (tab_id, url) else {
                return Err(ApiError::BadRequest("campaign.setTarget needs tabId and url".into()));
            };
            engine.set_campaign_target(tab_id, &url, Selectors { input, button })?;
            engine.campaign().view(Some(&url), now)
        }
        Request::CampaignBeginPick { tab_id, url } => {
            let token = pick_token(random);
            let expires_at = engine.begin_campaign_pick(tab_id, &url, token.clone(), now)?;
            json!({ "token": token, "expiresAt": expires_at })
        }
        Request::CatalogGet(_) => catalog::view(now),
        Request::CampaignStart(_) => control(engine, Control::Start, now)?,
        Request::CampaignPause(_) => control(engine, Control::Pause, now)?,
        Request::CampaignResume(_) => control(engine, Control::Resume, now)?,
        Request::CampaignStop(_) => control(engine, Control::Stop, now)?,
    };
    Ok(Answer::Now(value))
}

/// A pick's one-time token: 128 random bits as hex.
fn pick_token(random: &[u8; 32]) -> String {
    random[..16].iter().map(|byte| format!("{byte:02x}")).collect()
}

fn control(engine: &mut Engine, control: Control, now: Millis) -> Result<Value, ApiError> {
    engine.control_campaign(control, now)?;
    Ok(engine.campaign().view(None, now))
}

/// How much of a set-aside record's text a page is shown.
const UNREADABLE_PREVIEW_CHARS: usize = 200;

/// A set-aside record as the settings page lists it: where it was, why it
/// could not be read, its size and the start of its text, unless it came
/// from a key that holds credentials (a webhook's secret is shown only on
/// Reveal).
fn unreadable_view((name, record): (&str, &crate::engine::Unreadable)) -> Value {
    let sealed = record.origin_key().is_none_or(|key| key.is_sealed());
    let preview: String = if sealed { String::new() } else { record.text.chars().take(UNREADABLE_PREVIEW_CHARS).collect() };
    json!({
        "name": name, "origin": record.origin, "reason": record.reason, "bytes": record.text.len(), "preview": preview,
        "unopenable": record.unopenable,
    })
}

/// The popup's numbers: deliveries finished in the last 24 hours by
/// outcome, and the five newest deliveries.
fn summary(engine: &Engine, now: Millis) -> Value {
    let since = Millis(now.0.saturating_sub(DAY_MS));
    let recent_finished = engine.deliveries().filter(|d| d.finished_at.is_some_and(|at| at >= since));
    let (mut delivered, mut failed) = (0, 0);
    for delivery in recent_finished {
        match delivery.state {
            DeliveryState::Delivered => delivered += 1,
            DeliveryState::Failed => failed += 1,
            DeliveryState::Pending | DeliveryState::Held | DeliveryState::Open | DeliveryState::Cancelled | DeliveryState::Skipped => {}
        }
    }
    let latest: Vec<Value> = engine
        .deliveries()
        .take(5)
        .map(|d| {
            json!({
                "id": d.id, "webhookName": d.webhook_name, "event": d.payload().name(), "state": d.state,
                "status": d.attempts.last().and_then(|a| a.status), "createdAt": d.created_at,
            })
        })
        .collect();
    json!({ "delivered24h": delivered, "failed24h": failed, "latest": latest })
}

/// What a Test reports: outcome, status, latency and the start of the response.
pub fn delivery_result(engine: &Engine, delivery_id: &str) -> Result<Value, ApiError> {
    let delivery = engine.delivery(delivery_id)?;
    let attempt = delivery.attempts.last();
    Ok(json!({
        "deliveryId": delivery.id,
        "ok": delivery.state == DeliveryState::Delivered,
        "state": delivery.state,
        "status": attempt.and_then(|a| a.status),
        "latencyMs": attempt.and_then(|a| a.duration_ms),
        "error": delivery.reason.as_deref().or(attempt.and_then(|a| a.error.as_deref())),
        "failure": attempt.and_then(|a| a.failure),
        "responseBody": attempt.and_then(|a| a.response_body.as_deref()),
    }))
}

/// The wire form of a result: `{ok: true, value}` or `{ok: false, error}`.
pub fn answer_json(result: Result<Value, ApiError>) -> Value {
    match result {
        Ok(value) => json!({ "ok": true, "value": value }),
        Err(error) => json!({
            "ok": false,
            "error": { "code": error.code(), "message": error.to_string(), "field": error.field() },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{RawConfig, StoredConfig};
    use crate::engine::Snapshot;

    /// A webhook with every setting set, as storage holds it: secret and
    /// plain headers, a query credential and a query template, a previous
    /// secret, stats and a run of failures.
    fn full_webhook() -> Webhook {
        let stored = json!([{
            "id": "wh_full", "name": "Orders", "url": "https://h.test/in?token=abcdefghijklmnopqrstuvwx&team=ops&at={{ timestamp | default:0 }}",
            "method": "PUT", "events": ["message_sent", "error"],
            "headers": [["Authorization", "Bearer t0ken"], ["X-Team", "ops", false], ["Content-Language", "en"], ["X-Event", "{{event | default:\"none\"}}", true]],
            "secret": "whsec_QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=", "enabled": false, "retrySchedule": [5, 6000],
            "timeoutMs": 15000, "ratePerMinute": 30, "autoDisableAfter": 3, "batch": {"maxEvents": 5, "maxWaitSeconds": 60},
            "actOnReplies": false, "filters": {"match": "any", "conditions": ["data.messagesSentToday >= 2"]}, "preset": "custom",
            "chatId": "-100123", "template": "{\"text\": \"{{sentence}}\"}", "createdAt": 1_000, "updatedAt": 2_000,
            "disabledReason": "receiver answered 410 Gone",
            "stats": {"triggers": 4, "successes": 3, "failures": 1, "lastTriggered": 1_500, "lastStatus": 500, "latencyTotalMs": 540, "latencySamples": 3},
            "health": {"consecutiveFailures": 3, "failingSince": 1_200, "lastReason": "HTTP 500", "disabledAt": 1_500, "autoDisabled": true},
            "previousSecrets": [{"secret": "whsec_Zml4dHVyZS1vcmRlcnMtc2lnbmluZy1rZXktMzJieSE=", "expiresAt": 9_000}],
        }]);
        let snapshot = Snapshot::from_stored([("webhooks".to_string(), stored)]);
        assert_eq!(snapshot.unreadable, [], "a stored webhook loads");
        snapshot.webhooks.into_iter().next().expect("a stored webhook loads")
    }

    #[test]
    fn a_webhooks_view_shows_every_setting_in_table_order_and_no_credential() {
        let full = full_webhook();
        assert_eq!(full.config.valid().err(), None, "every setting of the full webhook is valid");
        let view = webhook_view(&full, 2);
        let expected = json!({
            "id": "wh_full", "name": "Orders", "url": "https://h.test/in?token=••••&team=••••&at={{ timestamp | default:0 }}",
            "method": "PUT", "events": ["message_sent", "error"],
            "headers": [
                {"name": "Authorization", "value": null, "secret": true},
                {"name": "Content-Language", "value": "en", "secret": false},
                {"name": "X-Event", "value": null, "secret": true},
                {"name": "X-Team", "value": "ops", "secret": false},
            ],
            "enabled": false, "retrySchedule": [5, 6000], "timeoutMs": 15000, "ratePerMinute": 30, "autoDisableAfter": 3,
            "batch": {"maxEvents": 5, "maxWaitSeconds": 60}, "actOnReplies": false,
            "filters": {"match": "any", "conditions": ["data.messagesSentToday >= 2"]}, "preset": "custom", "chatId": "-100123",
            "template": "{\"text\": \"{{sentence}}\"}",
            "hasSecret": true, "urlHasSecrets": true, "createdAt": 1000, "updatedAt": 2000, "disabledReason": "receiver answered 410 Gone",
            "stats": {"triggers": 4, "successes": 3, "failures": 1, "lastTriggered": 1500, "lastStatus": 500, "successRate": 0.75, "meanLatencyMs": 180},
            "health": {
                "state": "disabled", "consecutiveFailures": 3, "failingSince": 1200, "lastReason": "HTTP 500", "disabledAt": 1500,
                "autoDisabled": true, "held": 2,
            },
            "previousSecrets": [{"expiresAt": 9000}],
        });
        assert_eq!(view, expected);
        // JSON objects compare whatever their order: the order is the table's, then the bookkeeping's.
        let keys: Vec<&String> = view.as_object().unwrap().keys().collect();
        assert_eq!(keys, expected.as_object().unwrap().keys().collect::<Vec<_>>());
        let text = view.to_string();
        for credential in ["whsec_", "t0ken", "abcdefghijklmnopqrstuvwx", "event | default"] {
            assert!(!text.contains(credential), "{credential} shows: {text}");
        }
    }

    #[test]
    fn a_stored_url_that_does_not_parse_is_shown_masked_and_an_empty_one_empty() {
        let stored = full_webhook();
        for (url, shown, has_secrets) in [("not a url", "••••", true), ("", "", false)] {
            let mut webhook = stored.clone();
            webhook.config = StoredConfig::from(RawConfig { url: url.into(), ..stored.config.to_raw() });
            assert!(webhook.config.valid().is_err(), "{url:?} does not parse");
            let view = webhook_view(&webhook, 0);
            assert_eq!((&view["url"], &view["urlHasSecrets"]), (&json!(shown), &json!(has_secrets)), "{url:?}");
            assert_eq!(view["headers"][0], json!({"name": "Authorization", "value": null, "secret": true}), "{url:?}");
        }
    }

    #[test]
    fn request_kinds_read_their_type_and_only_queries_are_read_only() {
        for kind in RequestKind::ALL {
            assert_eq!(RequestKind::parse(kind.as_str()), Some(kind));
        }
        let read_only: Vec<&str> = RequestKind::ALL.into_iter().filter(|kind| kind.is_read_only()).map(RequestKind::as_str).collect();
        assert_eq!(
            read_only,
            [
                "webhooks.list", "settings.get", "settings.export", "deliveries.list", "deliveries.get", "notifications.get", "badge.get",
                "secrets.generate", "webhooks.preview", "webhooks.revealSecret", "stats.summary", "storage.unreadable", "campaign.get",
                "catalog.get",
            ]
        );
        assert!(is_read_only(&json!({"type": "deliveries.get", "id": "dlv_1"})));
        assert!(!is_read_only(&json!({"type": "deliveries.redeliver", "id": "dlv_1"})));
        assert!(!is_read_only(&json!({"type": "webhooks.lists"})));
        assert!(!is_read_only(&json!({"kind": "webhooks.list"})));
    }
}
