// Delivery throughput: AutoHook against a bare fetch loop and against the
// durable loop (the bare loop plus only the storage the durability rule
// demands), events raised in the worker and sent from a page.
import { eventually } from '../e2e/api.mjs';
import { ROUNDS, SECRET, median, n, spread } from './common.mjs';
import { goal } from './goals.mjs';

const EVENTS = 1000;
const IN_FLIGHT = 32; // AutoHook's limit (MAX_IN_FLIGHT), so the loops get the same.

/** Per second: from starting `run` until all EVENTS requests to `path` have arrived. */
async function rateOf({ receiver, arrived }, path, run) {
  const started = performance.now();
  await run();
  await receiver.waitFor(() => arrived(path) >= EVENTS, 120_000);
  return EVENTS / ((performance.now() - started) / 1000);
}

/**
 * Events per second through AutoHook, emitted all at once until all are on
 * the wire: raised inside the service worker through the same request
 * handler (as the background's own events are), or sent from the settings
 * page over the message API.
 */
async function autohookRate(bench, round, from) {
  const { receiver, call, page, inWorker } = bench;
  const path = `/autohook/${from}/${round}`;
  const hook = await call('webhooks.create', { webhook: { url: receiver.url(path), secret: SECRET, events: ['message_sent'], ratePerMinute: 10_000 } });
  const message = "{ type: 'events.emit', event: 'message_sent', data: { message: 'bench', totalMessagesSent: i } }";
  const send = from === 'worker' ? `autohook.handle(${message}, 'page', null)` : `chrome.runtime.sendMessage(${message})`;
  const burst = `Promise.all(Array.from({ length: ${EVENTS} }, (_, i) => ${send}))`;
  const rate = await rateOf(bench, path, () => (from === 'worker' ? inWorker(burst) : page.evaluate(burst)));
  await eventually(async () => (await call('deliveries.list', { state: 'pending' })).length === 0, { timeoutMs: 60_000 });
  await call('webhooks.delete', { id: hook.id });
  return rate;
}

/** Worker code: EVENTS POSTs of `sample` to `url`, IN_FLIGHT at a time, running `afterEach` (may use `i`) after each. */
function fetchLoop(url, sample, afterEach = '') {
  return `
    const body = ${JSON.stringify(sample.body)};
    const headers = ${JSON.stringify(sample.headers)};
    let next = 0;
    const lane = async () => {
      for (let i; (i = next++) < ${EVENTS};) {
        await (await fetch(${JSON.stringify(url)}, { method: 'POST', body, headers })).text();
        ${afterEach}
      }
    };
    await Promise.all(Array.from({ length: ${IN_FLIGHT} }, lane));`;
}

/** A bare fetch loop in the same worker, sending what AutoHook last sent, so only AutoHook's own work differs. */
function bareRate(bench, round, sample) {
  const path = `/bare/${round}`;
  return rateOf(bench, path, () => bench.inWorker(`(async () => { ${fetchLoop(bench.receiver.url(path), sample)} })()`));
}

/**
 * The bare loop plus the storage the durability rule demands of any
 * implementation, done as simply as it can be: every event's record stored
 * before its first request (one write for the burst), each result written
 * after it (batched, one write at a time), the log kept to 500, records
 * the size AutoHook's are. This is AutoHook's ceiling.
 */
async function durableRate(bench, round, sample, records) {
  const path = `/durable/${round}`;
  const prefix = `bench/durable/${round}/`;
  const rate = await rateOf(bench, path, () => bench.inWorker(`(async () => {
    const [pending, finished] = ${JSON.stringify([records.pending, records.finished])};
    let set = {}, remove = [];
    const write = () => globalThis.benchWrites ??= (async () => {
      while (Object.keys(set).length) {
        const [s, r] = [set, remove];
        [set, remove] = [{}, []];
        await chrome.storage.local.set(s);
        if (r.length) await chrome.storage.local.remove(r);
      }
      globalThis.benchWrites = null;
    })();
    for (let i = 0; i < ${EVENTS}; i++) set['${prefix}' + i] = pending;
    await write();
    ${fetchLoop(bench.receiver.url(path), sample, `
        set['${prefix}' + i] = finished;
        if (i >= 500) remove.push('${prefix}' + (i - 500));
        write();`)}
  })()`));
  // Once the last write is done, or at once if none is under way (`?.then` would skip the cleanup then).
  await bench.inWorker(`Promise.resolve(globalThis.benchWrites).then(() => chrome.storage.local.remove(Array.from({ length: ${EVENTS} }, (_, i) => '${prefix}' + i)))`);
  return rate;
}

