//! Secret rotation with overlap, as Standard Webhooks and Svix do it: a
//! new secret signs at once, and the secret it replaced keeps signing
//! beside it until its overlap ends, so a receiver can switch to the new
//! one at its own pace without a delivery failing verification meanwhile.
//!
//! While previous secrets are valid, `webhook-signature` carries the new
//! signature first and then one per previous secret (`v1,<new> v1,<old>`),
//! which the spec lets receivers verify against any of; the hex
//! `X-AutoHook-Signature` has room for one and uses the new secret. Each
//! previous secret expires by itself: [`Engine::poll`](super::Engine::poll)
//! drops expired ones from storage and its wake-up includes the next
//! expiry, so nothing else has to happen for a secret to stop being valid.
//!
//! Previous secrets are credentials: they are stored with the webhook
//! (sealed at rest, like its secret), scrubbed from the log if a receiver
//! echoes them, and a page sees only when each expires.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Value};

use super::state::decode;
use super::webhooks::Webhooks;
use super::{EngineError, Unreadable, Webhook};
use crate::config::{ConfigError, StoredConfig, WebhookConfig, WebhookInput, MAX_SECRET_CHARS};
use crate::redact::Credentials;
use crate::signing::{generate_secret, Secret, SecretKey};
use crate::time::Millis;

/// Most previous secrets a webhook keeps; a rotation past this drops the oldest.
pub const MAX_PREVIOUS_SECRETS: usize = 3;
/// The overlap when a rotation names none: a day, Svix's default.
pub const DEFAULT_OVERLAP_HOURS: f64 = 24.0;
/// The longest overlap: a week, after which an old secret is no longer a
/// transition but a second secret.
pub const MAX_OVERLAP_HOURS: f64 = 168.0;
const HOUR_MS: f64 = 3_600_000.0;

/// A secret a rotation replaced, still signing until `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviousSecret {
    /// Stored as its text, parsed when read, like the webhook's own secret.
    #[serde(serialize_with = "secret_text", deserialize_with = "parsed_secret")]
    secret: Secret,
    /// From then on it signs nothing and is removed.
    pub expires_at: Millis,
}

fn secret_text<S: Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.as_str())
}

/// The rules a webhook's own stored secret meets, so a damaged record
/// cannot make every response be read for a megabyte-long "secret".
fn parsed_secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.chars().count() > MAX_SECRET_CHARS {
        return Err(D::Error::custom(format!("secret must be at most {MAX_SECRET_CHARS} characters")));
    }
    Secret::parse(&text).map_err(|error| D::Error::custom(format!("secret {error}")))
}

/// A webhook's previous secrets, newest first. Read entry by entry: one
/// that does not parse (a damaged write, another build) is held apart for
/// [`Snapshot`](super::Snapshot) to set aside and show, rather than costing
/// the webhook its load or being dropped unseen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PreviousSecrets {
    secrets: Vec<PreviousSecret>,
    /// Stored entries that did not parse: their place in the stored list,
    /// why, and the text as found.
    unreadable: Vec<(usize, String, String)>,
}

impl PreviousSecrets {
    /// Whether there are none (then none is stored).
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The entries that did not parse, as records to set aside; `origin`
    /// names the list (`webhooks[2].previousSecrets`).
    pub(super) fn take_unreadable(&mut self, origin: &str) -> Vec<Unreadable> {
        let unreadable = self.unreadable.drain(..);
        unreadable.map(|(i, reason, text)| Unreadable::new(format!("{origin}[{i}]"), reason, text)).collect()
    }

    /// What a page may see: when each expires, never the secret.
    pub fn view(&self) -> Value {
        self.secrets.iter().map(|previous| json!({ "expiresAt": previous.expires_at })).collect()
    }
}

impl Serialize for PreviousSecrets {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.secrets.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PreviousSecrets {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PreviousSecrets, D::Error> {
        let entries = match Value::deserialize(deserializer)? {
            Value::Array(entries) => entries,
            Value::Null => Vec::new(),
            other => vec![other],
        };
        let mut previous = PreviousSecrets::default();
        for (i, entry) in entries.into_iter().enumerate() {
            match decode::<PreviousSecret>(&entry) {
                Ok(secret) => previous.secrets.push(secret),
                Err(reason) => previous.unreadable.push((i, reason, entry.to_string())),
            }
        }
        Ok(previous)
    }
}

impl Webhook {
    /// The secrets to sign with beside the current one at `now`, newest first.
    pub(super) fn previous_keys(&self, now: Millis) -> Vec<&SecretKey> {
        self.previous_secrets.secrets.iter().filter(|previous| previous.expires_at > now).map(|previous| previous.secret.key()).collect()
    }

    /// [`Webhook::previous_keys`] for this webhook with `next` as its
    /// settings: none if `next` has another secret (see [`Webhooks::revoke_replaced_secrets`]).
    pub(super) fn previous_keys_beside(&self, next: &WebhookConfig, now: Millis) -> Vec<&SecretKey> {
        if self.config.secret() == next.secret.as_ref().map(Secret::as_str) {
            self.previous_keys(now)
        } else {
            Vec::new()
        }
    }

