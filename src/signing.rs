//! HMAC-SHA256 signatures over the exact bytes sent. Pure functions.
//!
//! Two schemes go on every signed request:
//! - Standard Webhooks: `webhook-signature: v1,<base64>` over
//!   `{id}.{timestamp}.{body}`, with `webhook-id` and `webhook-timestamp`.
//! - `X-AutoHook-Signature: sha256=<hex>` over the body alone, the style
//!   GitHub-like receivers (`X-Hub-Signature-256`) already verify.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of secrets in the Standard Webhooks format.
pub const SECRET_PREFIX: &str = "whsec_";

/// Why a secret was refused.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum SecretError {
    /// A `whsec_` secret whose remainder is not base64.
    #[error("starts with whsec_ but the rest is not valid base64")]
    BadBase64,
    /// Nothing to sign with.
    #[error("must not be empty")]
    Empty,
}

/// Key bytes for signing. Built from the text the user pasted or generated;
/// never printed (its `Debug` is redacted).
#[derive(Clone)]
pub struct SecretKey {
    bytes: Vec<u8>,
    /// HMAC with the key already mixed in: cloned per signature rather than
    /// hashing the key's pads again for each of the two per request. Boxed:
    /// its state is larger than the rest of a webhook's settings.
    keyed: Box<HmacSha256>,
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &SecretKey) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for SecretKey {}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    /// `whsec_<base64>` decodes to its bytes; any other text is used as its
    /// UTF-8 bytes, which is what receivers of the other guides expect.
    pub fn parse(text: &str) -> Result<SecretKey, SecretError> {
        if text.is_empty() {
            return Err(SecretError::Empty);
        }
        match text.strip_prefix(SECRET_PREFIX) {
            Some(encoded) => {
                let bytes = BASE64.decode(encoded).map_err(|_| SecretError::BadBase64)?;
                if bytes.is_empty() {
                    return Err(SecretError::Empty);
                }
                Ok(SecretKey::new(bytes))
            }
            None => Ok(SecretKey::new(text.as_bytes().to_vec())),
        }
    }

    fn new(bytes: Vec<u8>) -> SecretKey {
        // HMAC accepts keys of any length, so this cannot fail.
        let keyed = HmacSha256::new_from_slice(&bytes).expect("HMAC takes keys of any length");
        SecretKey { bytes, keyed: Box::new(keyed) }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::clone(&self.keyed)
    }
}

/// A webhook's signing secret: the text the user gave, kept to store and
/// reveal, and the key parsed from it once, so signing never parses.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    text: String,
    key: SecretKey,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    /// The secret `text` stands for (see [`SecretKey::parse`]).
    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        Ok(Secret { key: SecretKey::parse(text)?, text: text.to_string() })
    }

    /// The text as the user gave it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The key to sign with.
    pub fn key(&self) -> &SecretKey {
        &self.key
    }
}

/// A new secret in the Standard Webhooks format from 32 random bytes.
pub fn generate_secret(random: &[u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", BASE64.encode(random))
}

/// `v1,` and a SHA-256 digest in padded base64.
const STANDARD_SIGNATURE_CHARS: usize = 3 + 44;

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
pub fn standard_signature(key: &SecretKey, id: &str, timestamp: u64, body: &[u8]) -> String {
    let mut mac = key.mac();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(itoa::Buffer::new().format(timestamp).as_bytes());
    mac.update(b".");
    mac.update(body);
    let mut signature = String::with_capacity(STANDARD_SIGNATURE_CHARS);
    signature.push_str("v1,");
    BASE64.encode_string(mac.finalize().into_bytes(), &mut signature);
    signature
}

/// `sha256=<hex HMAC-SHA256 of body>`.
pub fn hex_signature(key: &SecretKey, body: &[u8]) -> String {
    let mut mac = key.mac();
    mac.update(body);
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut signature = String::with_capacity(71);
    signature.push_str("sha256=");
    for byte in mac.finalize().into_bytes() {
        signature.push(char::from(DIGITS[usize::from(byte >> 4)]));
        signature.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    signature
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_test_vector() {
        let key = SecretKey::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        assert_eq!(
            standard_signature(&key, "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1_649_367_553, body),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn hex_signature_matches_rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe".
        let key = SecretKey::parse("Jefe").unwrap();
        assert_eq!(
            hex_signature(&key, b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn plain_secrets_are_their_utf8_bytes() {
        assert_eq!(SecretKey::parse("päss").unwrap(), SecretKey::new("päss".as_bytes().to_vec()));
    }

    #[test]
    fn refuses_broken_and_empty_secrets() {
        assert_eq!(SecretKey::parse("whsec_***"), Err(SecretError::BadBase64));
        assert_eq!(SecretKey::parse("whsec_"), Err(SecretError::Empty));
        assert_eq!(SecretKey::parse(""), Err(SecretError::Empty));
    }

    #[test]
    fn generated_secrets_parse_back_to_their_bytes() {
        let secret = generate_secret(&[7; 32]);
        assert!(secret.starts_with("whsec_"));
        assert_eq!(SecretKey::parse(&secret).unwrap(), SecretKey::new(vec![7; 32]));
    }

    #[test]
    fn debug_output_hides_the_key() {
        let key = SecretKey::parse("hunter2").unwrap();
        assert!(!format!("{key:?}").contains("hunter2"));
        let secret = Secret::parse("hunter2").unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"));
    }

    #[test]
    fn a_secret_keeps_its_text_and_the_key_parsed_from_it() {
        let secret = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        assert_eq!(secret.as_str(), "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
        assert_eq!(secret.key(), &SecretKey::parse(secret.as_str()).unwrap());
        assert_eq!(Secret::parse("whsec_***"), Err(SecretError::BadBase64));
    }
}
