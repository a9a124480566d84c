//! What the engine keeps between service-worker lifetimes, and how it is
//! split into storage keys so a change rewrites only what changed.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::alerts::{NotificationSwitches, Notified, Unseen};
use super::answers::Answers;
use super::delivery::{Attempt, Delivery};
use super::health::Health;
use super::log::StoredPage;
use super::outbox_pages::StoredPages;
use super::rotation::PreviousSecrets;
use crate::campaign::Campaign;
use crate::config::StoredConfig;
use crate::stats::Stats;
use crate::time::Millis;

/// Extension-wide settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GlobalSettings {
    /// The global switch: when off, events are not delivered.
    pub enabled: bool,
    /// Which notifications the user wants.
    pub notifications: NotificationSwitches,
}

impl Default for GlobalSettings {
    fn default() -> GlobalSettings {
        GlobalSettings { enabled: true, notifications: NotificationSwitches::default() }
    }
}

/// Declares [`Webhook`], stored as one JSON object: its settings' fields
/// among its own, and [`Bookkeeping`], which reads its own back. Not
/// `#[serde(flatten)]` both ways: serde reads a flattened struct by
/// copying the record into a tree of its own and the settings' every
/// field from that, a second deserializer of each (5,402 bytes of the
/// gzipped Wasm module). The settings are read from the same record
/// instead ([`decode_webhook`]).
macro_rules! webhook {
    (
        $(#[$meta:meta])*
        pub struct Webhook {
            $(#[doc = $id_doc:literal])* pub id: String,
            $(#[doc = $config_doc:literal])* pub config: StoredConfig,
            $($(#[$field_meta:meta])* pub $field:ident: $Field:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct Webhook {
            $(#[doc = $id_doc])* pub id: String,
            $(#[doc = $config_doc])*
            #[serde(flatten)]
            pub config: StoredConfig,
            $($(#[$field_meta])* pub $field: $Field,)*
        }

        /// A stored webhook's fields but its settings (named as the
        /// webhook in errors).
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", expecting = "struct Webhook")]
        struct Bookkeeping {
            id: String,
            $($(#[$field_meta])* $field: $Field,)*
        }

        /// A stored webhook: its own fields, then its settings, each read
        /// from the whole record (the settings ignore the other fields, as
        /// they do in a settings file).
        fn decode_webhook(value: &Value) -> Result<Webhook, String> {
            let Bookkeeping { id, $($field),* } = decode(value)?;
            let config = decode(value)?;
            Ok(Webhook { id, config, $($field),* })
        }
    };
}

webhook! {
/// A configured webhook with its bookkeeping.
pub struct Webhook {
    /// `wh_…`.
    pub id: String,
    /// The user's settings: parsed, or as stored when they no longer parse.
    pub config: StoredConfig,
    /// When it was created.
    pub created_at: Millis,
    /// When its settings last changed.
    pub updated_at: Millis,
    /// Why AutoHook turned it off (e.g. the receiver answered 410 Gone).
    pub disabled_reason: Option<String>,
    /// Delivery counters.
    #[serde(default)]
    pub stats: Stats,
    /// Its run of failures, and whether AutoHook turned it off.
    #[serde(default)]
    pub health: Health,
    /// Secrets a rotation replaced that still sign until they expire
    /// (see [`super::rotation`]); records from before rotation have none.
    #[serde(default, skip_serializing_if = "PreviousSecrets::is_empty")]
    pub previous_secrets: PreviousSecrets,
}
}

/// Everything persisted, as loaded from storage.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Global settings.
    pub settings: GlobalSettings,
    /// Configured webhooks.
    pub webhooks: Vec<Webhook>,
    /// Deliveries not yet finished, oldest first.
    pub outbox: Vec<Delivery>,
    /// The outbox's pages as stored: each page's key and the ids it holds
    /// (see [`super::outbox_pages`]).
    pub outbox_pages: StoredPages,
    /// The ids of deliveries read from `delivery/<id>`, a key per delivery,
    /// where earlier versions kept each: paged with the next write, and
    /// that key removed.
    pub legacy: Vec<String>,
    /// The log's pages as stored, unless [`Snapshot::log_unread`].
    pub log_pages: Vec<StoredPage>,
    /// Whether the log's pages were left unread. The browser's store keeps
    /// them apart ([`Key::is_logged`]) and hands them over only when the
    /// engine asks ([`super::Output::LoadLog`]): a start reads the outbox,
    /// not 500 logged requests and responses.
    pub log_unread: bool,
    /// Finished deliveries found among unfinished ones (under
    /// `delivery/<id>`, where every delivery was kept before the log had
    /// pages): logged with the next write, and taken out of where they were.
    pub misplaced: Vec<Delivery>,
    /// The campaign.
    pub campaign: Campaign,
    /// Attempts that had started when this was written, by delivery id;
    /// their delivery's own key may not show them yet (see [`Key::InFlight`]).
    pub in_flight: BTreeMap<String, Attempt>,
    /// Answers to recent requests that changed state, by request id.
    pub answers: Answers,
    /// Failed deliveries the user has not seen (the badge's count).
    pub unseen: Unseen,
    /// When notifications that replies set off were shown, by webhook.
    pub notified: Notified,
    /// Records set aside by an earlier start, by their `unreadable/` name.
    pub set_aside: BTreeMap<String, Unreadable>,
    /// Records this load could not read; the engine sets them aside.
    pub unreadable: Vec<Unreadable>,
}

/// A stored record that could not be read. It is moved aside under its own
/// key (`unreadable/<where it was>`) rather than failing the whole load, so
/// one truncated write or a record from another build costs that record,
/// not the extension; the settings page lists it with a Delete button.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Unreadable {
    /// Where it was stored: a key (`delivery/dlv_…`, `settings`) or an
    /// entry of one (`webhooks[2]`).
    pub origin: String,
    /// Why it could not be read.
    pub reason: String,
    /// The stored text, exactly as found.
    pub text: String,
    /// Whether it was sealed and did not open: sealed under a key this
    /// browser no longer has, or for another record. The settings page
    /// says the key is lost and what to do about it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unopenable: bool,
}

impl Unreadable {
    /// A record that did not decode.
    pub fn new(origin: String, reason: String, text: String) -> Unreadable {
        Unreadable { origin, reason, text, unopenable: false }
    }

    /// The key it was stored under (for an entry, the list's key).
    pub fn origin_key(&self) -> Option<Key> {
        Key::parse(self.origin.split('[').next().unwrap_or_default())
    }
}

/// Decodes one stored value: JSON text (what the engine writes) or a plain
/// object. The browser adapter hands over every value as text, turning one
/// that something else stored as an object (a sync or backup tool, a
/// devtools edit) into text first, so serde_json's nesting limit applies;
/// native callers may pass either. An object (also each entry of the
/// `webhooks` list) is written as text and read back too: one deserializer
/// per stored type rather than two, as serde_json's for `&Value` was ~40 KB
/// of the Wasm module. By reference, so a failure still has the value to
/// set aside.
pub(super) fn decode<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    match value {
        Value::String(text) => serde_json::from_str(text),
        object => serde_json::from_str(&object.to_string()),
    }
    .map_err(|error| error.to_string())
}

/// A stored delivery, under its own key only: a record copied to another
/// key would be a second copy of one delivery.
fn decode_delivery(id: &str, value: &Value) -> Result<Delivery, String> {
    decode::<Delivery>(value).and_then(|delivery| match delivery.id == id {
        true => Ok(delivery),
        false => Err(format!("holds delivery {} under another delivery's key", delivery.id)),
    })
}

/// A page's entries (the log's or the outbox's, stored under `key`), each
/// on its own: one that does not read is set aside as `<key>[i]` (and the
/// page written again without it), not the 49 others with it.
fn decode_page(key: &str, value: &Value) -> Result<(Vec<Delivery>, Vec<Unreadable>), String> {
    let mut unreadable = Vec::new();
    let entries = decode::<Vec<Value>>(value)?
        .into_iter()
        .enumerate()
        .filter_map(|(index, entry)| {
            decode::<Delivery>(&entry)
                .map_err(|reason| unreadable.push(Unreadable::new(format!("{key}[{index}]"), reason, entry.to_string())))
                .ok()
        })
        .collect();
    Ok((entries, unreadable))
}

/// A stored value as text, for an [`Unreadable`] record.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        object => object.to_string(),
    }
}

/// How the shell's store handed a record over ([`Snapshot::from_store`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sealing {
    /// Stored as it is.
    Clear,
    /// Sealed, and opened bound to its own name: only this background,
    /// holding the key, can have sealed it so.
    Opened,
    /// Sealed, and did not open: the key is gone, the value was sealed for
    /// another record, or it is damaged.
    Unopenable,
}

impl Snapshot {
    /// [`Snapshot::from_stored`] for records as the browser's store hands
    /// them over, checking each against how it had to be stored first: a
    /// record that must be sealed ([`Key::is_sealed`]) but arrived in the
    /// clear was not written by AutoHook, and one that did not open cannot
    /// be read. Both are set aside, never loaded.
    /// The store hands over every record but the log's, which it hands
    /// over when asked ([`super::Engine::load_log`]).
    pub fn from_store(records: impl IntoIterator<Item = (String, Value, Sealing)>) -> Snapshot {
        let mut refused = Vec::new();
        let readable: Vec<(String, Value)> = records
            .into_iter()
            .filter_map(|(key, value, sealing)| {
                let must_be_sealed = Key::parse(&key).is_some_and(|key| key.is_sealed());
                let (reason, unopenable) = match sealing {
                    Sealing::Clear if must_be_sealed => ("stored in the clear where AutoHook stores it sealed", false),
                    Sealing::Unopenable => ("sealed, and does not open with this browser's key", true),
                    Sealing::Clear | Sealing::Opened => return Some((key, value)),
                };
                refused.push(Unreadable { origin: key, reason: reason.into(), text: text_of(&value), unopenable });
                None
            })
            .collect();
        let mut snapshot = Snapshot::from_stored(readable);
        snapshot.unreadable.extend(refused);
        // Log pages are the log store's: one among the records was not
        // written by AutoHook, and is not loaded.
        snapshot.log_pages.clear();
        snapshot.log_unread = true;
        snapshot
    }

    /// Rebuilds the state from every stored key, one record at a time:
    /// a record that does not decode is kept in [`Snapshot::unreadable`]
    /// and everything else loads. The `webhooks` list is read entry by
    /// entry for the same reason. Keys that are not AutoHook's are ignored.
    /// Every stored key is given, the log's too.
    pub fn from_stored<V: Into<Value>>(stored: impl IntoIterator<Item = (String, V)>) -> Snapshot {
        let mut snapshot = Snapshot::default();
        let (mut paged, mut legacy): (Vec<Delivery>, Vec<Delivery>) = (Vec::new(), Vec::new());
        for (key, value) in stored {
            let value = value.into();
            let Some(parsed) = Key::parse(&key) else { continue };
            let read = match parsed {
                Key::Settings => decode(&value).map(|settings| snapshot.settings = settings),
                Key::Webhooks => decode::<Vec<Value>>(&value).map(|entries| snapshot.read_webhooks(entries)),
                Key::Campaign => decode(&value).map(|campaign| snapshot.campaign = campaign),
                Key::InFlight => decode(&value).map(|in_flight| snapshot.in_flight = in_flight),
                Key::Answers => decode(&value).map(|replies| snapshot.answers = replies),
                Key::Badge => decode(&value).map(|unseen| snapshot.unseen = unseen),
                Key::Notified => decode(&value).map(|notified| snapshot.notified = notified),
                Key::Unreadable(name) => {
                    // A set-aside record is shown as found, even if its own wrapper broke.
                    let record = decode(&value).unwrap_or_else(|reason| Unreadable::new(name.clone(), reason, text_of(&value)));
                    snapshot.set_aside.insert(name, record);
                    Ok(())
                }
                Key::Delivery(id) => decode_delivery(&id, &value).map(|delivery| legacy.push(delivery)),
                Key::OutboxPage(page) => decode_page(&key, &value).map(|(entries, unreadable)| {
                    snapshot.outbox_pages.push((page, entries.iter().map(|d| d.id.clone()).collect()));
                    paged.extend(entries);
                    snapshot.unreadable.extend(unreadable);
                }),
                Key::LogPage(page) => decode_page(&key, &value).map(|(entries, unreadable)| {
                    snapshot.log_pages.push((page, entries));
                    snapshot.unreadable.extend(unreadable);
                }),
            };
            if let Err(reason) = read {
                snapshot.unreadable.push(Unreadable::new(key, reason, text_of(&value)));
            }
        }
        snapshot.legacy = legacy.iter().map(|d| d.id.clone()).collect();
        // One copy of each delivery: a page's before a key of an earlier
        // version (the pages were written since), the first page's before
        // another's (that page is written again without it).
        let mut deliveries: BTreeMap<String, Delivery> = BTreeMap::new();
        for delivery in paged.into_iter().chain(legacy) {
            deliveries.entry(delivery.id.clone()).or_insert(delivery);
        }
        let (outbox, misplaced) = deliveries.into_values().partition(|d| d.state.is_unfinished());
        (snapshot.outbox, snapshot.misplaced) = (outbox, misplaced);
        snapshot.outbox.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        snapshot.misplaced.sort_by(|a, b| (a.finished_at, &a.id).cmp(&(b.finished_at, &b.id)));
        snapshot
    }

    /// The log's pages among `stored` (the log store's records), and those
    /// that do not read.
    pub fn read_log<V: Into<Value>>(stored: impl IntoIterator<Item = (String, V)>) -> (Vec<StoredPage>, Vec<Unreadable>) {
        let (mut pages, mut unreadable) = (Vec::new(), Vec::new());
        for (key, value) in stored {
            let value = value.into();
            let Some(Key::LogPage(page)) = Key::parse(&key) else { continue };
            match decode_page(&key, &value) {
                Ok((entries, damaged)) => {
                    pages.push((page, entries));
                    unreadable.extend(damaged);
                }
                Err(reason) => unreadable.push(Unreadable::new(key, reason, text_of(&value))),
            }
        }
        (pages, unreadable)
    }

    /// Each entry on its own, and within one its previous secrets each on
    /// their own: a damaged one of those is set aside, not the webhook.
    fn read_webhooks(&mut self, entries: Vec<Value>) {
        for (index, entry) in entries.into_iter().enumerate() {
            match decode_webhook(&entry) {
                Ok(mut webhook) => {
                    self.unreadable.extend(webhook.previous_secrets.take_unreadable(&format!("webhooks[{index}].previousSecrets")));
                    self.webhooks.push(webhook);
                }
                Err(reason) => {
                    let origin = format!("webhooks[{index}]");
                    self.unreadable.push(Unreadable::new(origin, reason, entry.to_string()));
                }
            }
        }
    }
}

/// A storage key. The global settings and webhooks are small and stored
/// whole; unfinished deliveries are in pages of the outbox, so a batch
/// rewrites the few pages it changed rather than the whole outbox (see
/// [`super::outbox_pages`]). Finishing a delivery rewrites its outbox page
/// without it and the log page it joins (see [`super::log`]), in the same
/// transaction: the browser keeps the log's pages in a store of its own,
/// which a start does not read.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// [`GlobalSettings`]: `settings`.
    Settings,
    /// Webhooks with their stats: `webhooks`.
    Webhooks,
    /// The campaign: `campaign`.
    Campaign,
    /// The attempts in flight, by delivery id: `inflight`. Starting an
    /// attempt must reach storage (a restart counts it as interrupted, and
    /// its `X-AutoHook-Delivery` number is never reused), but rewriting the
    /// whole delivery for it cost one delivery-sized write per attempt
    /// whose response outlived a write batch (~800 per 1000 in the
    /// benchmark); this key holds at most [`super::MAX_IN_FLIGHT`] entries.
    InFlight,
    /// An unfinished delivery, as earlier versions stored each:
    /// `delivery/<id>`. Read, then moved into a page.
    Delivery(String),
    /// A page of the outbox: `pending/<page>` (see [`super::outbox_pages`]).
    OutboxPage(String),
    /// A page of the log: `log/<page>`.
    LogPage(String),
    /// Answers to recent state-changing requests, so a request repeated
    /// after its reply was lost is answered, not run twice: `replies`.
    Answers,
    /// A record that could not be read, set aside: `unreadable/<name>`.
    Unreadable(String),
    /// Failed deliveries the user has not seen: `badge`.
    Badge,
    /// When notifications that acted-on replies set off were shown in the
    /// last hour, by the replying webhook: `notified` (see [`Notified`]).
    Notified,
}

impl Key {
    /// Whether the value carries credentials (webhook secrets, credential
    /// header values, URLs that are tokens, and copies of them in replies
    /// or set-aside records) or the campaign (its phrases, and the open
    /// pick's token): the shell seals these at rest, so a content script
    /// that can read storage (Firefox) sees only ciphertext. Deliveries are
    /// not sealed: the log holds no credential, and sealing every delivery
    /// write would cost the throughput the outbox exists for.
    pub fn is_sealed(&self) -> bool {
        matches!(self, Key::Webhooks | Key::Campaign | Key::Answers | Key::Unreadable(_))
    }

    /// Whether the browser keeps it in the log's store, which a start does
    /// not read (see [`Snapshot::log_unread`]).
    pub fn is_logged(&self) -> bool {
        matches!(self, Key::LogPage(_))
    }

    /// Reads a stored key; `None` for keys that are not AutoHook's.
    pub fn parse(key: &str) -> Option<Key> {
        match key.split_once('/') {
            None if key == "settings" => Some(Key::Settings),
            None if key == "webhooks" => Some(Key::Webhooks),
            None if key == "campaign" => Some(Key::Campaign),
            None if key == "inflight" => Some(Key::InFlight),
            None if key == "replies" => Some(Key::Answers),
            None if key == "badge" => Some(Key::Badge),
            None if key == "notified" => Some(Key::Notified),
            Some(("delivery", id)) => Some(Key::Delivery(id.into())),
            Some(("pending", page)) => Some(Key::OutboxPage(page.into())),
            Some(("log", page)) => Some(Key::LogPage(page.into())),
            Some(("unreadable", name)) => Some(Key::Unreadable(name.into())),
            _ => None,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Settings => f.write_str("settings"),
            Key::Webhooks => f.write_str("webhooks"),
            Key::Campaign => f.write_str("campaign"),
            Key::InFlight => f.write_str("inflight"),
            Key::Delivery(id) => write!(f, "delivery/{id}"),
            Key::OutboxPage(page) => write!(f, "pending/{page}"),
            Key::LogPage(page) => write!(f, "log/{page}"),
            Key::Answers => f.write_str("replies"),
            Key::Unreadable(name) => write!(f, "unreadable/{name}"),
            Key::Badge => f.write_str("badge"),
            Key::Notified => f.write_str("notified"),
        }
    }
}

/// One batch of storage writes: keys to set, and keys to remove (a
/// delivery's outbox key as it moves to the log, log entries past the log's
/// capacity, set-aside records deleted). The driver writes a batch in one
/// transaction: all of it lands or none, so a delivery is never under both
/// its keys (a start reads only the outbox's, and would send it again).
///
/// Values are JSON text rather than objects: handing `storage.set` one
/// string per key costs a fraction of building the object in JS property by
/// property and having the browser walk it again to store it, and a burst of
/// deliveries writes a few kilobytes per delivery.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    /// This batch's number, for [`super::Engine::changes_saved`].
    pub batch: u64,
    /// Keys with their new values as JSON text.
    pub set: BTreeMap<String, String>,
    /// Keys to delete.
    pub remove: Vec<String>,
}

impl Changes {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_page_among_the_records_is_not_loaded() {
        let page = (String::from("log/x"), Value::String("[]".into()), Sealing::Clear);
        let snapshot = Snapshot::from_store([page]);
        assert!(snapshot.log_pages.is_empty() && snapshot.log_unread, "only the log's store holds pages");
    }

    #[test]
    fn keys_round_trip_and_foreign_keys_are_ignored() {
        for key in [
            Key::Settings,
            Key::Webhooks,
            Key::Campaign,
            Key::InFlight,
            Key::Delivery("dlv_1".into()),
            Key::OutboxPage("dlv_2".into()),
            Key::LogPage("dlv_3".into()),
            Key::Answers,
            Key::Unreadable("webhooks[2]".into()),
            Key::Unreadable("delivery/dlv_4".into()),
            Key::Badge,
            Key::Notified,
        ] {
            assert_eq!(Key::parse(&key.to_string()), Some(key));
        }
        for foreign in ["grantedOrigins", "outbox", "outbox/dlv_2", "other/x", "settings/x"] {
            assert_eq!(Key::parse(foreign), None, "{foreign}");
        }
    }
}
