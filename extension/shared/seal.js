// Sealing at rest for stored values that hold credentials (the core names
// them: webhook secrets, credential headers, URLs that are tokens). Chrome
// can keep content scripts out of storage.local; Firefox cannot, so what a
// content script could read there must be ciphertext. AES-GCM under a key
// that is generated once, cannot be exported, and lives in this extension's
// IndexedDB, which no web page or content script can open.
const PREFIX = 'sealed:v1:';
const DATABASE = 'autohook';
const STORE = 'keys';
const KEY_ID = 'storage';

function request(operation) {
  return new Promise((resolve, reject) => {
    operation.onsuccess = () => resolve(operation.result);
    operation.onerror = () => reject(operation.error);
  });
}

async function loadOrCreateKey() {
  const open = indexedDB.open(DATABASE, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  const db = await request(open);
  const found = await request(db.transaction(STORE).objectStore(STORE).get(KEY_ID));
  if (found) return found;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  // `add` fails if another context stored a key first; then use that one.
  await request(db.transaction(STORE, 'readwrite').objectStore(STORE).add(key, KEY_ID)).catch(() => {});
  return request(db.transaction(STORE).objectStore(STORE).get(KEY_ID));
}

let key;
const storageKey = () => (key ??= loadOrCreateKey().catch((error) => ((key = undefined), Promise.reject(error))));

/** Starts loading the key (creating it the first time), to overlap IndexedDB with other reads. */
export function prepareKey() {
  storageKey().catch(() => {});
}

const toBase64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** `text` encrypted, as `sealed:v1:<base64 of iv and ciphertext>`. */
export async function seal(text) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await storageKey(), new TextEncoder().encode(text));
  return PREFIX + toBase64(new Uint8Array([...iv, ...new Uint8Array(sealed)]));
}

/**
 * A stored value as text: a sealed one decrypted, anything else as it is.
 * One that does not decrypt (damaged, or sealed under a key that is gone)
 * stays as found, and the core sets it aside as unreadable. A key that
 * cannot be loaded right now (IndexedDB failing) rejects instead: the start
 * fails and is tried again, rather than setting every webhook aside.
 */
export async function unseal(value) {
  if (typeof value !== 'string' || !value.startsWith(PREFIX)) return value;
  const key = await storageKey();
  try {
    const bytes = fromBase64(value.slice(PREFIX.length));
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(0, 12) }, key, bytes.slice(12));
    return new TextDecoder().decode(plain);
  } catch (error) {
    console.error('AutoHook: a sealed value does not decrypt', error);
    return value;
  }
}
