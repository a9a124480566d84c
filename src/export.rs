//! The settings file `settings.export` writes and `settings.import` reads:
//! its format, its bounds, and the encryption of the credentials in it.
//!
//! ```text
//! {"format": "autohook-export", "version": 1, "exportedAt": "2026-…Z",
//!  "webhooks": [{"id", …a webhook's stored settings (RawConfig)…}],
//!  "campaign": {…its settings…}, "settings": {"enabled", "notifications"},
//!  "secrets": {…}}            (only when secrets are included)
//! ```
//!
//! A webhook is its stored settings as they serialize, so a field added to
//! them travels with no change here. Its credentials (the signing secret,
//! the value of every secret header, [`is_secret_header`], and a URL with
//! a secret part, [`UrlSecrets`](crate::redact::UrlSecrets)) never appear in clear: each is replaced
//! by a marker, `{"omitted": true}`
//! when secrets were left out, `{"encrypted": true}` when they are in
//! `secrets`. There they are one AES-256-GCM ciphertext under a key derived
//! from the passphrase with PBKDF2-HMAC-SHA256 (600,000 iterations, OWASP's
//! figure for it in 2023; a random 16-byte salt and 12-byte nonce per
//! export). The rest of the file (compact, keys sorted) is the ciphertext's
//! associated data: changing anything in it (say, pointing a webhook with an
//! `Authorization` header at another URL) makes the passphrase fail, so a
//! tampered file cannot carry the credentials anywhere new.
//!
//! This module only reads and writes files; what an import changes is
//! decided by the engine (`engine/transfer.rs`).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use thiserror::Error;

use crate::campaign::{CampaignError, CampaignSettings};
use crate::catalog::ErrorCode;
use crate::config::{ConfigError, RawConfig};
use crate::engine::{GlobalSettings, MAX_WEBHOOKS};
use crate::redact::{is_secret_header, StoredUrl};
use crate::time::Millis;

/// The `format` every settings file names.
pub const FORMAT: &str = "autohook-export";
/// The newest format version this build writes and reads.
pub const VERSION: u64 = 1;
/// The most a file may hold, in bytes: above the largest export possible
/// (1,000 phrases of 4,096 characters, ten webhooks with every field full),
/// low enough that parsing it is not a way to stall the worker.
pub const MAX_IMPORT_BYTES: usize = 32 << 20;
/// PBKDF2 iterations written into new files.
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// Fewer are refused when reading (a weakened file), and so are more than
/// this, before any work: 10 million, the bound before, kept the worker
/// busy for tens of seconds (exports use 600,000).
pub const MAX_PBKDF2_ITERATIONS: u32 = 1_000_000;
/// The shortest passphrase secrets are encrypted under.
pub const MIN_PASSPHRASE_CHARS: usize = 8;
/// The longest passphrase accepted.
pub const MAX_PASSPHRASE_CHARS: usize = 1024;
const KDF: &str = "pbkdf2-sha256";
const CIPHER: &str = "aes-256-gcm";
const SALT_BYTES: usize = 16;
const NONCE_BYTES: usize = 12;

/// Why a file could not be written or read. Nothing changed when one is returned.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TransferError {
    /// Not an AutoHook settings file, or one whose structure is broken.
    #[error("not an AutoHook settings file: {0}")]
    Format(String),
    /// Written by a later AutoHook.
    #[error("this file is format version {0}, from a later AutoHook; this one reads version {VERSION}: update AutoHook to import it")]
    LaterVersion(u64),
    /// Over [`MAX_IMPORT_BYTES`].
    #[error("the file is {0} bytes; the limit is {MAX_IMPORT_BYTES} bytes")]
    TooLarge(usize),
    /// More webhooks than one may have, in the file or after the import.
    #[error("webhooks: the import would make {0} webhooks; at most {MAX_WEBHOOKS}")]
    TooManyWebhooks(usize),
    /// A webhook record that `webhooks.create` would refuse.
    #[error("webhooks[{index}].{}: {error}", error.field())]
    Webhook {
        /// Its position in the file.
        index: usize,
        /// Why.
        error: ConfigError,
    },
    /// A webhook record whose shape is wrong (a field of the wrong type, one unknown).
    #[error("webhooks[{index}]: {message}")]
    WebhookShape {
        /// Its position in the file.
        index: usize,
        /// Why.
        message: String,
    },
    /// Campaign settings that `campaign.configure` would refuse.
    #[error("campaign{}: {}", .0.field().map(|f| format!(".{f}")).unwrap_or_default(), .0)]
    Campaign(CampaignError),
    /// Secrets to encrypt or decrypt and no usable passphrase.
    #[error("passphrase: {0}")]
    Passphrase(&'static str),
    /// The passphrase is wrong or the file was changed after export.
    #[error("wrong passphrase, or the file was changed after it was exported")]
    Decrypt,
}

