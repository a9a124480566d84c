//! Export and import of the user's settings (`settings.export`,
//! `settings.import`); the file itself is [`crate::export`].
//!
//! An import is planned whole before anything changes: each webhook in the
//! file is matched to one here, first by id (the same browser, or a profile
//! restored from it), then by name and URL (another browser), each at most
//! once. A match is updated, a record without one is created with a new id,
//! and in `replace` mode every webhook here that no record matched is
//! deleted. Every record must parse as `webhooks.create` would, the count
//! must stay within [`MAX_WEBHOOKS`], and the campaign settings must pass
//! `campaign.configure`; the first that does not is the error and nothing
//! changes.
//!
//! A file exported without secrets still imports: a matched webhook keeps
//! its own secret, secret header values and credential-bearing URL; one
//! with nothing to take them from is imported turned off, without them, its
//! reason saying so, so it never sends unsigned or unauthenticated by
//! surprise.
//!
//! Kept credentials never go somewhere new, nor into view: they are
//! reattached only when the record changes nothing that decides where they
//! go, what they authorise or whether they show ([`redirecting_changes`]:
//! the URL, the method, the preset, the chat id, the template, the header
//! names and their secret switches, `actOnReplies`). Otherwise the webhook
//! is imported without them, turned off, and the review lists each such
//! change and the credentials to enter again; a URL the file left out (it
//! holds a credential, as a Telegram bot URL or any query value does)
//! cannot be kept then, and the import is refused naming it.
//!
//! The two commands stay an `impl Engine` here, beside the file's format
//! and its planning, rather than in `mod.rs`: an import is one all-or-nothing
//! change of the webhooks, the campaign and the settings together, applied
//! through the same commands as the user's own edits (`set_config`,
//! `add_webhook`, `delete_webhook`), so it holds no rule of its own across
//! parts for `rules.rs`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::webhooks::Webhooks;
use super::{Engine, HeldEvents, MAX_WEBHOOKS};
use crate::campaign::{Campaign, CampaignInput, CampaignSettings, ScheduleInput};
use crate::config::{ConfigError, RawConfig, RawHeader, StoredConfig, WebhookConfig};
use crate::export::{self, Field, Imported, ImportedWebhook, Secrets, TransferError};
use crate::redact::is_secret_header;
use crate::time::Millis;

/// What a webhook imported without its credentials says until they are added.
pub const IMPORTED_WITHOUT_SECRETS: &str = "imported without its secret or a credential header: add them, then turn it on";

/// Whether an import adds to the webhooks here or replaces them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// Keep webhooks the file does not mention.
    Merge,
    /// Delete webhooks the file does not mention.
    Replace,
}

/// What an import changed, or would change (a dry run): webhooks by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// Added.
    pub created: Vec<String>,
    /// Matched and changed.
    pub updated: Vec<String>,
    /// Matched and already the same.
    pub unchanged: Vec<String>,
    /// Deleted (`replace` only).
    pub removed: Vec<String>,
    /// Imported turned off: the file left out a secret or credential header
    /// and no webhook here had it.
    pub without_secrets: Vec<String>,
    /// Webhooks whose kept credentials were not reattached, as the record
    /// changes where they go or what they authorise.
    pub credentials_dropped: Vec<DroppedCredentials>,
    /// Whether the campaign's settings were in the file.
    pub campaign: bool,
    /// Whether the global and notification switches were in the file.
    pub settings: bool,
}

/// A webhook an import leaves without this browser's credentials: what in
/// the file changes where they would go, and what to enter again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DroppedCredentials {
    /// The webhook's name.
    pub webhook: String,
    /// The fields the file changes, by their wire names (`url`, `chatId`…).
    pub changes: Vec<String>,
    /// The credentials to enter again: `secret`, `header <name>`.
    pub reenter: Vec<String>,
}

/// A record of the file, ready to apply: the webhook it updates, if any,
/// and whether it has every credential it had when exported.
struct Planned {
    index: Option<usize>,
    config: WebhookConfig,
    complete: bool,
}

impl Engine {
    /// The settings file: every webhook's stored settings, the campaign's
    /// settings (not its state, tab or pick) and the switches.
    pub fn export_settings(&self, secrets: Secrets<'_>, now: Millis) -> Result<Value, TransferError> {
        let webhooks =
            self.webhooks.iter().map(|w| (w.id.clone(), serde_json::to_value(&w.config).expect("settings serialize to JSON"))).collect();
        export::write(webhooks, &self.campaign.view(None, now)["settings"], &self.settings, secrets, now)
    }

