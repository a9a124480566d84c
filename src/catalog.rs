//! The catalog (`catalog.get`): what the pages build their forms from, so
//! the JavaScript names no event kind, no preset and no limit. Event kinds
//! come from [`EventKind::ALL`], presets from [`Preset::ALL`], limits from
//! the consts the validation itself uses, error codes from [`ErrorCode`].

use serde::Serialize;
use serde_json::{json, Value};

use crate::campaign::{self, CampaignSettings};
use crate::config::RawConfig;
use crate::event::{sentence, Event, EventKind};
use crate::preset::{Body, Preset};
use crate::redact::NEVER_CREDENTIAL_HEADERS;
use crate::request::MAX_PAYLOAD_BYTES;
use crate::time::Millis;

/// Declares [`ErrorCode`] and its list. Each row: doc, `Variant = "wire_code"`.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $code:ident = $name:literal,)*) => {
        /// The `code` of an error reply, a stable name the UI can switch on.
        /// Every error's `code()` returns one, so none can be missing from
        /// the catalog's `errorCodes` ([`ErrorCode::ALL`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* #[serde(rename = $name)] $code,)*
        }

        impl ErrorCode {
            /// Every code (the README's "Error codes").
            pub const ALL: [ErrorCode; [$($name),*].len()] = [$(ErrorCode::$code),*];

            /// The wire name, e.g. `unknown_webhook`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$code => $name,)*
                }
            }
        }
    };
}