impl TransferError {
    /// A stable code the UI can switch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            TransferError::Format(_) | TransferError::TooLarge(_) | TransferError::WebhookShape { .. } => ErrorCode::InvalidImport,
            TransferError::LaterVersion(_) => ErrorCode::UnsupportedVersion,
            TransferError::TooManyWebhooks(_) => ErrorCode::TooManyWebhooks,
            TransferError::Webhook { .. } | TransferError::Passphrase(_) => ErrorCode::InvalidInput,
            TransferError::Campaign(error) => error.code(),
            TransferError::Decrypt => ErrorCode::DecryptFailed,
        }
    }

    /// The request field at fault: the passphrase, or the file.
    pub fn field(&self) -> &'static str {
        match self {
            TransferError::Passphrase(_) | TransferError::Decrypt => "passphrase",
            _ => "data",
        }
    }
}

/// A webhook's credentials, in the order its markers appear: what the
/// `secrets` ciphertext holds, one per webhook.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Credentials {
    secret: Option<String>,
    headers: Vec<String>,
    /// The URL, when it holds a credential (a Slack or Discord webhook
    /// path, a Telegram bot token, a key in the query).
    #[serde(default)]
    url: Option<String>,
}

/// The `secrets` object of a file with encrypted credentials.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Sealed {
    kdf: String,
    iterations: u32,
    salt: String,
    cipher: String,
    nonce: String,
    ciphertext: String,
}

/// How credentials go into a new file.
pub enum Secrets<'a> {
    /// Left out, marked `{"omitted": true}`.
    Omit,
    /// Encrypted under this passphrase, with `random` (at least 28 bytes) for salt and nonce.
    Encrypt {
        /// The passphrase.
        passphrase: &'a str,
        /// Fresh random bytes.
        random: &'a [u8; 32],
    },
}

/// Writes a file of `webhooks` (id and stored settings), `campaign`
/// settings and global `settings`, exported at `now`.
pub fn write(
    webhooks: Vec<(String, Value)>,
    campaign: &Value,
    settings: &GlobalSettings,
    secrets: Secrets<'_>,
    now: Millis,
) -> Result<Value, TransferError> {
    let marker = match secrets {
        Secrets::Omit => json!({"omitted": true}),
        Secrets::Encrypt { passphrase, .. } => {
            check_passphrase(passphrase)?;
            json!({"encrypted": true})
        }
    };
    let mut credentials = Vec::new();
    let records: Vec<Value> = webhooks
        .into_iter()
        .map(|(id, mut record)| {
            credentials.push(take_credentials(&mut record, &marker));
            let mut fields = Map::new();
            fields.insert("id".into(), Value::String(id));
            fields.extend(record.as_object_mut().map(std::mem::take).unwrap_or_default());
            Value::Object(fields)
        })
        .collect();
    let mut file = json!({
        "format": FORMAT, "version": VERSION, "exportedAt": now.iso8601(),
        "webhooks": records, "campaign": campaign, "settings": settings,
    });
    if let Secrets::Encrypt { passphrase, random } = secrets {
        let (salt, nonce) = (&random[..SALT_BYTES], &random[SALT_BYTES..SALT_BYTES + NONCE_BYTES]);
        let plaintext = serde_json::to_vec(&credentials).expect("credentials serialize to JSON");
        let aad = associated_data(&file);
        let cipher = cipher(passphrase, salt, PBKDF2_ITERATIONS);
        let ciphertext = cipher
            .encrypt(Nonce::from_slice(nonce), Payload { msg: &plaintext, aad: &aad })
            .expect("AES-GCM encrypts any message under 64 GB");
        let sealed = Sealed {
            kdf: KDF.into(),
            iterations: PBKDF2_ITERATIONS,
            salt: BASE64.encode(salt),
            cipher: CIPHER.into(),
            nonce: BASE64.encode(nonce),
            ciphertext: BASE64.encode(ciphertext),
        };
        file["secrets"] = serde_json::to_value(sealed).expect("the secrets object serializes");
    }
    Ok(file)
}

