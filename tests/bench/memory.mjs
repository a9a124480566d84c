// Memory as a user sees it, Chromium only: the proportional set size (PSS)
// of the extension's renderer process, AutoHook against a bare extension
// (ceilings.mjs), each in a fresh Chromium of its own with no extension page
// open, its worker driven over CDP. PSS divides shared pages among the
// processes mapping them, so each browser runs alone: the bench's own
// (common.mjs) is closed first, and the two sides take turns.
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChromium, DIST } from '../e2e/browsers.mjs';
import { startReceiver } from '../e2e/receiver.mjs';
import { ROUNDS, SECRET, median, n, spread } from './common.mjs';
import { writeCeiling } from './ceilings.mjs';
import { figure, goal } from './goals.mjs';

const WEBHOOKS = 10;
const EVENTS = 100; // per burst, to each webhook
const BURSTS = 3;
const IDLE_AFTER_MS = 2_000;
const SAMPLE_EVERY_MS = 100;
const SETTLE_MS = 10_000;
const MB = 1024 * 1024;

/** The processes descended from `root`: Chromium's renderers are children of its zygote, not of the browser. */
function descendants(root) {
  const children = new Map();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]); // after "pid (comm) state"
      children.set(parent, [...(children.get(parent) ?? []), Number(pid)]);
    } catch {
      // Exited while listed.
    }
  }
  const found = [];
  const walk = (pid) => (children.get(pid) ?? []).forEach((child) => (found.push(child), walk(child)));
  walk(root);
  return found;
}

/** The extension renderers of the browser whose process is `root`. */
const extensionProcesses = (root) => descendants(root).filter((pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--extension-process');
  } catch {
    return false;
  }
});

/** The PSS of process `pid` in MB (smaps_rollup's kB ÷ 1024): in all, and its anonymous, file-backed and shared-memory parts. */
function pssOf(pid) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1]) / 1024;
  return { pss: field('Pss'), anon: field('Pss_Anon'), file: field('Pss_File'), shmem: field('Pss_Shmem') };
}
const pss = (pid) => pssOf(pid).pss;

/** Polls `probe` every 50 ms until it holds. */
async function until(probe, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`memory: ${what} not reached within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * A fresh Chromium with only the extension in `folder`, driven without any
 * extension page: its about:blank tab (another renderer) stops and starts
 * the worker. `restart` (once) returns a CDP session to the worker started
 * anew, when it started, and its renderer's pid.
 */
async function launch(folder) {
  const browser = await startChromium({ extensions: [folder] });
  const isWorker = (t) => t.type() === 'service_worker';
  const first = await browser.waitForTarget(isWorker, { timeout: 20_000 });
  const scopeURL = `chrome-extension://${new URL(first.url()).host}/`;
  const [blank] = await browser.pages();
  const root = browser.process().pid;
  const evaluate = async (session, expression) => {
    const { result, exceptionDetails } = await session.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
    return result.value;
  };
  return {
    evaluate,
    /** Runs `expression` in the worker as first started (before any restart). */
    async inFirstWorker(expression) {
      const session = await first.createCDPSession();
      try {
        return await evaluate(session, expression);
      } finally {
        await session.detach();
      }
    },
    async restart() {
      const session = await blank.createCDPSession();
      const statuses = new Map();
      session.on('ServiceWorker.workerVersionUpdated', ({ versions }) => versions.forEach((v) => statuses.set(v.versionId, v.runningStatus)));
      await session.send('ServiceWorker.enable');
      await until(() => statuses.size > 0, 'the worker listed');
      await session.send('ServiceWorker.stopAllWorkers');
      await until(() => [...statuses.values()].every((s) => s === 'stopped'), 'the worker stopped');
      // With no page of its own open, the extension's renderer exits with its worker.
      await until(() => extensionProcesses(root).length === 0, 'the extension process gone');
      const started = browser.waitForTarget((t) => isWorker(t) && t !== first, { timeout: 20_000 });
      await session.send('ServiceWorker.startWorker', { scopeURL });
      const target = await started;
      const startedAt = Date.now();
      await session.detach();
      const worker = await target.createCDPSession();
      await until(() => extensionProcesses(root).length === 1, 'one extension process');
      return { worker, pid: extensionProcesses(root)[0], startedAt };
    },
    close: () => browser.close(),
  };
}

/**
 * The size of the Wasm module's linear memory in the worker of `session`, in
 * bytes, or null if there is none. The wasm-bindgen glue keeps the module's
 * exports in a module variable it does not export; the inspector reaches it
 * through the closure scopes of a method of AutoHook's core (`autohook`,
 * which background.js sets for developers): no getter in the extension.
 */