    /// Applies a read file, all or nothing (see the module docs); with
    /// `dry_run`, only says what it would change.
    pub fn import_settings(
        &mut self,
        file: Imported,
        mode: ImportMode,
        dry_run: bool,
        now: Millis,
    ) -> Result<ImportSummary, TransferError> {
        let matches = self.webhooks.match_records(&file.webhooks);
        let mut summary = ImportSummary { campaign: file.campaign.is_some(), settings: file.settings.is_some(), ..Default::default() };
        let mut planned = Vec::with_capacity(file.webhooks.len());
        for (position, (record, index)) in file.webhooks.into_iter().zip(matches).enumerate() {
            let existing = index.map(|index| self.webhooks[index].config.to_raw());
            let filled = fill(record, existing.as_ref()).map_err(|error| TransferError::Webhook { index: position, error })?;
            let Filled { config, changes, reenter } = filled;
            let name = config.name.clone();
            let complete = reenter.is_empty();
            if !changes.is_empty() && !complete {
                summary.credentials_dropped.push(DroppedCredentials { webhook: name.clone(), changes, reenter });
            }
            match index {
                Some(index) if self.webhooks[index].config == StoredConfig::Valid(config.clone()) => summary.unchanged.push(name.clone()),
                Some(_) => summary.updated.push(name.clone()),
                None => summary.created.push(name.clone()),
            }
            if !complete {
                summary.without_secrets.push(name);
            }
            planned.push(Planned { index, config, complete });
        }
        let kept: Vec<bool> =
            (0..self.webhooks.len()).map(|i| mode == ImportMode::Merge || planned.iter().any(|p| p.index == Some(i))).collect();
        let removed: Vec<String> = self.webhooks.iter().zip(&kept).filter(|(_, kept)| !**kept).map(|(w, _)| w.id.clone()).collect();
        summary.removed = self.webhooks.iter().filter(|w| removed.contains(&w.id)).map(|w| w.config.name().to_string()).collect();
        let total = self.webhooks.len() - removed.len() + summary.created.len();
        if total > MAX_WEBHOOKS {
            return Err(TransferError::TooManyWebhooks(total));
        }
        let campaign = match file.campaign {
            Some(settings) => {
                let mut campaign = Campaign::clone(&self.campaign);
                campaign.configure(campaign_input(settings), now).map_err(TransferError::Campaign)?;
                Some(campaign)
            }
            None => None,
        };
        if dry_run {
            return Ok(summary);
        }
        for Planned { index, config, complete } in planned {
            let index = match index {
                Some(index) if self.webhooks[index].config == StoredConfig::Valid(config.clone()) => continue,
                Some(index) => {
                    let asked = Some(config.enabled).filter(|on| *on != self.webhooks[index].config.enabled());
                    self.set_config(index, config, asked, HeldEvents::Deliver, now);
                    index
                }
                None => {
                    self.add_webhook(config, now);
                    self.webhooks.len() - 1
                }
            };
            if !complete {
                self.webhooks.edit()[index].disabled_reason = Some(IMPORTED_WITHOUT_SECRETS.into());
            }
        }
        for id in removed {
            self.delete_webhook(&id, now).expect("an id just read from the list");
        }
        if let Some(campaign) = campaign {
            *self.campaign.edit() = campaign;
        }
        if let Some(settings) = file.settings {
            self.set_settings(settings);
        }
        Ok(summary)
    }
}

impl Webhooks {
    /// For each record, the index of the webhook here it updates: by id,
    /// then by name and URL, each webhook matched at most once.
    fn match_records(&self, records: &[ImportedWebhook]) -> Vec<Option<usize>> {
        let mut taken = vec![false; self.len()];
        let mut matches: Vec<Option<usize>> = records
            .iter()
            .map(|record| {
                let index = self.iter().position(|w| record.id.as_deref() == Some(w.id.as_str())).filter(|i| !taken[*i])?;
                taken[index] = true;
                Some(index)
            })
            .collect();
        for (record, found) in records.iter().zip(&mut matches).filter(|(_, found)| found.is_none()) {
            let url = crate::config::parse_url(&record.raw.url).map(|url| url.to_string()).unwrap_or_default();
            *found = (0..self.len()).find(|i| {
                let existing = self[*i].config.to_raw();
                !taken[*i] && existing.name == record.raw.name && existing.url == url
            });
            if let Some(index) = *found {
                taken[index] = true;
            }
        }
        matches
    }
}

