//! Unique ids without a random source inside the core: the adapter seeds
//! [`IdGen`] with fresh random bytes at start-up; tests seed it with
//! constants and get the same ids every run.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A map keyed by ids (of deliveries, of webhooks), hashed with [`IdHasher`].
pub type IdMap<V> = HashMap<String, V, BuildHasherDefault<IdHasher>>;
/// A set of ids, hashed with [`IdHasher`].
pub type IdSet = HashSet<String, BuildHasherDefault<IdHasher>>;

/// FNV-1a, for the engine's maps keyed by ids: a few instructions a byte,
/// where std's SipHash took about 235 an id, and an id is looked up several
/// times per event (1.5 % of a burst's instructions). SipHash resists keys
/// chosen to collide; these keys are ids the engine made, read back from
/// the extension's own storage.
pub struct IdHasher(u64);

impl Default for IdHasher {
    fn default() -> IdHasher {
        IdHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The characters after an id's prefix: 128 bits in unpadded base64.
const ID_CHARS: usize = 22;

/// Makes ids like `msg_2x8…` from a seed and a counter.
#[derive(Clone, Debug)]
pub struct IdGen {
    seed: [u8; 16],
    counter: u64,
    /// The second half of the last digest, for the next id: each digest
    /// makes two (an event and its delivery take one each), which saved
    /// 2 % of a burst's instructions (`tests/bench/burst.rs`).
    spare: Option<[u8; 16]>,
}

impl IdGen {
    /// A generator whose ids differ from every other seed's.
    pub fn new(seed: [u8; 16]) -> IdGen {
        IdGen { seed, counter: 0, spare: None }
    }

    /// The next id, `{prefix}_` and [`ID_CHARS`] URL-safe characters.
    pub fn next(&mut self, prefix: &str) -> String {
        let bits = self.spare.take().unwrap_or_else(|| {
            self.counter += 1;
            let digest = Sha256::new().chain_update(self.seed).chain_update(self.counter.to_le_bytes()).finalize();
            let (first, second) = digest.split_at(16);
            self.spare = second.try_into().ok();
            first.try_into().expect("a SHA-256 digest is 32 bytes")
        });
        // Written in place: through `format!` the id cost twice as much.
        let mut id = String::with_capacity(prefix.len() + 1 + ID_CHARS);
        id.push_str(prefix);
        id.push('_');
        URL_SAFE_NO_PAD.encode_string(bits, &mut id);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_per_call_and_per_seed() {
        let mut a = IdGen::new([1; 16]);
        let mut b = IdGen::new([2; 16]);
        let first = a.next("msg");
        assert!(first.starts_with("msg_") && first.len() == 26);
        assert_ne!(first, a.next("msg"));
        assert_ne!(first, b.next("msg"));
        assert_eq!(first, IdGen::new([1; 16]).next("msg"));
        let many: HashSet<String> = (0..1000).map(|_| a.next("dlv")).collect();
        assert_eq!(many.len(), 1000, "both halves of every digest are ids of their own");
    }

    #[test]
    fn the_id_hasher_is_fnv_1a() {
        let hash = |bytes: &[u8]| {
            let mut hasher = IdHasher::default();
            hasher.write(bytes);
            hasher.finish()
        };
        // The reference values of FNV-1a, 64 bits.
        assert_eq!(hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