async function wasmMemory(session) {
  const { result: method } = await session.send('Runtime.evaluate', { expression: "globalThis.autohook && Object.getPrototypeOf(autohook).handle" });
  if (!method.objectId) return null;
  const { internalProperties = [] } = await session.send('Runtime.getProperties', { objectId: method.objectId, ownProperties: true });
  const scopes = internalProperties.find((p) => p.name === '[[Scopes]]');
  const { result: chain } = await session.send('Runtime.getProperties', { objectId: scopes.value.objectId, ownProperties: true });
  for (const scope of chain.filter((s) => s.value?.objectId)) {
    const { result: variables } = await session.send('Runtime.getProperties', { objectId: scope.value.objectId, ownProperties: true });
    for (const { value } of variables.filter((v) => v.value?.type === 'object' && v.value.objectId)) {
      const { result } = await session.send('Runtime.callFunctionOn', {
        objectId: value.objectId, returnByValue: true,
        functionDeclaration: 'function () { return this.memory instanceof WebAssembly.Memory ? this.memory.buffer.byteLength : null; }',
      });
      if (result.value !== null) return result.value;
    }
  }
  return null;
}

/** What a point of the protocol reads: PSS (MB) and its parts, and the worker's JS heap and Wasm memory (MB, information). */
async function reading(session, pid) {
  const memory = pssOf(pid);
  const { usedSize, totalSize } = await session.send('Runtime.getHeapUsage');
  const wasm = await wasmMemory(session);
  return { ...memory, heapUsed: usedSize / MB, heapTotal: totalSize / MB, wasm: wasm === null ? null : wasm / MB };
}

/**
 * A minimal extension's idle reading: 2 s after its worker starts; a floor
 * whose worker has not set its mark `done` by then failed, and its reading
 * would understate the floor.
 */
async function bareIdle(folder, done = null) {
  const chromium = await launch(folder);
  try {
    const { worker, pid, startedAt } = await chromium.restart();
    await sleep(startedAt + IDLE_AFTER_MS - Date.now());
    if (done && !(await chromium.evaluate(worker, `performance.getEntriesByName('${done}').length > 0`))) {
      throw new Error(`memory: the floor in ${folder} did not reach its mark ${done} within ${IDLE_AFTER_MS} ms`);
    }
    return await reading(worker, pid);
  } finally {
    await chromium.close();
  }
}

/**
 * The protocol from the worker's restart on: idle IDLE_AFTER_MS after it,
 * the highest PSS sampled every SAMPLE_EVERY_MS during BURSTS runs of
 * `burst(n)` and the reading after the last, settled after a garbage
 * collection and SETTLE_MS.
 */
async function readingsAround(chromium, burst) {
  const { worker, pid, startedAt } = await chromium.restart();
  await sleep(startedAt + IDLE_AFTER_MS - Date.now());
  const idle = await reading(worker, pid);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, pss(pid))), SAMPLE_EVERY_MS);
  try {
    for (let n = 1; n <= BURSTS; n++) await burst(worker, n);
  } finally {
    clearInterval(sampler);
  }
  const afterBursts = await reading(worker, pid);
  await worker.send('HeapProfiler.collectGarbage');
  await sleep(SETTLE_MS);
  const settled = await reading(worker, pid);
  return { idle, peak, afterBursts, settled };
}

/**
 * AutoHook's readings: idle 2 s after its worker starts with WEBHOOKS
 * configured; the highest PSS sampled every SAMPLE_EVERY_MS during BURSTS
 * bursts of EVENTS events to every webhook, each until all are on the wire
 * and none pending, and the reading after the last; settled after a
 * garbage collection and SETTLE_MS.
 */
async function autohookReadings(receiver, round) {
  const chromium = await launch(`${DIST}chrome`);
  const call = (message) => `autohook.handle(${message}, 'page', null)`;
  const prefix = `/memory/${round}/`;
  try {
    await until(() => chromium.inFirstWorker("typeof globalThis.autohook === 'object'"), 'the core started');
    await chromium.inFirstWorker(`(async () => {
      for (let i = 0; i < ${WEBHOOKS}; i++) {
        const webhook = { url: '${receiver.url(prefix)}' + i, secret: '${SECRET}', events: ['message_sent'], ratePerMinute: 10000 };
        const reply = await ${call('{ type: "webhooks.create", webhook }')};
        if (!reply.ok) throw new Error(JSON.stringify(reply));
      }
    })()`);
    // The receiver is this section's alone, and nothing stops the worker: every request counts once.
    const before = receiver.deliveries.length;
    const arrived = () => receiver.deliveries.length - before;
    return await readingsAround(chromium, async (worker, burst) => {
      await chromium.evaluate(worker, `Promise.all(Array.from({ length: ${EVENTS} }, (_, i) =>
        ${call("{ type: 'events.emit', event: 'message_sent', data: { message: 'memory', totalMessagesSent: i } }")}))`);
      await receiver.waitFor(() => arrived() >= burst * EVENTS * WEBHOOKS, 120_000);
      await until(async () => (await chromium.evaluate(worker, `${call("{ type: 'deliveries.list', state: 'pending' }")}.then((r) => r.value.length)`)) === 0, 'no delivery pending', 60_000);
    });
  } finally {
    await chromium.close();
  }
}