/// Replaces the secret, the secret header values and a URL that holds a
/// credential (by the log's own rules) of a stored webhook's settings by
/// `marker`, returning them. Read from the stored text, so settings that
/// no longer parse are exported without their credentials too.
fn take_credentials(record: &mut Value, marker: &Value) -> Credentials {
    let mut credentials = Credentials::default();
    let holds_credential = |text: &str| StoredUrl::read(text).holds_credential();
    if let Some(url) = record.get_mut("url").filter(|url| url.as_str().is_some_and(holds_credential)) {
        credentials.url = url.as_str().map(str::to_string);
        *url = marker.clone();
    }
    if let Some(secret) = record.get_mut("secret").filter(|s| s.is_string()) {
        credentials.secret = secret.as_str().map(str::to_string);
        *secret = marker.clone();
    }
    for header in record.get_mut("headers").and_then(Value::as_array_mut).into_iter().flatten() {
        let Some([Value::String(name), value, switch @ ..]) = header.as_array_mut().map(Vec::as_mut_slice) else { continue };
        if is_secret_header(name, switch.first().and_then(Value::as_bool)) {
            credentials.headers.push(value.as_str().unwrap_or_default().to_string());
            *value = marker.clone();
        }
    }
    credentials
}

fn check_passphrase(passphrase: &str) -> Result<(), TransferError> {
    let chars = passphrase.chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
        return Err(TransferError::Passphrase("at least 8 characters are needed to encrypt secrets"));
    }
    if chars > MAX_PASSPHRASE_CHARS {
        return Err(TransferError::Passphrase("at most 1024 characters"));
    }
    Ok(())
}

fn cipher(passphrase: &str, salt: &[u8], iterations: u32) -> Aes256Gcm {
    let key = pbkdf2::pbkdf2_hmac_array::<sha2::Sha256, 32>(passphrase.as_bytes(), salt, iterations);
    Aes256Gcm::new(&key.into())
}

/// A value the file left out: a webhook's secret or a credential header's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// In the file (decrypted if it was encrypted).
    Given(String),
    /// Exported without secrets.
    Omitted,
}

/// A webhook as a file describes it.
#[derive(Clone, Debug)]
pub struct ImportedWebhook {
    /// The id it had where it was exported.
    pub id: Option<String>,
    /// Its settings, with no secret and an empty value for each omitted header.
    pub raw: RawConfig,
    /// Its secret, if it had one.
    pub secret: Option<Field>,
    /// Whether its URL, which held a credential, was left out (`raw.url`
    /// is then empty).
    pub omitted_url: bool,
    /// The positions in `raw.headers` of values that were omitted.
    pub omitted_headers: Vec<usize>,
}

/// A file, read and decrypted: every webhook's shape checked (the engine
/// parses each as `webhooks.create` would, once it has filled what was omitted).
#[derive(Clone, Debug)]
pub struct Imported {
    /// The webhooks, in the file's order.
    pub webhooks: Vec<ImportedWebhook>,
    /// The campaign's settings, if the file has them.
    pub campaign: Option<CampaignSettings>,
    /// The global switch and notification switches, if the file has them.
    pub settings: Option<GlobalSettings>,
}

