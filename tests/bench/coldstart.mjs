// Cold start for `./build.sh bench`: from a page's message to the request on
// the wire with the service worker stopped, AutoHook against three minimal
// MV3 extensions written at run time (ceilings.mjs): the durable one, which
// reads a stored key and writes a record before it fetches (the goal is
// against it), the bare one, which only fetches, and the Wasm floor, the
// durable one that also instantiates AutoHook's module. All four are
// measured the same way in the same Chromium, rounds rotating the sides.
// User Timing marks break each side's stopped time down.
import { eventually } from '../e2e/api.mjs';
import { SECRET, median, n } from './common.mjs';
import { CEILINGS, DURABLE_CONFIG, DURABLE_CONFIG_KEY, writeCeiling } from './ceilings.mjs';
import { figure, goal, met } from './goals.mjs';

// AutoHook's stopped time, the one table to change when the marks change
// (`mark` in extension/shared/host.js): the critical path, each phase from
// the end of the one before (the first from the page's send) to its mark,
// or the latest of its marks ('origin': the worker's time origin, 'wire':
// the receiver); a mark missing from a start leaves its phase blank.
const PHASES = [
  ['Worker up', 'origin'], ['Scripts run', 'autohook.script'], ['Wasm ready', 'autohook.wasm'],
  ['Permissions', 'autohook.loaded'], ['Waiting for storage', ['autohook.loaded', 'autohook.unsealed']],
  ['Texts to Rust', 'autohook.texts'], ['Records decoded', 'autohook.decoded'], ['Engine restored', 'autohook.restored'],
  ['Session read, first drive', 'autohook.started'], ['Record stored', 'autohook.saved'], ['Fetch called', 'autohook.send'], ['On the wire', 'wire'],
];
// The storage read's own phases, which may run alongside the Wasm: from one mark to another.
const READ = [['IndexedDB read', 'autohook.read', 'autohook.stored'], ['Unsealed', 'autohook.stored', 'autohook.unsealed']];
const SIDES = ['autohook', 'durable', 'bare', 'wasm'];
const SIDE_NAMES = { autohook: 'AutoHook', durable: 'Durable', bare: 'Bare', wasm: 'Wasm floor' };
/** A mark as the section's text names it. */
const markName = (mark) => ({ origin: "the worker's time origin", wire: 'the receiver' })[mark] ?? `\`${mark}\``;

/** Each phase's ms from `at` (mark → ms since the epoch, `sent` included), NaN for a phase whose mark is missing. */
function critical(phases, at) {
  let last = at.sent;
  return phases.map(([, marks]) => {
    const when = [marks].flat().map((mark) => at[mark]).filter(Number.isFinite);
    if (!when.length) return NaN;
    const end = Math.max(...when);
    const phase = end - last;
    last = end;
    return phase;
  });
}

/** Sends `message` from `page` to its extension's worker; resolves to when (ms since the epoch, the page's clock). */
const send = (page, message) => page.evaluate((m) => {
  const at = performance.timeOrigin + performance.now();
  chrome.runtime.sendMessage(m).catch(() => {});
  return at;
}, message);

/**
 * `rounds` rounds after a warm-up, each measuring every side (which goes
 * first rotates), each with its worker running, then stopped. Rows hold
 * milliseconds, each side's stopped time its phases.
 */