/**
 * The durable ceiling (ceilings.mjs) through the same protocol and bursts,
 * as information: what any sender that stores each event before sending
 * it reaches doing the same work. Each burst stores its EVENTS × WEBHOOKS
 * records in one write, sends them to WEBHOOKS paths with 32 requests in
 * flight (AutoHook's limit), reading each response, then removes them.
 */
async function durableReadings(folder, receiver, round) {
  const chromium = await launch(folder);
  const requests = EVENTS * WEBHOOKS;
  const url = receiver.url(`/memory/durable/${round}/`);
  try {
    return await readingsAround(chromium, (worker, burst) => chromium.evaluate(worker, `(async () => {
      const body = JSON.stringify({ type: 'message_sent', data: { message: 'memory' } });
      const keys = Array.from({ length: ${requests} }, (_, i) => 'record/${burst}/' + i);
      await chrome.storage.local.set(Object.fromEntries(keys.map((key) => [key, JSON.stringify({ key, body }).padEnd(1500)])));
      let next = 0;
      const lane = async () => {
        for (let i; (i = next++) < ${requests};) {
          const response = await fetch(${JSON.stringify(url)} + (i % ${WEBHOOKS}), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
          await response.text();
        }
      };
      await Promise.all(Array.from({ length: 32 }, lane));
      await chrome.storage.local.remove(keys);
    })()`));
  } finally {
    await chromium.close();
  }
}

/**
 * ROUNDS rounds of both sides, which goes first alternating, then the
 * durable ceiling's readings and the idle ones of the Wasm and design
 * floors (read as the bare extension's is) as information. No warm-up
 * round: each side starts a fresh browser anyway, and an AutoHook round
 * takes ~25 s (10 s of it settling).
 */
export async function measureMemory() {
  const receiver = await startReceiver();
  const bare = writeCeiling('bare');
  const durable = writeCeiling('durable');
  const floor = writeCeiling('wasm');
  const design = writeCeiling('design');
  const rows = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const row = {};
      for (const side of round % 2 ? ['autohook', 'bare'] : ['bare', 'autohook']) {
        row[side] = side === 'bare' ? await bareIdle(bare.dir) : await autohookReadings(receiver, round);
      }
      row.durable = await durableReadings(durable.dir, receiver, round);
      row.floor = await bareIdle(floor.dir, 'wasm');
      row.design = await bareIdle(design.dir, 'design');
      rows.push(row);
    }
  } finally {
    bare.remove();
    durable.remove();
    floor.remove();
    design.remove();
    await receiver.close();
  }
  return rows;
}

