// Two costs kept as information: AutoHook's store (IndexedDB) vs
// storage.local, and HMAC-SHA256 in Wasm vs WebCrypto.
import { ROUNDS, SECRET, median, n } from './common.mjs';

const STORAGE_KEYS = 1000;
const HMAC_CALLS = 20_000;
const BODY_1KB = JSON.stringify({ message: 'x'.repeat(1000) }).slice(0, 1024);

/**
 * Keys per second, 50 at a time (set, then remove), a logged delivery's JSON
 * text each: through IndexedDB, one transaction per batch, as AutoHook's
 * store (extension/shared/store.js) writes; and through chrome.storage.local,
 * where 1.0.0 kept its records. What keeping records out of content
 * scripts' reach costs.
 */
export async function storageRates({ inWorker }, record) {
  const rounds = await inWorker(`(async () => {
    const text = ${JSON.stringify(JSON.stringify(record))};
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('bench-micro', 1);
      open.onupgradeneeded = () => open.result.createObjectStore('records');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const indexedDb = async (set, remove) => {
      const transaction = db.transaction('records', 'readwrite');
      const records = transaction.objectStore('records');
      for (const [key, value] of Object.entries(set)) records.put(value, key);
      for (const key of remove) records.delete(key);
      await new Promise((resolve, reject) => { transaction.oncomplete = resolve; transaction.onabort = () => reject(transaction.error); });
    };
    const storageLocal = async (set, remove) => {
      await chrome.storage.local.set(set);
      if (remove.length) await chrome.storage.local.remove(remove);
    };
    const time = async (write, tag) => {
      const started = performance.now();
      for (let batch = 0; batch < ${STORAGE_KEYS / 50}; batch++) {
        const keys = Array.from({ length: 50 }, (_, i) => 'bench/' + tag + '/' + (batch * 50 + i));
        await write(Object.fromEntries(keys.map((key) => [key, text])), []);
        await write({}, keys);
      }
      return ${STORAGE_KEYS} / ((performance.now() - started) / 1000);
    };
    const rounds = [];
    for (let round = 0; round < ${ROUNDS}; round++) {
      const order = round % 2 ? ['local', 'idb'] : ['idb', 'local'];
      const r = {};
      for (const side of order) r[side] = await time(side === 'idb' ? indexedDb : storageLocal, side + round);
      rounds.push(r);
    }
    db.close();
    return rounds;
  })()`);
  return { bytes: JSON.stringify(record).length, rounds: rounds.map((r) => ({ ...r, ratio: r.idb / r.local })) };
}

/** Calls per second: Wasm `signPayload` vs awaited WebCrypto `subtle.sign`, same 1 KB body, in one page. */
export async function hmacRates({ page }) {
  const rounds = await page.evaluate(async (secret, body, calls) => {
    const { default: init, signPayload } = await import('../pkg/autohook.js');
    await init({ module_or_path: new URL('../pkg/autohook_bg.wasm', location.href) });
    const bytes = new TextEncoder().encode(body);
    const keyBytes = Uint8Array.from(atob(secret.slice(6)), (c) => c.charCodeAt(0));
    const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const signed = new TextEncoder().encode(`msg_1.1700000000.${body}`);
    const time = async (fn) => { const t = performance.now(); for (let i = 0; i < calls; i++) await fn(); return calls / ((performance.now() - t) / 1000); };
    const rounds = [];
    for (let r = 0; r < 3; r++) {
      rounds.push({
        wasm: await time(() => signPayload(secret, 'msg_1', 1700000000, bytes)),
        webcrypto: await time(() => crypto.subtle.sign('HMAC', key, signed)),
      });
    }
    return rounds;
  }, SECRET, BODY_1KB, HMAC_CALLS);
  return rounds.map((r) => ({ ...r, ratio: r.wasm / r.webcrypto }));
}

export function microSections(storage, hmac) {
  return `## Storage: IndexedDB (AutoHook's store) vs chrome.storage.local (1.0.0's)

${n(STORAGE_KEYS)} keys set then removed in batches of 50, each a logged
delivery's JSON text (${n(storage.bytes)} bytes): through the extension's
IndexedDB, one transaction per batch as \`shared/store.js\` writes, or
through \`chrome.storage.local\`, where 1.0.0 kept its records and Firefox
content scripts can write. Rounds alternate which goes first.

| Round | IndexedDB (keys/s) | storage.local (keys/s) | IndexedDB ÷ storage.local |
|---|---|---|---|
${storage.rounds.map((r, i) => `| ${i + 1} | ${n(r.idb)} | ${n(r.local)} | ${n(r.ratio, 2)}× |`).join('\n')}
| **median** | | | **${n(median(storage.rounds.map((r) => r.ratio)), 2)}×** |

## HMAC-SHA256 of a 1 KB body: Wasm vs WebCrypto (information, not a goal)

${n(HMAC_CALLS)} signatures per side, in a page: Wasm \`signPayload\` (parses
the secret, signs \`id.timestamp.body\`, base64) vs awaited
\`crypto.subtle.sign\` with an imported key.

| Round | Wasm (signatures/s) | WebCrypto (signatures/s) | Wasm ÷ WebCrypto |
|---|---|---|---|
${hmac.map((r, i) => `| ${i + 1} | ${n(r.wasm)} | ${n(r.webcrypto)} | ${n(r.ratio, 2)}× |`).join('\n')}
| **median** | | | **${n(median(hmac.map((r) => r.ratio)), 2)}×** |
`;
}
