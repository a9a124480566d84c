// Cold start for `./build.sh bench`: from a page's message to the request on
// the wire with the service worker stopped, AutoHook against a ceiling: a
// minimal MV3 extension, written here at run time, whose worker only fetches
// when a message arrives. Both are measured the same way in the same
// Chromium, rounds alternating the sides. AutoHook's User Timing marks
// (`mark` in extension/shared/host.js) break its stopped time down.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../e2e/api.mjs';
import { SECRET, median, n } from './common.mjs';
const CEILING = {
  'manifest.json': JSON.stringify({
    manifest_version: 3, name: 'Cold-start ceiling', version: '1',
    background: { service_worker: 'worker.js' }, host_permissions: ['http://127.0.0.1/*'],
  }),
  'worker.js': `performance.mark('script');
chrome.runtime.onMessage.addListener(({ url, body }, sender, respond) => {
  fetch(url, { method: 'POST', body }).then((r) => respond(r.status), (e) => respond(String(e)));
  return true;
});`,
  'page.html': '<!doctype html><title>Cold-start ceiling</title>',
};
// AutoHook's stopped time: the critical path, each phase from the end of the
// one before to a mark ('wire': the receiver; 'ready': loaded and read), and
// the storage read's own phases, which may run alongside.
const PHASES = [
  ['Worker up', 'origin'], ['Scripts run', 'autohook.script'], ['Wasm ready', 'autohook.wasm'],
  ['Permissions', 'autohook.loaded'], ['Waiting for storage', 'ready'],
  ['Texts to Rust', 'autohook.texts'], ['Records decoded', 'autohook.decoded'], ['Engine restored', 'autohook.restored'],
  ['Session read, first drive', 'autohook.started'], ['Record stored', 'autohook.saved'], ['Fetch called', 'autohook.send'], ['On the wire', 'wire'],
];
const READ = [['IndexedDB read', 'autohook.read', 'autohook.stored'], ['Unsealed', 'autohook.stored', 'autohook.unsealed']];

/** Sends `message` from `page` to its extension's worker; resolves to when (ms since the epoch, the page's clock). */
const send = (page, message) => page.evaluate((m) => {
  const at = performance.timeOrigin + performance.now();
  chrome.runtime.sendMessage(m).catch(() => {});
  return at;
}, message);

/**
 * `rounds` rounds after a warm-up, each measuring AutoHook and the ceiling
 * (which goes first alternates), each with its worker running, then
 * stopped. Rows hold milliseconds; AutoHook's stopped side its phases.
 */
export async function coldStart({ chromium, receiver, page, call, rounds = 7 }) {
  const { browser } = chromium;
  const dir = mkdtempSync(join(tmpdir(), 'autohook-ceiling-'));
  for (const [name, text] of Object.entries(CEILING)) writeFileSync(join(dir, name), text);
  // Installed now (CDP Extensions.loadUnpacked, as puppeteer's enableExtensions
  // does at launch) and removed after: earlier sections see one worker only.
  const ceilingId = await browser.installExtension(dir);
  const ceilingPage = await browser.newPage();
  await ceilingPage.goto(`chrome-extension://${ceilingId}/page.html`);
  const arrival = async (path) => (await receiver.waitFor((all) => all.findLast((d) => d.path === path))).findLast((d) => d.path === path);
  // The marks of extension `id`'s worker (started anew), as ms since the epoch.
  async function marks(id) {
    const target = await browser.waitForTarget((t) => t.type() === 'service_worker' && t.url().startsWith(`chrome-extension://${id}/`));
    const session = await target.createCDPSession();
    const expression = "[performance.timeOrigin, performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])]";
    const { result } = await session.send('Runtime.evaluate', { expression, returnByValue: true });
    await session.detach();
    const [origin, entries] = result.value;
    return { origin, ...Object.fromEntries(entries.map(([name, at]) => [name, origin + at])) };
  }
  const sides = {
    async autohook(stopped, path) {
      const hook = await call('webhooks.create', { webhook: { url: receiver.url(path), secret: SECRET, events: ['error'] } });
      if (stopped) await chromium.stopWorker(page);
      const sent = await send(page, { type: 'events.emit', event: 'error', data: { error: 'bench' } });
      const { receivedAt } = await arrival(path);
      const at = stopped && { sent, ...(await marks(chromium.extensionId)), wire: receivedAt };
      if (at) at.ready = Math.max(at['autohook.loaded'], at['autohook.unsealed']);
      await eventually(async () => (await call('deliveries.list', { state: 'pending' })).length === 0);
      await call('webhooks.delete', { id: hook.id });
      return { ms: receivedAt - sent, phases: at && [...PHASES.map(([, name], i) => at[name] - at[i ? PHASES[i - 1][1] : 'sent']), ...READ.map(([, from, to]) => at[to] - at[from])] };
    },
    async ceiling(stopped, path) {
      if (stopped) await chromium.stopWorker(ceilingPage, ceilingId);
      const sent = await send(ceilingPage, { url: receiver.url(path), body: '{"bench":true}' });
      const { receivedAt } = await arrival(path);
      const at = stopped && (await marks(ceilingId));
      return { ms: receivedAt - sent, phases: at && [at.origin - sent, at.script - at.origin, receivedAt - at.script] };
    },
  };
  const rows = [];
  for (let round = 0; round <= rounds; round++) {
    const row = {};
    for (const side of round % 2 ? ['ceiling', 'autohook'] : ['autohook', 'ceiling']) {
      row[side] = { running: await sides[side](false, `/cold/${side}/running/${round}`) };
      row[side].stopped = await sides[side](true, `/cold/${side}/stopped/${round}`);
    }
    if (round > 0) rows.push({ ...row, ratio: row.autohook.stopped.ms / row.ceiling.stopped.ms });
  }
  await ceilingPage.close();
  await browser.uninstallExtension(ceilingId);
  rmSync(dir, { recursive: true });
  return rows;
}