/** The section's Markdown and its goals' figures: AutoHook's PSS over the bare extension's idle PSS of the same round. */
export function memorySection(rows) {
  const over = (point) => rows.map((r) => (point === 'peak' ? r.autohook.peak : r.autohook[point].pss) - r.bare.pss);
  const mb = (value) => (Number.isFinite(value) ? n(value, 1) : '—');
  const medianOf = (f) => median(rows.map(f));
  const points = [['idle', 'memoryIdle'], ['peak', 'memoryPeak'], ['settled', 'memorySettled']];
  return {
    figures: Object.fromEntries(points.map(([point, key]) => [key, { value: median(over(point)) }])),
    text: `## Memory as a user sees it (Chromium; goals: idle ${goal('memoryIdle')}, peak ${goal('memoryPeak')}, settled ${goal('memorySettled')} over a bare extension)

The proportional set size (PSS, \`/proc/<pid>/smaps_rollup\`, MB of 1,024 kB)
of the extension's renderer (the process whose command line has
\`--extension-process\`), with no extension page open, the worker driven over
CDP. Each side runs in a fresh Chromium of its own, alone on the machine
(PSS shares pages among the processes mapping them), so the bare extension's
figure is taken the same way in the same run: its worker stopped and
started again from the browser's blank tab, read 2 s later. AutoHook:
${WEBHOOKS} signed webhooks configured, the worker stopped and started again;
idle ${IDLE_AFTER_MS / 1000} s after the start; peak the highest of samples every ${SAMPLE_EVERY_MS} ms during
${BURSTS} bursts of ${EVENTS} events to each of the ${WEBHOOKS} webhooks (raised in the worker, each burst until
all its requests are on the wire and none is pending); settled ${SETTLE_MS / 1000} s after CDP
\`HeapProfiler.collectGarbage\` on the worker's session. ${rows.length} rounds, which
side goes first alternating, each side in a fresh browser every round.

| Round | Bare idle (MB) | AutoHook idle | peak | settled | idle − bare | peak − bare | settled − bare |
|---|---|---|---|---|---|---|---|
${rows.map((r, i) => `| ${i + 1} | ${mb(r.bare.pss)} | ${mb(r.autohook.idle.pss)} | ${mb(r.autohook.peak)} | ${mb(r.autohook.settled.pss)} | ${[over('idle'), over('peak'), over('settled')].map((o) => mb(o[i])).join(' | ')} |`).join('\n')}
| **median** | ${mb(medianOf((r) => r.bare.pss))} | ${mb(medianOf((r) => r.autohook.idle.pss))} | ${mb(medianOf((r) => r.autohook.peak))} | ${mb(medianOf((r) => r.autohook.settled.pss))} | ${points.map(([point, key]) => `**${figure(key, median(over(point)))}**`).join(' | ')} |

Medians (lowest–highest round) over the bare extension: ${points.map(([point]) => `${point} ${mb(median(over(point)))} (${spread(over(point), 1)})`).join(', ')} MB.

Information, not goals: where the memory is, in MB, medians of the rounds:
PSS by kind (smaps_rollup's \`Pss_Anon\`: the heaps, compiled code and
Wasm memory; \`Pss_File\`: Chromium's binary and fonts; \`Pss_Shmem\`:
buffers shared with the browser process), the Wasm module's linear memory
(\`memory.buffer.byteLength\`; it grows and never shrinks) and the worker's
JS heap (CDP \`Runtime.getHeapUsage\`), the bare extension idle, the floors
idle (ceilings.mjs, each read as the bare one is: the Wasm floor, a worker
that instantiated AutoHook's module and called nothing in it; the design
floor, the same that also, as it starts, reads and writes IndexedDB, opens
an AES-GCM sealed value, reads storage.session and sets an alarm, as
AutoHook's start does), and AutoHook idle, right after the bursts and settled.

| | Bare idle | Wasm floor idle | Design floor idle | AutoHook idle | After the bursts | Settled |
|---|---|---|---|---|---|---|
${[['PSS', 'pss'], ['anonymous', 'anon'], ['file-backed', 'file'], ['shared memory', 'shmem'], ['Wasm linear memory', 'wasm'], ['JS heap used', 'heapUsed'], ['JS heap allocated', 'heapTotal']]
    .map(([label, key]) => `| ${label} | ${[(r) => r.bare, (r) => r.floor, (r) => r.design, ...['idle', 'afterBursts', 'settled'].map((p) => (r) => r.autohook[p])].map((at) => mb(medianOf((r) => at(r)[key] ?? NaN))).join(' | ')} |`)
    .join('\n')}

Over the bare extension idle (medians, lowest–highest): the Wasm floor
${mb(median(rows.map((r) => r.floor.pss - r.bare.pss)))} MB (${spread(rows.map((r) => r.floor.pss - r.bare.pss), 1)}), what holding this module costs any worker before
it does anything; the design floor ${mb(median(rows.map((r) => r.design.pss - r.bare.pss)))} MB (${spread(rows.map((r) => r.design.pss - r.bare.pss), 1)}), against the idle goal's
${goal('memoryIdle')}. AutoHook idle is ${mb(median(rows.map((r) => r.autohook.idle.pss - r.design.pss)))} MB over the design floor.

Information, not a goal: the durable ceiling (the cold start's, ceilings.mjs)
through the same protocol and bursts, ${WEBHOOKS * EVENTS} requests a burst to ${WEBHOOKS} paths
with 32 in flight, each burst's records stored in one write before its
requests and removed after: what a sender that stores before it sends
reaches doing the same work, in MB over the bare extension idle (medians):
${(() => {
    const overBare = (f) => median(rows.map((r) => f(r.durable) - r.bare.pss));
    return `idle ${mb(overBare((d) => d.idle.pss))}, peak ${mb(overBare((d) => d.peak))}, settled ${mb(overBare((d) => d.settled.pss))}; AutoHook over it: idle ${mb(median(rows.map((r) => r.autohook.idle.pss - r.durable.idle.pss)))}, peak ${mb(median(rows.map((r) => r.autohook.peak - r.durable.peak)))}, settled ${mb(median(rows.map((r) => r.autohook.settled.pss - r.durable.settled.pss)))}.`;
  })()}
`,
  };
}