/// A record's settings with what the file left out filled in.
struct Filled {
    config: WebhookConfig,
    /// What changes where the credentials go (see [`redirecting_changes`]).
    changes: Vec<String>,
    /// The credentials left to enter again: none if nothing was missing.
    reenter: Vec<String>,
}

/// What in `record` changes, against `existing`, where the webhook's
/// credentials go or what they authorise, by wire name. A URL the file
/// left out is `existing`'s, so it does not count. A header switched to
/// not secret counts as a changed header: a kept credential would show in
/// the log and in the next export.
fn redirecting_changes(record: &RawConfig, existing: &RawConfig) -> Vec<String> {
    use crate::config::parse_url;
    let names = |headers: &[RawHeader]| {
        let mut names: Vec<(String, bool)> =
            headers.iter().map(|header| (header.name.to_ascii_lowercase(), is_secret_header(&header.name, header.secret))).collect();
        names.sort();
        names
    };
    [
        ("url", parse_url(&record.url).ok() != parse_url(&existing.url).ok()),
        ("method", !record.method.eq_ignore_ascii_case(&existing.method)),
        ("preset", record.preset != existing.preset),
        ("chatId", record.chat_id != existing.chat_id),
        ("template", record.template != existing.template),
        ("headers", names(&record.headers) != names(&existing.headers)),
        ("actOnReplies", record.act_on_replies != existing.act_on_replies),
    ]
    .into_iter()
    .filter(|(_, changed)| *changed)
    .map(|(field, _)| field.to_string())
    .collect()
}

/// A record's settings with what the file left out taken from the webhook
/// it updates, if nothing that decides where its credentials go changes;
/// what cannot be taken is dropped and the webhook turned off.
fn fill(record: ImportedWebhook, existing: Option<&RawConfig>) -> Result<Filled, ConfigError> {
    let mut raw = record.raw;
    if record.omitted_url {
        // Left out because it holds a credential: only the webhook it was exported from has it.
        raw.url = existing.map(|e| e.url.clone()).ok_or(ConfigError::UrlOmitted)?;
    }
    let changes = existing.map(|e| redirecting_changes(&raw, e)).unwrap_or_default();
    if record.omitted_url && !changes.is_empty() {
        return Err(ConfigError::UrlOmittedRedirected(changes.join(", ")));
    }
    // This browser's credentials go only where they went before.
    let existing = existing.filter(|_| changes.is_empty());
    let mut reenter = Vec::new();
    raw.secret = match record.secret {
        None => None,
        Some(Field::Given(secret)) => Some(secret),
        Some(Field::Omitted) => {
            let secret = existing.and_then(|e| e.secret.clone());
            if secret.is_none() {
                reenter.push("secret".to_string());
            }
            secret
        }
    };
    let mut missing = Vec::new();
    for &position in &record.omitted_headers {
        let header = &mut raw.headers[position];
        match existing.and_then(|e| RawHeader::value_of(&e.headers, &header.name)) {
            Some(value) => header.value = value.to_string(),
            None => {
                reenter.push(format!("header {}", header.name));
                missing.push(position);
            }
        }
    }
    // Last first, so each position still names its header.
    for &position in missing.iter().rev() {
        raw.headers.remove(position);
    }
    if !reenter.is_empty() {
        raw.enabled = false;
    }
    Ok(Filled { config: WebhookConfig::parse(&raw)?, changes, reenter })
}

/// Campaign settings as `campaign.configure` input, every field set. A
/// file with no phrases (the campaign was never set up) leaves them as
/// they are: an empty list is not something `configure` accepts.
fn campaign_input(settings: CampaignSettings) -> CampaignInput {
    let name = |value: Value| value.as_str().unwrap_or_default().to_string();
    let schedule = settings.schedule.as_ref();
    CampaignInput {
        phrases: Some(settings.phrases).filter(|phrases| !phrases.is_empty()),
        order: Some(name(serde_json::to_value(settings.order).expect("an order serializes"))),
        interval_min_seconds: Some(settings.interval_min_seconds),
        interval_max_seconds: Some(settings.interval_max_seconds),
        daily_limit: Some(settings.daily_limit.unwrap_or(0)),
        send_by: Some(name(serde_json::to_value(settings.send_by).expect("a send mode serializes"))),
        include_text: Some(settings.include_text),
        schedule: Some(ScheduleInput {
            cron: schedule.map(|s| s.cron.as_str().to_string()).unwrap_or_default(),
            stop_after_messages: schedule.and_then(|s| s.stop_after_messages),
            stop_after_minutes: schedule.and_then(|s| s.stop_after_minutes),
        }),
    }
}
