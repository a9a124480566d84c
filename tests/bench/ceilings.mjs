// The minimal MV3 extensions the bench holds AutoHook against, written to a
// temporary folder at run time. Each worker marks (User Timing) where its
// cold start goes, as AutoHook's `mark` does, and POSTs to the URL a
// message gives it:
// - bare: fetches, nothing else: the least any extension does (cold start's
//   bare ceiling, and the memory section's baseline);
// - durable: first reads one stored configuration key, writes one record
//   the size of AutoHook's (~1.5 KB) and awaits it: the least a sender that
//   stores before it sends must do (cold start's goal is against it).
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The durable ceiling's stored configuration, seeded once under this key before it is measured. */
export const DURABLE_CONFIG_KEY = 'config';
/** What is seeded: a webhook's settings, as a sender would keep them. */
export const DURABLE_CONFIG = { events: ['error'], headers: { 'content-type': 'application/json' }, secret: 'whsec_bench', ratePerMinute: 60 };

const manifest = (name, permissions = []) => JSON.stringify({
  manifest_version: 3, name, version: '1', permissions,
  background: { service_worker: 'worker.js' }, host_permissions: ['http://127.0.0.1/*'],
});
const page = (name) => `<!doctype html><title>${name}</title>`;

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
      // The record: the event, its webhook's configuration and room for the
      // attempts, padded to the size of a record AutoHook stores.
      'worker.js': `performance.mark('script');
const mark = (name) => performance.getEntriesByName(name).length || performance.mark(name);
chrome.runtime.onMessage.addListener(({ url, body }, sender, respond) => {
  (async () => {
    const { ${DURABLE_CONFIG_KEY}: config } = await chrome.storage.local.get('${DURABLE_CONFIG_KEY}');
    mark('read');
    const id = crypto.randomUUID();
    const record = JSON.stringify({ id, url, body, config, state: 'pending', attempts: [] });
    await chrome.storage.local.set({ ['record/' + id]: record.padEnd(1500) });
    mark('written');
    const response = await fetch(url, { method: 'POST', body, headers: config.headers });
    respond(response.status);
  })().catch((e) => respond(String(e)));
  return true;
});`,
      'page.html': page('Durable ceiling'),
    },
  },
};

/** Writes ceiling `name` to a new temporary folder; returns the folder and a function removing it. */
export function writeCeiling(name) {
  const dir = mkdtempSync(join(tmpdir(), `autohook-${name}-ceiling-`));
  for (const [file, text] of Object.entries(CEILINGS[name].files)) writeFileSync(join(dir, file), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