/** The Markdown section for `coldStart`'s rows. */
export function coldStartSection(rows) {
  const stats = (values, digits, unit = '') => [median(values), Math.min(...values), Math.max(...values)].map((v) => n(v, digits) + unit);
  const table = (head, lines, columns) => [
    `| Round | ${head.join(' | ')} |`, `|${'---|'.repeat(head.length + 1)}`,
    ...lines.map((cells, i) => `| ${i + 1} | ${cells.join(' | ')} |`),
    ...['median', 'min', 'max'].map((label, s) => `| **${label}** | ${columns.map((c) => c[s] ?? '').join(' | ')} |`),
  ].join('\n');
  const ms = (f) => rows.map(f);
  const main = [(r) => r.autohook.running.ms, (r) => r.ceiling.running.ms, (r) => r.autohook.stopped.ms, (r) => r.ceiling.stopped.ms];
  const phase = (side, i) => (r) => r[side].stopped.phases[i];
  const broken = [...[...PHASES, ...READ].map((_, i) => phase('autohook', i)), ...[0, 1, 2].map((i) => phase('ceiling', i))];
  return `## Cold start: emit to first request on the wire, AutoHook vs a minimal extension (goal ≤ 1.3×)

From an extension page's message to the receiver seeing the request. AutoHook:
the settings page sends \`events.emit\` to a webhook subscribed to it. Ceiling:
a minimal MV3 extension the bench writes at run time, whose worker only POSTs
to the URL a message gives it, sent to from a page of its own. "Stopped": the
side's worker was stopped over CDP first (the other's keeps running). Both
in the same Chromium, ${rows.length} rounds after a warm-up, which side goes
first alternating; the ratio is AutoHook stopped ÷ ceiling stopped.

${table(['AutoHook running (ms)', 'Ceiling running (ms)', 'AutoHook stopped (ms)', 'Ceiling stopped (ms)', 'Ratio'],
    rows.map((r) => [...main.map((f) => n(f(r))), `${n(r.ratio, 2)}×`]),
    [...main.map((f) => stats(ms(f), 0)), stats(ms((r) => r.ratio), 2, '×')])}

### Where AutoHook's stopped time goes

The critical path in ms, each phase from the end of the one before (the
first from the page's send) to a User Timing mark in the worker (\`mark\` in
extension/shared/host.js) read over CDP, on the same machine clock as the
page and the receiver: worker up (its time origin), scripts run
(background.js after its imports), Wasm fetched, compiled and instantiated,
the permissions loaded with it, waiting for the
storage read, then \`Background.start\`: stored values handed to Rust, records
decoded, the engine restored, \`storage.session\` read and the first drive;
the event's record stored, its fetch called, the request at the receiver.
Then the storage read's own phases (IndexedDB read, sealed values
decrypted), which may run alongside the Wasm, and the ceiling's: worker up,
script run, on the wire.

${table([...[...PHASES, ...READ].map(([name]) => name), 'Ceiling: up', 'script', 'on the wire'],
    rows.map((r) => broken.map((f) => n(f(r)))), broken.map((f) => stats(ms(f), 0)))}
`;
}
