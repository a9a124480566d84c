// Sealing at rest for the records that hold credentials or the campaign
// (the core names them: `Key::is_sealed`). AES-GCM under a key generated
// once, that cannot be exported, kept beside the records (store.js). Each
// value is bound to its record's name (the AES-GCM additional data), so a
// sealed value copied under another name does not open.
import { KEYS, database, request } from './store.js';

const PREFIX = 'sealed:v2:';
// Both prefixes are as long: `open` cuts either.
// 1.0.0's values, sealed without the record's name: opened only while they
// are moved out of storage.local, and sealed again bound to their name.
const LEGACY_PREFIX = 'sealed:v1:';
const KEY_ID = 'storage';

async function loadOrCreateKey() {
  const db = await database();
  const found = await request(db.transaction(KEYS).objectStore(KEYS).get(KEY_ID));
  if (found) return found;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  // `add` fails with ConstraintError if another context stored a key
  // first; then use that one. Any other failure fails the start: a missing
  // key must never read as a lost one, which sets every sealed record aside.
  await request(db.transaction(KEYS, 'readwrite').objectStore(KEYS).add(key, KEY_ID)).catch((error) => {
    if (error?.name !== 'ConstraintError') throw error;
  });
  const stored = await request(db.transaction(KEYS).objectStore(KEYS).get(KEY_ID));
  if (!stored) throw new Error('IndexedDB: the sealing key was not stored');
  return stored;
}

let key;
const storageKey = () => (key ??= loadOrCreateKey().catch((error) => ((key = undefined), Promise.reject(error))));

/** Starts loading the key (creating it the first time), to overlap IndexedDB with other reads. */
export function prepareKey() {
  storageKey().catch(() => {});
}

const toBase64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const bound = (name) => (name === undefined ? {} : { additionalData: new TextEncoder().encode(name) });

/** `text` encrypted and bound to the record `name`, as `sealed:v2:<base64 of iv and ciphertext>`. */
export async function seal(name, text) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, ...bound(name) }, await storageKey(), new TextEncoder().encode(text));
  return PREFIX + toBase64(new Uint8Array([...iv, ...new Uint8Array(sealed)]));
}

/** Whether a stored value is sealed (opened or not). */
export const isSealed = (value) => typeof value === 'string' && (value.startsWith(PREFIX) || value.startsWith(LEGACY_PREFIX));

/**
 * The text sealed in `value` for the record `name`, or null if it does not
 * open: damaged, sealed under a key that is gone, sealed for another
 * record, or a 1.0.0 value still unbound. A key that cannot be loaded right
 * now (IndexedDB failing) rejects instead: the start fails and is tried
 * again, rather than setting every sealed record aside.
 */
export const unseal = (name, value) => (value.startsWith(PREFIX) ? open(value, name) : null);

/** `value`'s text, decrypted bound to `name` (undefined: unbound, 1.0.0's); null if it does not open. */
async function open(value, name) {
  const key = await storageKey();
  try {
    const bytes = fromBase64(value.slice(PREFIX.length));
    const params = { name: 'AES-GCM', iv: bytes.slice(0, 12), ...bound(name) };
    return new TextDecoder().decode(await crypto.subtle.decrypt(params, key, bytes.slice(12)));
  } catch (error) {
    console.error(`AutoHook: a sealed value (${name ?? 'from 1.0.0'}) does not open`, error);
    return null;
  }
}

/**
 * A 1.0.0 value on its way out of storage.local: sealed again bound to its
 * name if it was sealed and opens, otherwise as it was (a v1 value that
 * stays sealed is set aside by the core, as one that does not open).
 */
export async function resealLegacy(name, value) {
  if (typeof value !== 'string' || !value.startsWith(LEGACY_PREFIX)) return value;
  const text = await open(value, undefined);
  return text === null ? value : seal(name, text);
}