export async function coldStart({ chromium, receiver, page, call, rounds = 7 }) {
  const { browser } = chromium;
  // Installed now (CDP Extensions.loadUnpacked, as puppeteer's enableExtensions
  // does at launch) and removed after: earlier sections see one worker only.
  const ceilings = {};
  for (const name of SIDES.filter((side) => side !== 'autohook')) {
    const folder = writeCeiling(name);
    const id = await browser.installExtension(folder.dir);
    const ceilingPage = await browser.newPage();
    await ceilingPage.goto(`chrome-extension://${id}/page.html`);
    ceilings[name] = { ...folder, id, page: ceilingPage };
  }
  for (const side of ['durable', 'wasm']) {
    await ceilings[side].page.evaluate((key, config) => chrome.storage.local.set({ [key]: config }), DURABLE_CONFIG_KEY, DURABLE_CONFIG);
  }
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
  const ceiling = (name) => async (stopped, path) => {
    const { id, page: ceilingPage } = ceilings[name];
    if (stopped) await chromium.stopWorker(ceilingPage, id);
    const sent = await send(ceilingPage, { url: receiver.url(path), body: '{"bench":true}' });
    const { receivedAt } = await arrival(path);
    return { ms: receivedAt - sent, phases: stopped && critical(CEILINGS[name].phases, { sent, ...(await marks(id)), wire: receivedAt }) };
  };
  const sides = {
    async autohook(stopped, path) {
      const hook = await call('webhooks.create', { webhook: { url: receiver.url(path), secret: SECRET, events: ['error'] } });
      if (stopped) await chromium.stopWorker(page);
      const sent = await send(page, { type: 'events.emit', event: 'error', data: { error: 'bench' } });
      const { receivedAt } = await arrival(path);
      const at = stopped && { sent, ...(await marks(chromium.extensionId)), wire: receivedAt };
      await eventually(async () => (await call('deliveries.list', { state: 'pending' })).length === 0);
      await call('webhooks.delete', { id: hook.id });
      return { ms: receivedAt - sent, phases: at && [...critical(PHASES, at), ...READ.map(([, from, to]) => at[to] - at[from])] };
    },
    durable: ceiling('durable'),
    bare: ceiling('bare'),
    wasm: ceiling('wasm'),
  };
  const rows = [];
  for (let round = 0; round <= rounds; round++) {
    const row = {};
    for (const side of [...SIDES.slice(round % SIDES.length), ...SIDES.slice(0, round % SIDES.length)]) {
      row[side] = { running: await sides[side](false, `/cold/${side}/running/${round}`) };
      row[side].stopped = await sides[side](true, `/cold/${side}/stopped/${round}`);
    }
    const over = (side) => row.autohook.stopped.ms / row[side].stopped.ms;
    if (round > 0) rows.push({ ...row, ratio: over('durable'), bareRatio: over('bare'), floorRatio: over('wasm'), floorOverDurable: row.wasm.stopped.ms / row.durable.stopped.ms });
  }
  for (const { id, page: ceilingPage, remove } of Object.values(ceilings)) {
    await ceilingPage.close();
    await browser.uninstallExtension(id);
    remove();
  }
  return rows;
}

