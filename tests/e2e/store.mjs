// The background's store (extension/shared/store.js) as the tests reach it:
// from one of the extension's own pages, which share its origin and so its
// IndexedDB. Nothing else can open it; the trust tests prove that part.

/**
 * Runs in an extension page. `read`: every record as stored, the log's too. `write`: sets
 * `set`, seals and sets `sealed` (as the background would), removes
 * `remove`. `legacy`: leaves a 1.0.0 profile, its records in storage.local
 * (`sealed` sealed as 1.0.0 did, unbound to their name), not yet moved.
 * `loseKey`: replaces the sealing key with a new one, as if it were lost.
 * `downgrade`: rebuilds the database as version 2 left it, before the log had
 * a store of its own: the keys and records as they are, and each logged
 * delivery under its own `delivery/<id>` record.
 */
async function inExtensionPage(command, set = {}, sealed = {}, remove = []) {
  const ext = globalThis.browser ?? globalThis.chrome;
  const [store, sealing] = await Promise.all([import(ext.runtime.getURL('shared/store.js')), import(ext.runtime.getURL('shared/seal.js'))]);
  if (command === 'read') return { ...(await store.readRecords((name, value) => value)), ...(await store.readLog()) };
  if (command === 'write') {
    for (const [name, text] of Object.entries(sealed)) set[name] = await sealing.seal(name, text);
    return store.writeRecords(set, remove);
  }
  if (command === 'downgrade') return downgrade();
  const db = await store.database();
  if (command === 'loseKey') {
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    return store.request(db.transaction(store.KEYS, 'readwrite').objectStore(store.KEYS).put(key, 'storage'));
  }
  const key = await store.request(db.transaction(store.KEYS).objectStore(store.KEYS).get('storage'));
  for (const [name, text] of Object.entries(sealed)) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const bytes = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(text)));
    set[name] = 'sealed:v1:' + btoa(String.fromCharCode(...iv, ...bytes));
  }
  await ext.storage.local.set(set);
  const transaction = db.transaction([store.KEYS, 'records'], 'readwrite');
  transaction.objectStore(store.KEYS).delete('storage.local moved');
  transaction.objectStore('records').clear();
  await new Promise((resolve) => (transaction.oncomplete = resolve));
}

/** Runs in an extension page: see `inExtensionPage`'s `downgrade`. */
async function downgrade() {
  const request = (operation) => new Promise((resolve, reject) => ((operation.onsuccess = () => resolve(operation.result)), (operation.onerror = () => reject(operation.error))));
  const all = async (transaction, name) => {
    const store = transaction.objectStore(name);
    const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
    return keys.map((key, i) => [key, values[i]]);
  };
  const current = await request(indexedDB.open('autohook'));
  const read = current.transaction(['keys', 'records', 'log']);
  const [keys, records, pages] = await Promise.all(['keys', 'records', 'log'].map((name) => all(read, name)));
  current.close();
  const logged = pages.flatMap(([, page]) => JSON.parse(page)).map((delivery) => [`delivery/${delivery.id}`, JSON.stringify(delivery)]);
  // The background lets go of its copy when asked (onversionchange in store.js).
  await request(indexedDB.deleteDatabase('autohook'));
  const opening = indexedDB.open('autohook', 2);
  opening.onupgradeneeded = () => ['keys', 'records'].forEach((name) => opening.result.createObjectStore(name));
  const old = await request(opening);
  const write = old.transaction(['keys', 'records'], 'readwrite');
  for (const [key, value] of keys) write.objectStore('keys').put(value, key);
  for (const [key, value] of [...records, ...logged]) write.objectStore('records').put(value, key);
  await new Promise((resolve) => (write.oncomplete = resolve));
  old.close();
  return logged.map(([key]) => key);
}

/** The store through a puppeteer extension page. */
export const storeIn = (page) => ({
  read: () => page.evaluate(inExtensionPage, 'read'),
  write: (set, { sealed, remove } = {}) => page.evaluate(inExtensionPage, 'write', set, sealed, remove),
  legacy: (set, sealed) => page.evaluate(inExtensionPage, 'legacy', set, sealed),
  loseKey: () => page.evaluate(inExtensionPage, 'loseKey'),
  downgrade: () => page.evaluate(downgrade),
});

/** The store through `run` (fixtures.mjs's `receiverAndFirefox`), in its extension page. */
export const storeInFirefox = (run) => {
  const call = (...args) => run(`return (${inExtensionPage})(...arguments[0]);`, args);
  return {
    read: () => call('read'),
    write: (set, { sealed = {}, remove = [] } = {}) => call('write', set, sealed, remove),
    legacy: (set, sealed) => call('legacy', set, sealed),
  };
};