    /// Its credentials ([`WebhookConfig::credentials`]) with the text of
    /// every previous secret too: a receiver may echo any of them, and the
    /// log must never show one.
    pub(super) fn credentials(&self) -> Credentials<'_> {
        let mut credentials = self.config.valid().map(WebhookConfig::credentials).unwrap_or_default();
        credentials.secrets =
            self.config.secret().into_iter().chain(self.previous_secrets.secrets.iter().map(|p| p.secret.as_str())).collect();
        credentials
    }
}

/// `overlapHours` as milliseconds: more than 0 and at most a week,
/// fractions allowed; at least 1 ms, so a tiny overlap still is one.
fn overlap_ms(hours: Option<f64>) -> Result<u64, ConfigError> {
    let hours = hours.unwrap_or(DEFAULT_OVERLAP_HOURS);
    if !(hours > 0.0 && hours <= MAX_OVERLAP_HOURS) {
        return Err(ConfigError::OverlapHours);
    }
    // In range, so the product is a number of ms far below u64::MAX.
    Ok(((hours * HOUR_MS).round() as u64).max(1))
}

impl Webhooks {
    /// [`Engine::rotate_secret`](super::Engine::rotate_secret) of the
    /// webhook `id`; nothing changes when it fails.
    pub fn rotate_secret(&mut self, id: &str, overlap_hours: Option<f64>, random: &[u8; 32], now: Millis) -> Result<String, EngineError> {
        let overlap = overlap_ms(overlap_hours)?;
        let index = self.index(id)?;
        let text = generate_secret(random);
        let config = self[index].config.apply(WebhookInput { secret: Some(text.clone()), ..Default::default() })?;
        self.prune_expired_secrets(now);
        let webhook = &mut self.edit()[index];
        // A stored secret that does not parse signs nothing: it has no overlap to keep.
        if let Ok(Some(replaced)) = webhook.config.valid().map(|config| config.secret.clone()) {
            let previous = &mut webhook.previous_secrets.secrets;
            previous.insert(0, PreviousSecret { secret: replaced, expires_at: now.plus(overlap) });
            previous.truncate(MAX_PREVIOUS_SECRETS);
        }
        webhook.config = StoredConfig::Valid(config);
        webhook.updated_at = now;
        Ok(text)
    }

    /// An update that replaces or removes the secret by hand (not a
    /// rotation) ends the previous secrets at once: that is how a user
    /// revokes a secret that leaked, old or current.
    pub fn revoke_replaced_secrets(&mut self, index: usize, next: &WebhookConfig) {
        let webhook = &self[index];
        if webhook.config.secret() != next.secret.as_ref().map(Secret::as_str) && !webhook.previous_secrets.is_empty() {
            self.edit()[index].previous_secrets.secrets.clear();
        }
    }

    /// Removes previous secrets whose overlap has ended, from memory and storage.
    pub fn prune_expired_secrets(&mut self, now: Millis) {
        self.edit_if(|webhooks| {
            let mut pruned = false;
            for webhook in webhooks {
                let secrets = &mut webhook.previous_secrets.secrets;
                let before = secrets.len();
                secrets.retain(|previous| previous.expires_at > now);
                pruned |= secrets.len() != before;
            }
            ((), pruned)
        });
    }

    /// When the next previous secret expires, so the driver wakes the
    /// engine then to remove it.
    pub fn next_secret_expiry(&self) -> Option<Millis> {
        self.iter().flat_map(|webhook| &webhook.previous_secrets.secrets).map(|previous| previous.expires_at).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_more_than_zero_and_at_most_a_week_in_hours() {
        assert_eq!(overlap_ms(None), Ok(24 * 3_600_000));
        assert_eq!(overlap_ms(Some(0.002)), Ok(7_200));
        assert_eq!(overlap_ms(Some(168.0)), Ok(168 * 3_600_000));
        assert_eq!(overlap_ms(Some(1e-12)), Ok(1), "a tiny overlap is still one");
        for refused in [0.0, -1.0, 168.001, f64::INFINITY, f64::NAN] {
            assert_eq!(overlap_ms(Some(refused)), Err(ConfigError::OverlapHours), "{refused}");
        }
    }

    #[test]
    fn a_stored_list_keeps_what_parses_and_holds_the_rest_apart() {
        let good = json!({"secret": "whsec_c2VjcmV0", "expiresAt": 5});
        let stored = json!([good.clone(), {"secret": "whsec_!!", "expiresAt": 6}, {"expiresAt": 7}]);
        let mut read: PreviousSecrets = serde_json::from_value(stored).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), json!([good]), "only what parses is written back");
        let origins: Vec<String> = read.take_unreadable("webhooks[0].previousSecrets").into_iter().map(|record| record.origin).collect();
        assert_eq!(origins, ["webhooks[0].previousSecrets[1]", "webhooks[0].previousSecrets[2]"]);
        assert_eq!(read.view(), json!([{"expiresAt": 5}]));
        let null: PreviousSecrets = serde_json::from_value(Value::Null).unwrap();
        assert_eq!(null, PreviousSecrets::default());
    }
}