error_codes! {
    /// The message is not a request the API knows, or lacks a field.
    BadRequest = "bad_request",
    /// The sender may not make the request.
    NotAllowed = "not_allowed",
    /// An input field is invalid.
    InvalidInput = "invalid_input",
    /// No more webhooks can be added.
    TooManyWebhooks = "too_many_webhooks",
    /// No webhook has the id.
    UnknownWebhook = "unknown_webhook",
    /// No delivery has the id.
    UnknownDelivery = "unknown_delivery",
    /// No event can be emitted by that name.
    UnknownEvent = "unknown_event",
    /// The request body would be too large.
    PayloadTooLarge = "payload_too_large",
    /// The outbox is full.
    OutboxFull = "outbox_full",
    /// A template cannot render the event.
    TemplateFailed = "template_failed",
    /// The campaign is not in a state that allows the request.
    CampaignState = "campaign_state",
    /// The campaign's daily limit is reached.
    DailyLimitReached = "daily_limit_reached",
    /// Done, but storage refused the write.
    NotSaved = "not_saved",
    /// Storage failed (the shell's).
    Storage = "storage",
    /// Something failed inside the background (the shell's).
    Internal = "internal",
    /// A settings file cannot be read.
    InvalidImport = "invalid_import",
    /// A settings file is of a later version.
    UnsupportedVersion = "unsupported_version",
    /// A settings file's secrets cannot be decrypted.
    DecryptFailed = "decrypt_failed",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The catalog, with samples dated `now`.
///
/// - `events`: `[{name, subscribable, sample, sentence}]`, in the order the
///   UI lists them; `test` is not `subscribable` (it reaches every webhook).
/// - `presets`: `[{name, label, needs, sendsEnvelope, usesTemplate,
///   limits: [{field, max, unit}]}]`, the default first; `label` is `null` where the page
///   translates the name (`preset_<name>`), `needs` the webhook fields it
///   requires.
/// - `limits`: `{webhook, campaign}`, each field's `maxChars`, `maxItems`,
///   `min`, `max` (and `maxNameChars`, `maxValueChars`, `maxTags`), and
///   `webhook.payload.maxBytes`, the most a request body may hold.
/// - `fields`: `{webhook, campaign}`, every setting's `[{name, control,
///   choices}]` in its table's order: the pages build and read a field of a
///   plain control (`text`, `number`, `numbers`, `bool`, `choice`,
///   `lines`) from this alone; `own` is one the page writes itself.
/// - `errorCodes`: every error `code`.
/// - `neverSecretHeaders`: the headers whose values are never credentials
///   ([`NEVER_CREDENTIAL_HEADERS`]): the editor's secret switch is off
///   for them, and fixed.
pub fn view(now: Millis) -> Value {
    let events: Vec<Value> = EventKind::ALL
        .into_iter()
        .map(|kind| {
            let sample = Event::own("msg_sample".into(), now, kind.sample(now));
            json!({"name": kind.as_str(), "subscribable": kind.is_subscribable(), "sample": sample.data, "sentence": sentence(&sample)})
        })
        .collect();
    let presets: Vec<Value> = Preset::ALL
        .into_iter()
        .map(|preset| {
            json!({
                "name": preset.as_str(), "label": preset.label(), "needs": preset.needs(),
                "sendsEnvelope": preset.is_raw(), "usesTemplate": matches!(preset.body(), Body::Template),
                "limits": preset.limits(),
            })
        })
        .collect();
    json!({
        "events": events, "presets": presets, "limits": limits(), "errorCodes": ErrorCode::ALL,
        "neverSecretHeaders": NEVER_CREDENTIAL_HEADERS,
        "fields": {"webhook": RawConfig::fields(), "campaign": CampaignSettings::fields()},
    })
}

/// Each input field's limits, as validation enforces them: declared with
/// the fields (a new field's limit is one line beside its const), plus the
/// most a request body may hold.
fn limits() -> Value {
    let mut webhook = RawConfig::limits();
    webhook["payload"] = json!({"maxBytes": MAX_PAYLOAD_BYTES});
    json!({"webhook": webhook, "campaign": campaign::limits()})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::CampaignError;
    use crate::config::{ConfigError, WebhookConfig, WebhookInput};
    use crate::engine::EngineError;

    #[test]
    fn lists_every_event_kind_and_preset_once_in_declaration_order() {
        let catalog = view(Millis(0));
        let names =
            |list: &str| catalog[list].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(names("events"), EventKind::ALL.map(|k| k.as_str().to_string()));
        assert_eq!(names("presets"), Preset::ALL.map(|p| p.as_str().to_string()));
        let subscribable: Vec<&Value> = catalog["events"].as_array().unwrap().iter().filter(|e| e["subscribable"] == true).collect();
        assert_eq!(subscribable.len(), EventKind::ALL.len() - 1, "all but test");
        assert_eq!(catalog["presets"][3]["label"], "Microsoft Teams");
        assert_eq!(Preset::ALL[0], Preset::default(), "the page selects the first preset for a new webhook");
        assert_eq!(catalog["events"][0]["sample"]["message"], "Hello from AutoHook!");
    }

    /// What a preset `needs` is what validation requires: without each
    /// field the webhook is refused on it, with them all it is accepted.
    #[test]
    fn a_presets_needs_are_the_fields_validation_requires() {
        let value = |field: &str| match field {
            "chatId" => "-1001234567890",
            "template" => r#"{"text": "{{sentence}}"}"#,
            other => panic!("no sample value for {other}: add one here"),
        };
        let input = |preset: Preset, fields: &[&str]| -> WebhookInput {
            let mut input = json!({"url": "https://example.com/hook", "preset": preset.as_str()});
            for field in fields {
                input[*field] = json!(value(field));
            }
            serde_json::from_value(input).unwrap()
        };
        for preset in Preset::ALL {
            let needs = preset.needs();
            WebhookConfig::create(input(preset, needs)).unwrap_or_else(|e| panic!("{preset:?} with {needs:?}: {e}"));
            for missing in needs {
                let rest: Vec<&str> = needs.iter().copied().filter(|f| f != missing).collect();
                let error = WebhookConfig::create(input(preset, &rest)).unwrap_err();
                assert_eq!(error.field(), *missing, "{preset:?} without {missing}");
            }
        }
    }

    #[test]
    fn the_preset_error_lists_every_preset() {
        let message = ConfigError::Preset("hipchat".into()).to_string();
        assert_eq!(message, format!("preset must be {}, not \"hipchat\"", Preset::one_of()));
        assert!(Preset::ALL.iter().all(|p| message.contains(p.as_str())));
    }

    #[test]
    fn error_codes_reach_the_pages_by_their_wire_names() {
        let listed = &view(Millis(0))["errorCodes"];
        assert_eq!(*listed, json!(ErrorCode::ALL.map(ErrorCode::as_str)));
        assert_eq!(listed[3], "too_many_webhooks");
        let reply = crate::api::answer_json(Err(EngineError::OutboxFull.into()));
        assert_eq!(reply["error"]["code"], "outbox_full");
    }

    #[test]
    fn error_codes_are_documented_and_cover_what_errors_say() {
        let manual = crate::manual::text();
        let documented = manual.split("**Error codes:**").nth(1).unwrap().split("\n\n").next().unwrap();
        for code in ErrorCode::ALL {
            assert!(documented.contains(&format!("`{code}`")), "{code} is not in the manual's Error codes");
        }
        let errors = [
            EngineError::TooManyWebhooks,
            EngineError::UnknownWebhook(String::new()),
            EngineError::UnknownDelivery(String::new()),
            EngineError::UnknownEvent(String::new()),
            EngineError::PayloadTooLarge(0),
            EngineError::OutboxFull,
            EngineError::Invalid(ConfigError::NoEvents),
            EngineError::Campaign(CampaignError::Running),
            EngineError::Campaign(CampaignError::LimitReached(1)),
            EngineError::Campaign(CampaignError::PickExpired),
        ];
        for error in errors {
            assert!(ErrorCode::ALL.contains(&error.code()), "{}", error.code());
        }
    }

    #[test]
    fn the_manual_documents_every_event_kind_and_preset() {
        let manual = crate::manual::text();
        let events = manual.split("**Events:**").nth(1).unwrap().split("\n\n").next().unwrap();
        for kind in EventKind::ALL {
            assert!(events.contains(&format!("`{}`", kind.as_str())), "the manual's Events do not name {}", kind.as_str());
        }
        for preset in Preset::ALL {
            let row = format!("| `{}` ", preset.as_str());
            assert!(manual.lines().any(|line| line.starts_with(&row)), "the manual's Presets table has no row for {}", preset.as_str());
        }
    }

    #[test]
    fn limits_are_the_enforced_ones() {
        let limits = limits();
        let name = "x".repeat(limits["webhook"]["name"]["maxChars"].as_u64().unwrap() as usize);
        let input = WebhookInput { url: Some("https://example.com/".into()), name: Some(name.clone()), ..Default::default() };
        WebhookConfig::create(input).unwrap();
        let input = WebhookInput { url: Some("https://example.com/".into()), name: Some(format!("{name}x")), ..Default::default() };
        assert_eq!(WebhookConfig::create(input).unwrap_err().field(), "name");
    }
}