/// Reads a file: `data` is its text or its JSON. Encrypted credentials
/// need `passphrase`; a wrong one, or any change to the file, is refused.
pub fn read(data: Value, passphrase: Option<&str>) -> Result<Imported, TransferError> {
    let mut file = match data {
        Value::String(text) => {
            if text.len() > MAX_IMPORT_BYTES {
                return Err(TransferError::TooLarge(text.len()));
            }
            serde_json::from_str::<Value>(&text).map_err(|e| TransferError::Format(e.to_string()))?
        }
        value => value,
    };
    let Some(fields) = file.as_object_mut() else { return Err(TransferError::Format("not a JSON object".into())) };
    if fields.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(TransferError::Format(format!("its format is not {FORMAT:?}")));
    }
    match fields.get("version").and_then(Value::as_u64) {
        Some(VERSION) => {}
        Some(later) if later > VERSION => return Err(TransferError::LaterVersion(later)),
        _ => return Err(TransferError::Format("version: not a format version".into())),
    }
    let sealed = fields.remove("secrets");
    let count = match fields.get("webhooks") {
        None | Some(Value::Null) => 0,
        Some(Value::Array(records)) => records.len(),
        Some(_) => return Err(TransferError::Format("webhooks: not a list".into())),
    };
    if count > MAX_WEBHOOKS {
        return Err(TransferError::TooManyWebhooks(count));
    }
    let credentials = match sealed {
        None | Some(Value::Null) => None,
        Some(sealed) => Some(open(sealed, &file, count, passphrase)?),
    };
    let records = file.get("webhooks").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let webhooks = records
        .iter()
        .enumerate()
        .map(|(index, record)| read_webhook(index, record, credentials.as_ref().map(|all| &all[index])))
        .collect::<Result<_, _>>()?;
    let campaign = optional(&file, "campaign")?;
    let settings = optional(&file, "settings")?;
    Ok(Imported { webhooks, campaign, settings })
}

/// Decrypts `secrets` with the rest of `file` as associated data: one
/// [`Credentials`] per webhook.
fn open(sealed: Value, file: &Value, webhooks: usize, passphrase: Option<&str>) -> Result<Vec<Credentials>, TransferError> {
    let sealed: Sealed = from_json(&sealed).map_err(|e| TransferError::Format(format!("secrets: {e}")))?;
    if sealed.kdf != KDF || sealed.cipher != CIPHER {
        return Err(TransferError::Format(format!("secrets: only {KDF} and {CIPHER} are read")));
    }
    if !(PBKDF2_ITERATIONS..=MAX_PBKDF2_ITERATIONS).contains(&sealed.iterations) {
        return Err(TransferError::Format(format!("secrets: iterations must be {PBKDF2_ITERATIONS} to {MAX_PBKDF2_ITERATIONS}")));
    }
    let decode = |what: &str, text: &str| BASE64.decode(text).map_err(|e| TransferError::Format(format!("secrets.{what}: {e}")));
    let (salt, nonce, ciphertext) =
        (decode("salt", &sealed.salt)?, decode("nonce", &sealed.nonce)?, decode("ciphertext", &sealed.ciphertext)?);
    if salt.len() != SALT_BYTES || nonce.len() != NONCE_BYTES {
        return Err(TransferError::Format("secrets: salt or nonce of the wrong size".into()));
    }
    let passphrase =
        passphrase.ok_or(TransferError::Passphrase("this file's secrets are encrypted: give the passphrase they were exported with"))?;
    if passphrase.chars().count() > MAX_PASSPHRASE_CHARS {
        return Err(TransferError::Decrypt);
    }
    let aad = associated_data(file);
    let plaintext = cipher(passphrase, &salt, sealed.iterations)
        .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: &aad })
        .map_err(|_| TransferError::Decrypt)?;
    // Authentic, so written by `write`: it holds one entry per webhook.
    let plaintext = String::from_utf8(plaintext).map_err(|_| TransferError::Decrypt)?;
    let credentials: Vec<Credentials> = serde_json::from_str(&plaintext).map_err(|_| TransferError::Decrypt)?;
    if credentials.len() != webhooks {
        return Err(TransferError::Decrypt);
    }
    Ok(credentials)
}

