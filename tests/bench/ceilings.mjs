// The minimal MV3 extensions the bench holds AutoHook against, written to a
// temporary folder at run time. Each worker marks (User Timing) where its
// cold start goes, as AutoHook's `mark` does, and POSTs to the URL a
// message gives it:
// - bare: fetches, nothing else: the least any extension does (cold start's
//   bare ceiling, and the memory section's baseline);
// - durable: first reads one stored configuration key, writes one record
//   the size of AutoHook's (~1.5 KB) and awaits it: the least a sender that
//   stores before it sends must do (cold start's goal is against it);
// - wasm: the durable one that also compiles and instantiates AutoHook's
//   own module (calling nothing in it) while it reads the key: the least a
//   sender whose core is that module must do (cold start's floor);
// - design: the wasm one that, as it starts, also does what AutoHook's
//   design has every start do in the browser (memory's floor, idle).
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST } from '../e2e/browsers.mjs';

/** The durable ceiling's stored configuration, seeded once under this key before it is measured. */
export const DURABLE_CONFIG_KEY = 'config';
/** What is seeded: a webhook's settings, as a sender would keep them. */
export const DURABLE_CONFIG = { events: ['error'], headers: { 'content-type': 'application/json' }, secret: 'whsec_bench', ratePerMinute: 60 };

const manifest = (name, permissions = [], more = {}) => JSON.stringify({
  manifest_version: 3, name, version: '1', permissions,
  background: { service_worker: 'worker.js' }, host_permissions: ['http://127.0.0.1/*'], ...more,
});
const page = (name) => `<!doctype html><title>${name}</title>`;
const AUTOHOOK_PERMISSIONS = JSON.parse(readFileSync(new URL('../../extension/manifest.json', import.meta.url), 'utf8')).permissions;
// AutoHook's policy: MV3 compiles Wasm only with 'wasm-unsafe-eval'.
const WASM_POLICY = { content_security_policy: { extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'" } };
// The durable worker, whose handler also awaits `before` (a promise's
// name), if given, beside the key's read. The record: the event, its
// webhook's configuration and room for the attempts, padded to the size of
// a record AutoHook stores.
const durableWorker = (before) => `performance.mark('script');
const mark = (name) => performance.getEntriesByName(name).length || performance.mark(name);
chrome.runtime.onMessage.addListener(({ url, body }, sender, respond) => {
  (async () => {
    const read = chrome.storage.local.get('${DURABLE_CONFIG_KEY}');
    const { ${DURABLE_CONFIG_KEY}: config } = ${before ? `(await Promise.all([read, ${before}]))[0]` : 'await read'};
    mark('read');
    const id = crypto.randomUUID();
    const record = JSON.stringify({ id, url, body, config, state: 'pending', attempts: [] });
    await chrome.storage.local.set({ ['record/' + id]: record.padEnd(1500) });
    mark('written');
    const response = await fetch(url, { method: 'POST', body, headers: config.headers });
    respond(response.status);
  })().catch((e) => respond(String(e)));
  return true;
});`;

/**
 * Each ceiling's files, and its cold start's phases as coldstart.mjs reads
 * them: a name and the mark ending it ('origin': the worker's time origin,
 * 'wire': the receiver), each from the end of the one before.
 */
export const CEILINGS = {
  bare: {
    phases: [['up', 'origin'], ['script', 'script'], ['on the wire', 'wire']],
    files: {
      'manifest.json': manifest('Bare ceiling'),
      'worker.js': `performance.mark('script');
chrome.runtime.onMessage.addListener(({ url, body }, sender, respond) => {
  fetch(url, { method: 'POST', body }).then((r) => respond(r.status), (e) => respond(String(e)));
  return true;
});`,
      'page.html': page('Bare ceiling'),
    },
  },
  durable: {
    phases: [['up', 'origin'], ['script', 'script'], ['key read', 'read'], ['record written', 'written'], ['on the wire', 'wire']],
    files: {
      'manifest.json': manifest('Durable ceiling', ['storage']),
      'worker.js': durableWorker(),
      'page.html': page('Durable ceiling'),
    },
  },
  wasm: {
    phases: [['up', 'origin'], ['script', 'script'], ['Wasm ready', 'wasm'], ['key read', 'read'], ['record written', 'written'], ['on the wire', 'wire']],
    files: {
      'manifest.json': manifest('Wasm floor', ['storage'], WASM_POLICY),
      // Compiled as AutoHook's is (streaming, from the extension's own
      // file), each import a function that is never called.
      'worker.js': `const ready = WebAssembly.compileStreaming(fetch('autohook_bg.wasm'))
  .then((module) => {
    const imports = {};
    for (const { module: from, name } of WebAssembly.Module.imports(module)) (imports[from] ??= {})[name] = () => {};
    return WebAssembly.instantiate(module, imports);
  })
  // Kept, as AutoHook keeps its instance: its memory and code stay.
  .then((instance) => ((globalThis.instance = instance), mark('wasm')));
${durableWorker('ready')}`,
      'page.html': page('Wasm floor'),
    },
    copies: { 'autohook_bg.wasm': `${DIST}chrome/pkg/autohook_bg.wasm` },
  },
};
// As it starts, beside the module: a record read from and written to
// IndexedDB (AutoHook's store: Firefox's content scripts can read
// storage.local), a sealed one opened with AES-GCM (secrets are stored
// sealed), and the session flag, the wake-up alarm and the install type
// AutoHook's start reads or sets; marked `design` once all are done. With
// AutoHook's own permissions.
CEILINGS.design = {
  phases: CEILINGS.wasm.phases,
  files: {
    ...CEILINGS.wasm.files,
    'manifest.json': manifest('Design floor', AUTOHOOK_PERMISSIONS, WASM_POLICY),
    'worker.js': `${CEILINGS.wasm.files['worker.js']}
const stored = new Promise((resolve, reject) => {
  const open = indexedDB.open('records', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('records');
  open.onsuccess = () => resolve(open.result);
  open.onerror = () => reject(open.error);
}).then((db) => new Promise((resolve) => {
  const transaction = db.transaction('records', 'readwrite');
  transaction.objectStore('records').put('x'.repeat(1500), 'record');
  transaction.objectStore('records').getAll();
  transaction.oncomplete = resolve;
}));
const opened = (async () => {
  const key = await crypto.subtle.importKey('raw', new Uint8Array(32), 'AES-GCM', false, ['encrypt', 'decrypt']);
  const iv = new Uint8Array(12);
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new Uint8Array(1500));
  await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, sealed);
})();
const flags = Promise.all([
  chrome.storage.session.get('browserSession'),
  chrome.alarms.create('wake', { when: Date.now() + 60_000 }),
  chrome.management?.getSelf?.(),
]);
Promise.all([ready, stored, opened, flags]).then(() => mark('design'));`,
    'page.html': page('Design floor'),
  },
  copies: CEILINGS.wasm.copies,
};

/** Writes ceiling `name` to a new temporary folder; returns the folder and a function removing it. */
export function writeCeiling(name) {
  const dir = mkdtempSync(join(tmpdir(), `autohook-${name}-ceiling-`));
  for (const [file, text] of Object.entries(CEILINGS[name].files)) writeFileSync(join(dir, file), text);
  for (const [file, from] of Object.entries(CEILINGS[name].copies ?? {})) copyFileSync(from, join(dir, file));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
