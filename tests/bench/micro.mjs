// Two costs kept as information: a stored record as JSON text vs as an
// object, and HMAC-SHA256 in Wasm vs WebCrypto.
import { ROUNDS, SECRET, median, n } from './common.mjs';

const STORAGE_KEYS = 1000;
const HMAC_CALLS = 20_000;
const BODY_1KB = JSON.stringify({ message: 'x'.repeat(1000) }).slice(0, 1024);

/** Keys per second through chrome.storage.local (set, then remove), 50 at a time, a logged delivery as text or as the object. */
export async function storageRates({ inWorker }, record) {
  const rounds = await inWorker(`(async () => {
    const record = ${JSON.stringify(record)};
    const text = JSON.stringify(record);
    const time = async (value, tag) => {
      const started = performance.now();
      for (let batch = 0; batch < ${STORAGE_KEYS / 50}; batch++) {
        const keys = Array.from({ length: 50 }, (_, i) => 'bench/' + tag + '/' + (batch * 50 + i));
        await chrome.storage.local.set(Object.fromEntries(keys.map((key) => [key, value])));
        await chrome.storage.local.remove(keys);
      }
      return ${STORAGE_KEYS} / ((performance.now() - started) / 1000);
    };
    const rounds = [];
    for (let round = 0; round < ${ROUNDS}; round++) rounds.push({ text: await time(text, 't' + round), object: await time(record, 'o' + round) });
    return rounds;
  })()`);
  return { bytes: JSON.stringify(record).length, rounds: rounds.map((r) => ({ ...r, ratio: r.text / r.object })) };
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
  return `## Storage: a delivery record as JSON text vs as an object

${n(STORAGE_KEYS)} keys set then removed through \`chrome.storage.local\` in
batches of 50, each a logged delivery (${n(storage.bytes)} bytes of JSON)
stored as its JSON text, as AutoHook stores it, or as the object.

| Round | JSON text (keys/s) | Object (keys/s) | Text ÷ object |
|---|---|---|---|
${storage.rounds.map((r, i) => `| ${i + 1} | ${n(r.text)} | ${n(r.object)} | ${n(r.ratio, 2)}× |`).join('\n')}
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