/// What the ciphertext authenticates: the file without `secrets`, as
/// compact JSON with every object's keys sorted, so a file whose keys a
/// tool reordered (WebDriver does, `jq -S` does) or re-indented still opens.
fn associated_data(file: &Value) -> Vec<u8> {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(fields) => {
                let mut names: Vec<&String> = fields.keys().collect();
                names.sort();
                Value::Object(names.into_iter().map(|name| (name.clone(), sorted(&fields[name]))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_vec(&sorted(file)).expect("a JSON value serializes")
}

/// A type read from JSON already parsed, through its text: storage reads
/// the same types from text, so this adds no second deserializer of them
/// to the Wasm module (one read from `Value` costs as much code again).
fn from_json<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, serde_json::Error> {
    serde_json::from_str(&value.to_string())
}

/// A top-level section that may be absent or `null`.
fn optional<T: serde::de::DeserializeOwned>(file: &Value, name: &str) -> Result<Option<T>, TransferError> {
    match file.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => from_json(value).map(Some).map_err(|e| TransferError::Format(format!("{name}: {e}"))),
    }
}

/// One webhook record: its markers replaced by `credentials` (or noted as
/// omitted), the rest read as stored settings.
fn read_webhook(index: usize, record: &Value, credentials: Option<&Credentials>) -> Result<ImportedWebhook, TransferError> {
    let shape = |message: String| TransferError::WebhookShape { index, message };
    let Some(fields) = record.as_object() else { return Err(shape("not an object".into())) };
    let mut fields = fields.clone();
    let id = match fields.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id),
        Some(_) => return Err(shape("id: not text".into())),
    };
    let mut encrypted = credentials.map(|c| (c.secret.clone(), c.url.clone(), c.headers.iter()));
    let mut unseal = |value: Value, what: &str| -> Result<Field, TransferError> {
        match value {
            Value::String(text) => Ok(Field::Given(text)),
            Value::Object(marker) if marker.get("omitted") == Some(&Value::Bool(true)) && marker.len() == 1 => Ok(Field::Omitted),
            Value::Object(marker) if marker.get("encrypted") == Some(&Value::Bool(true)) && marker.len() == 1 => {
                let Some((secret, url, headers)) = encrypted.as_mut() else {
                    return Err(shape(format!("{what}: marked encrypted, but the file has no secrets")));
                };
                let value = match what {
                    "secret" => secret.take(),
                    "url" => url.take(),
                    _ => headers.next().cloned(),
                };
                value.map(Field::Given).ok_or(TransferError::Decrypt)
            }
            _ => Err(shape(format!("{what}: not text or a marker"))),
        }
    };
    let secret = match fields.remove("secret") {
        None | Some(Value::Null) => None,
        Some(value) => Some(unseal(value, "secret")?),
    };
    let mut omitted_url = false;
    if let Some(url) = fields.get_mut("url").filter(|url| url.is_object()) {
        *url = match unseal(url.take(), "url")? {
            Field::Given(text) => Value::String(text),
            Field::Omitted => {
                omitted_url = true;
                Value::String(String::new())
            }
        };
    }
    let mut omitted_headers = Vec::new();
    if let Some(Value::Array(headers)) = fields.get_mut("headers") {
        for (position, header) in headers.iter_mut().enumerate() {
            let Some([Value::String(name), value, switch @ ..]) = header.as_array_mut().map(Vec::as_mut_slice) else {
                return Err(shape(format!("headers[{position}]: not a [name, value] or [name, value, secret] list")));
            };
            if !matches!(switch, [] | [Value::Bool(_)]) {
                return Err(shape(format!("headers[{position}] ({name}): only a secret switch, true or false, may follow the value")));
            }
            let what = format!("headers[{position}] ({name})");
            *value = match unseal(value.take(), &what)? {
                Field::Given(text) => Value::String(text),
                Field::Omitted => {
                    omitted_headers.push(position);
                    Value::String(String::new())
                }
            };
        }
    }
    let record = Value::Object(fields);
    let raw: RawConfig = from_json(&record).map_err(|e| shape(e.to_string()))?;
    // A field this build does not know (from a later one) is refused rather
    // than dropped without a word.
    let known = serde_json::to_value(&raw).expect("settings serialize to JSON");
    if let Some((name, _)) =
        record.as_object().into_iter().flatten().find(|(name, value)| known.get(name.as_str()).is_none() && !value.is_null())
    {
        return Err(shape(format!("{name}: not a webhook field this version of AutoHook knows")));
    }
    Ok(ImportedWebhook { id, raw, secret, omitted_url, omitted_headers })
}
