//! What the engine keeps between service-worker lifetimes, and how it is
//! split into storage sections so a change rewrites only its own section.

use serde::{Deserialize, Serialize};

use super::delivery::Delivery;
use crate::config::WebhookConfig;
use crate::stats::Stats;
use crate::time::Millis;

/// Extension-wide settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// The global switch: when off, events are not delivered.
    pub enabled: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { enabled: true }
    }
}

/// A configured webhook with its bookkeeping.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// `wh_…`.
    pub id: String,
    /// The user's settings.
    #[serde(flatten)]
    pub config: WebhookConfig,
    /// When it was created.
    pub created_at: Millis,
    /// When its settings last changed.
    pub updated_at: Millis,
    /// Why AutoHook turned it off (e.g. the receiver answered 410 Gone).
    pub disabled_reason: Option<String>,
    /// Delivery counters.
    #[serde(default)]
    pub stats: Stats,
}

/// Everything persisted, as loaded from storage. Missing sections start empty.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Snapshot {
    /// Global settings.
    pub settings: Settings,
    /// Configured webhooks.
    pub webhooks: Vec<Webhook>,
    /// Deliveries not yet finished.
    pub outbox: Vec<Delivery>,
    /// Finished deliveries, oldest first.
    pub log: Vec<Delivery>,
}

/// A storage section; each is written as one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// [`Settings`].
    Settings,
    /// Webhooks with their stats.
    Webhooks,
    /// Unfinished deliveries.
    Outbox,
    /// Finished deliveries.
    Log,
}

impl Section {
    /// Every section.
    pub const ALL: [Section; 4] = [Section::Settings, Section::Webhooks, Section::Outbox, Section::Log];

    /// The storage key, also the [`Snapshot`] field name.
    pub fn key(self) -> &'static str {
        match self {
            Section::Settings => "settings",
            Section::Webhooks => "webhooks",
            Section::Outbox => "outbox",
            Section::Log => "log",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// Sections changed since the last write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dirty(u8);

impl Dirty {
    /// Marks `section` as changed.
    pub fn mark(&mut self, section: Section) {
        self.0 |= section.bit();
    }

    /// The changed sections, clearing the set.
    pub fn take(&mut self) -> Vec<Section> {
        let sections = Section::ALL.into_iter().filter(|s| self.0 & s.bit() != 0).collect();
        self.0 = 0;
        sections
    }
}
