//! How the engine degrades instead of failing when stored state is not what
//! this build wrote: unreadable records are set aside under their own keys,
//! webhooks whose stored settings no longer validate are turned off with the
//! reason, and deliveries left without a webhook are cancelled.

use serde_json::Value;

use super::{DeliveryState, Engine, Key, Unreadable};
use crate::config::{FiltersInput, WebhookConfig, WebhookInput};
use crate::time::Millis;

impl Engine {
    /// Records set aside because they could not be read, by name.
    pub fn unreadable(&self) -> impl Iterator<Item = (&str, &Unreadable)> {
        self.set_aside.iter().map(|(name, record)| (name.as_str(), record))
    }

    /// Deletes a set-aside record for good; `false` if there is none.
    pub fn delete_unreadable(&mut self, name: &str) -> bool {
        let found = self.set_aside.remove(name).is_some();
        if found {
            self.dirty.insert(Key::Unreadable(name.into()));
        }
        found
    }

    /// Moves a record this load could not read aside, under a name no
    /// earlier record holds, and has its original key rewritten with what
    /// was readable (or removed).
    pub(super) fn set_aside(&mut self, record: Unreadable) {
        if let Some(key) = record.origin_key() {
            self.dirty.insert(key);
        }
        // The same record again: a worker stopped after a batch set it
        // aside but before it removed the original.
        if self.set_aside.values().any(|kept| kept.origin == record.origin && kept.text == record.text) {
            return;
        }
        let name = (1..)
            .map(|n| if n == 1 { record.origin.clone() } else { format!("{} ({n})", record.origin) })
            .find(|name| !self.set_aside.contains_key(name))
            .expect("an unbounded range has a free name");
        self.dirty.insert(Key::Unreadable(name.clone()));
        self.set_aside.insert(name, record);
    }

    /// Stored webhooks are checked with the rules new input meets (another
    /// build or a sync tool may have written them); one that fails is turned
    /// off with the reason, and its queued deliveries are cancelled.
    pub(super) fn disable_invalid_webhooks(&mut self, now: Millis) {
        let mut disabled = Vec::new();
        for webhook in &mut self.webhooks {
            let Err(error) = Engine::check_whole(&webhook.config) else { continue };
            let reason = format!("its stored settings are invalid ({}: {error}); fix them and turn it on again", error.field());
            if webhook.config.enabled || webhook.disabled_reason.as_deref() != Some(reason.as_str()) {
                webhook.config.enabled = false;
                webhook.disabled_reason = Some(reason);
                disabled.push(webhook.id.clone());
            }
        }
        if !disabled.is_empty() {
            self.dirty.insert(Key::Webhooks);
        }
        for id in disabled {
            self.cancel_pending(&id, "webhook was turned off: its stored settings are invalid", now);
        }
    }

    /// Whether the webhook's whole stored config passes validation: turning
    /// one on that was disabled for invalid settings needs them fixed first.
    pub(super) fn check_whole(config: &WebhookConfig) -> Result<(), crate::config::ConfigError> {
        WebhookConfig::create(input_of(config)).map(|_| ())
    }

    /// Unfinished deliveries whose webhook is gone (its record was
    /// unreadable) can never be sent: they are cancelled, with the reason.
    pub(super) fn cancel_orphans(&mut self, now: Millis) {
        let orphans: Vec<String> = self
            .outbox
            .iter()
            .filter(|d| self.webhooks.iter().all(|w| w.id != d.webhook_id))
            .map(|d| d.id.clone())
            .collect();
        for id in orphans {
            self.finish(&id, DeliveryState::Cancelled, Some("its webhook could not be read from storage".into()), now);
        }
    }
}

/// The input that would create `config`, to check it with the same rules.
fn input_of(config: &WebhookConfig) -> WebhookInput {
    let headers = config.headers.iter().map(|(name, value)| (name.clone(), Value::String(value.clone())));
    WebhookInput {
        name: Some(config.name.clone()),
        url: Some(config.url.to_string()),
        method: Some(config.method.as_str().into()),
        events: Some(config.events.iter().map(|kind| kind.as_str().to_string()).collect()),
        headers: Some(Value::Object(headers.collect())),
        headers_json: None,
        secret: config.secret.clone(),
        enabled: None,
        retry_schedule: Some(config.retry_schedule.clone()),
        timeout_ms: Some(config.timeout_ms),
        rate_per_minute: Some(config.rate_per_minute),
        filters: config.filters.as_ref().map(|f| FiltersInput { mode: f.mode, conditions: f.conditions.clone() }),
        preset: serde_json::to_value(config.preset).ok().and_then(|v| v.as_str().map(String::from)),
        chat_id: config.chat_id.clone(),
        template: config.template.clone(),
    }
}