/** The Markdown section for `coldStart`'s rows, and its goal's figure. */
export function coldStartSection(rows) {
  const ms = (value) => (Number.isFinite(value) ? n(value) : '—');
  const stats = (values, format) => [median(values), Math.min(...values), Math.max(...values)].map(format);
  const ratio = (value) => `${n(value, 2)}×`;
  const table = (head, lines, columns) => [
    `| Round | ${head.join(' | ')} |`, `|${'---|'.repeat(head.length + 1)}`,
    ...lines.map((cells, i) => `| ${i + 1} | ${cells.join(' | ')} |`),
    ...['median', 'min', 'max'].map((label, s) => `| **${label}** | ${columns.map((c) => c[s] ?? '').join(' | ')} |`),
  ].join('\n');
  const column = (f) => rows.map(f);
  const times = ['running', 'stopped'].flatMap((state) => SIDES.map((side) => (r) => r[side][state].ms));
  const ratios = [(r) => r.ratio, (r) => r.bareRatio, (r) => r.floorRatio, (r) => r.floorOverDurable];
  const phase = (side, i) => (r) => r[side].stopped.phases[i];
  const phaseNames = { autohook: [...PHASES, ...READ].map(([name]) => name), ...Object.fromEntries(SIDES.slice(1).map((side) => [side, CEILINGS[side].phases.map(([name]) => `${SIDE_NAMES[side]}: ${name}`)])) };
  const broken = SIDES.flatMap((side) => phaseNames[side].map((_, i) => phase(side, i)));
  // A phase missing from some rounds is left out of its median.
  const phaseStats = (f) => stats(column(f).filter(Number.isFinite), ms);
  const medianRatio = median(column((r) => r.ratio));
  return {
    figures: { coldStart: { value: medianRatio, note: `information: ÷ bare ${ratio(median(column((r) => r.bareRatio)))}, ÷ Wasm floor ${ratio(median(column((r) => r.floorRatio)))}; the floor ÷ durable ${ratio(median(column((r) => r.floorOverDurable)))}` } },
    text: `## Cold start: emit to first request on the wire, against a durable ceiling (goal ${goal('coldStart')})

From an extension page's message to the receiver seeing the request. AutoHook:
the settings page sends \`events.emit\` to a webhook subscribed to it.
Durable ceiling: a minimal MV3 extension the bench writes at run time, whose
worker, on a message from a page of its own, reads one stored configuration
key (\`chrome.storage.local\`, seeded once before the rounds), writes one
~1.5 KB record and awaits it, then POSTs to the URL the message gives: the
least a sender that stores before it sends must do. Bare ceiling, as
information: the same without the storage, it only POSTs. Wasm floor, as
information: the durable ceiling whose worker also compiles and
instantiates AutoHook's own \`autohook_bg.wasm\` (streaming, as AutoHook
does; every import a function never called) while it reads the key, and
calls nothing in it: the least a sender whose core is this module must do,
whatever its engine then does. "Stopped": the
side's worker was stopped over CDP first (the others keep running). All in
the same Chromium, ${rows.length} rounds after a warm-up, which side goes first
rotating; the goal's ratio is AutoHook stopped ÷ durable stopped: median
**${figure('coldStart', medianRatio)}**, ${met('coldStart', medianRatio) ? 'met' : 'not met'}; the Wasm floor alone is
${ratio(median(column((r) => r.floorOverDurable)))} the durable ceiling.

This section runs before the HMAC section's page loads the module, as for
a user: no AutoHook page loads it. While a page of the extension holds the
compiled module, V8 shares it, with the code each earlier worker compiled
lazily into it, with the next worker started in that process. Measured on
2026-12-07: with the HMAC section's page open, or a page that only
compiled the module, AutoHook's stopped start took 33-40 ms instead of
52-57 ("Records decoded" 0 ms instead of 7); once that page's module was
garbage-collected, 55 ms again. Chromium's on-disk Wasm code cache (the
profile's \`Code Cache/wasm\`) held no entry 3 s after a page compiled it.

${table([...['running', 'stopped'].flatMap((state) => SIDES.map((side) => `${SIDE_NAMES[side]} ${state} (ms)`)), 'AutoHook ÷ durable', 'AutoHook ÷ bare', 'AutoHook ÷ Wasm floor', 'Wasm floor ÷ durable'],
    rows.map((r) => [...times.map((f) => ms(f(r))), ...ratios.map((f) => ratio(f(r)))]),
    [...times.map((f) => stats(column(f), ms)), ...ratios.map((f) => stats(column(f), ratio))])}

### Where each side's stopped time goes

The critical path in ms, each phase from the end of the one before (the
first from the page's send) to a User Timing mark in the worker read over
CDP, on the same machine clock as the page and the receiver. AutoHook's
marks are \`mark\`'s (extension/shared/host.js, src/wasm.rs): ${[...PHASES.map(([name, marks]) => `${name} (${[marks].flat().map(markName).join(' or ')})`), ...READ.map(([name, from, to]) => `${name} (${markName(from)} to ${markName(to)}, alongside)`)].join(', ')}.
The others': ${SIDES.slice(1).map((side) => `${SIDE_NAMES[side]}, ${CEILINGS[side].phases.map(([name, mark]) => `${name} (${markName(mark)})`).join(', ')}`).join('; ')}.
A blank cell is a mark that start did not reach.

${table(SIDES.flatMap((side) => phaseNames[side]), rows.map((r) => broken.map((f) => ms(f(r)))), broken.map(phaseStats))}
`,
  };
}