/** Round trips per second of the message API alone: the ceiling on events sent from a page. */
async function messageRate({ page }) {
  const started = performance.now();
  await page.evaluate((count) => Promise.all(Array.from({ length: count }, () => chrome.runtime.sendMessage({ type: 'settings.get' }))), EVENTS);
  return EVENTS / ((performance.now() - started) / 1000);
}

/** The JSON AutoHook stores for a delivery before its first attempt and once it is logged. */
function recordSizes(logged) {
  const pending = { ...logged, state: 'pending', finishedAt: null, attempts: [], request: null };
  return { pending: JSON.stringify(pending), finished: JSON.stringify(logged) };
}

/** Rounds of all four sides, alternating; round 0 warms up (the module's optimizing compile, the JIT, connections) and is dropped. */
export async function measureThroughput(bench) {
  const rows = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const worker = await autohookRate(bench, round, 'worker');
    const { headers, body } = bench.receiver.deliveries.at(-1);
    const sample = { headers: Object.fromEntries(Object.entries(headers).filter(([name]) => /^(content-type|x-autohook-|webhook-)/.test(name))), body };
    const [logged] = await bench.call('deliveries.list', { limit: 1 });
    const bare = await bareRate(bench, round, sample);
    const durable = await durableRate(bench, round, sample, recordSizes(logged));
    const fromPage = await autohookRate(bench, round, 'page');
    const messages = await messageRate(bench);
    if (round > 0) rows.push({ bare, durable, worker, fromPage, messages });
  }
  return rows;
}

/** The Markdown section for `measureThroughput`'s rows, and its goals' figures. */
export function throughputSection(rows) {
  const ratios = (key, over) => rows.map((r) => r[key] / r[over]);
  const summary = (key, over) => `**${n(median(ratios(key, over)), 2)}×** (${spread(ratios(key, over))})`;
  const messagesOverDurable = `message API alone ÷ durable ${n(median(ratios('messages', 'durable')), 2)}×`;
  return {
    figures: {
      throughputWorker: { value: median(ratios('worker', 'durable')) },
      throughputPage: { value: median(ratios('fromPage', 'durable')), note: messagesOverDurable },
    },
    text: `## Delivery throughput (goals: ${goal('throughputWorker')} the durable loop raised in the worker, ${goal('throughputPage')} from a page)

${EVENTS} events emitted at once to one signed webhook, until all are on the
wire, against ${EVENTS} POSTs of the same headers and body from a loop in
the same service worker with ${IN_FLIGHT} in flight (AutoHook's limit).
Events are raised inside the worker through the request handler the
message API uses (as the background's own events are), and sent from the
settings page over \`chrome.runtime.sendMessage\` (the message API's
round-trip rate alone is shown as the ceiling on that path).

The durable loop is the bare loop plus only the storage the durability rule
demands of any implementation (each event's record stored before its first
request, its result after, the log kept to 500, records the size AutoHook
writes): the ceiling for AutoHook. One warm-up round precedes the ${ROUNDS} shown.

| Round | Bare fetch (req/s) | Durable loop (req/s) | AutoHook, in the worker (events/s) | ÷ durable | AutoHook, from a page (events/s) | ÷ durable | Message API alone (round trips/s) |
|---|---|---|---|---|---|---|---|
${rows.map((r, i) => `| ${i + 1} | ${n(r.bare)} | ${n(r.durable)} | ${n(r.worker)} | ${n(r.worker / r.durable, 2)}× | ${n(r.fromPage)} | ${n(r.fromPage / r.durable, 2)}× | ${n(r.messages)} |`).join('\n')}

Medians (lowest–highest round): durable ÷ bare ${summary('durable', 'bare')};
AutoHook in the worker ÷ durable ${summary('worker', 'durable')}, ÷ bare ${summary('worker', 'bare')};
from a page ÷ durable ${summary('fromPage', 'durable')} (${messagesOverDurable}).
`,
  };
}
