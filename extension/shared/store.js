// Where the background keeps AutoHook's state: the extension origin's
// IndexedDB, which no web page, content script or other extension can open.
// storage.local is not used for state: in Firefox, content scripts can read
// and write it (Chrome can restrict it to trusted contexts; Firefox cannot),
// and a content script that wrote a delivery record there was sent signed,
// with the webhook's credentials. One database holds the records and the
// sealing key (seal.js), so one is never kept while the other is lost.
//
// Every write is one transaction: its sets and removes land together or
// not at all. The log (pages of finished deliveries, which the core names
// `log/<page>`) has its own object store: a start reads `records` alone, and
// the log when the core asks for it.
import { ext } from './ext.js';

const DATABASE = 'autohook';
// 1: the sealing key alone (1.0.0); 2: AutoHook's records too; 3: the log
// apart.
const VERSION = 3;
export const KEYS = 'keys';
const RECORDS = 'records';
const LOG = 'log';
// In `keys`: 1.0.0's storage.local was moved into `records` (true), and
// has been cleared since ('cleared').
const MOVED = 'storage.local moved';

/** Resolves to `operation`'s result. */
export function request(operation) {
  return new Promise((resolve, reject) => {
    operation.onsuccess = () => resolve(operation.result);
    operation.onerror = () => reject(operation.error);
  });
}

/** Resolves once `transaction` has committed; rejects if it aborts. */
function committed(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB: the transaction was aborted'));
  });
}

/**
 * `error` with what the user can do about it, where that is known: Firefox
 * gives extensions no IndexedDB when it is set to never remember history
 * (permanent private browsing), and `storage.local` is no place for state.
 */
function explained(error) {
  if (error?.name !== 'InvalidStateError') return error;
  return new Error('AutoHook cannot keep its settings while Firefox is set to never remember history (private browsing gives extensions no IndexedDB): set History to "Remember history" or "Use custom settings" to use AutoHook');
}

let opened;
/** The database, opened once per context (and again after it is closed). */
export function database() {
  opened ??= new Promise((resolve, reject) => {
    let open;
    try {
      open = indexedDB.open(DATABASE, VERSION);
    } catch (error) {
      return reject(explained(error));
    }
    open.onupgradeneeded = () => {
      for (const store of [KEYS, RECORDS, LOG]) {
        if (!open.result.objectStoreNames.contains(store)) open.result.createObjectStore(store);
      }
    };
    open.onsuccess = () => {
      const db = open.result;
      // A newer version (an update installing) asks this one to let go.
      db.onversionchange = () => (db.close(), (opened = undefined));
      db.onclose = () => (opened = undefined);
      resolve(db);
    };
    open.onerror = () => reject(explained(open.error));
    // Another context holds an older version open: fail this start (the
    // next request tries again) rather than wait with every caller.
    open.onblocked = () => reject(new Error('IndexedDB: the upgrade is blocked by another open copy of the database'));
  });
  return opened.catch((error) => ((opened = undefined), Promise.reject(error)));
}

/**
 * Every record, as stored, keyed by its name. The first read after an
 * update from 1.0.0 first moves storage.local's records here (`moveLegacy`).
 */
export async function readRecords(moveLegacy) {
  const db = await database();
  const transaction = db.transaction([KEYS, RECORDS]);
  const [moved, records] = await Promise.all([request(transaction.objectStore(KEYS).get(MOVED)), everything(transaction.objectStore(RECORDS))]);
  if (!moved) {
    await moveFromStorageLocal(db, moveLegacy);
    return readRecords(moveLegacy);
  }
  if (moved !== 'cleared') clearStorageLocal(db);
  return records;
}

/** The log's records, keyed by their name. */
export async function readLog() {
  return everything((await database()).transaction(LOG).objectStore(LOG));
}

/** Every record in `store`, keyed by its name. */
async function everything(store) {
  const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
  return Object.fromEntries(keys.map((key, i) => [key, values[i]]));
}

/**
 * Stores `set` (name → value) and deletes the names in `remove`, and the
 * same in the log's store for `logSet` and `logRemove`, in one transaction:
 * a delivery moved to the log is never in both or neither.
 */
export async function writeRecords(set, remove, logSet = {}, logRemove = []) {
  const db = await database();
  const transaction = db.transaction([RECORDS, LOG], 'readwrite');
  for (const [name, puts, deletes] of [[RECORDS, set, remove], [LOG, logSet, logRemove]]) {
    const store = transaction.objectStore(name);
    for (const [key, value] of Object.entries(puts)) store.put(value, key);
    for (const key of deletes) store.delete(key);
  }
  await committed(transaction);
}

/**
 * 1.0.0 kept its records in storage.local. They are copied here once, each
 * through `convert` (which re-seals a sealed value bound to its key), then
 * storage.local is cleared. The check that nothing was moved yet and the
 * copy share one transaction, so a second start racing this one cannot copy
 * old records over newer ones.
 */
async function moveFromStorageLocal(db, convert) {
  const legacy = await ext.storage.local.get(null);
  const converted = await Promise.all(Object.entries(legacy).map(async ([key, value]) => [key, await convert(key, value)]));
  // Strict: on disk before storage.local, the only other copy, is cleared.
  const transaction = db.transaction([KEYS, RECORDS], 'readwrite', { durability: 'strict' });
  const keys = transaction.objectStore(KEYS);
  keys.get(MOVED).onsuccess = (event) => {
    if (event.target.result) return;
    const records = transaction.objectStore(RECORDS);
    for (const [key, value] of converted) records.put(value, key);
    keys.put(true, MOVED);
  };
  await committed(transaction);
}

/**
 * Clears what 1.0.0 left in storage.local (a content script in Firefox can
 * read it), then notes it: a start after a failed or interrupted clear
 * tries again. Not awaited by the start: nothing waits on it.
 */
async function clearStorageLocal(db) {
  try {
    await ext.storage.local.clear();
    const transaction = db.transaction(KEYS, 'readwrite');
    transaction.objectStore(KEYS).put('cleared', MOVED);
    await committed(transaction);
  } catch (error) {
    console.warn('AutoHook: clearing storage.local after the move', error);
  }
}
