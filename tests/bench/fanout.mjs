// 10 webhooks × 1,000 events: how fast AutoHook fans a burst out, and what
// share of requests are duplicates, with the worker left alone and with it
// stopped 3 times while the burst is on the wire. A stop may repeat the
// attempts it interrupted (a receiver dedupes by webhook-id); it must lose
// nothing.
import { eventually } from '../e2e/api.mjs';
import { ROUNDS, SECRET, median, n, spread } from './common.mjs';

const WEBHOOKS = 10;
const EVENTS = 1000;
const STOPS = 3;

/** Events and requests per second, duplicates and losses for one burst, stopping the worker `stops` times. */
async function fanOut({ receiver, chromium, page, call }, round, stops) {
  const prefix = `/fanout/${round}/${stops}/`;
  const hooks = [];
  for (let i = 0; i < WEBHOOKS; i++) {
    hooks.push(await call('webhooks.create', { webhook: { url: receiver.url(`${prefix}${i}`), secret: SECRET, events: ['message_sent'], ratePerMinute: 10_000 } }));
  }
  const unique = new Set();
  let requests = 0;
  let seen = receiver.deliveries.length;
  const count = () => {
    for (; seen < receiver.deliveries.length; seen++) {
      const { path, headers } = receiver.deliveries[seen];
      if (!path.startsWith(prefix)) continue;
      requests++;
      unique.add(`${path} ${headers['webhook-id']}`);
    }
    return unique.size;
  };
  const started = performance.now();
  const replies = await page.evaluate((events) => Promise.all(Array.from({ length: events }, (_, i) =>
    chrome.runtime.sendMessage({ type: 'events.emit', event: 'message_sent', data: { message: 'fan-out', totalMessagesSent: i } }))), EVENTS);
  const expected = replies.filter((reply) => reply?.ok).length * WEBHOOKS;
  for (let stop = 1; stop <= stops; stop++) {
    await receiver.waitFor(() => count() >= (expected * stop) / (stops + 1), 300_000);
    await chromium.stopWorker(page);
    await call('settings.get'); // A page's request starts it again, as any would.
  }
  await receiver.waitFor(() => count() >= expected, 300_000);
  const seconds = (performance.now() - started) / 1000;
  await eventually(async () => (await call('deliveries.list', { state: 'pending' })).length === 0, { timeoutMs: 120_000 });
  count();
  for (const hook of hooks) await call('webhooks.delete', { id: hook.id });
  return { events: expected / WEBHOOKS / seconds, requests: requests / seconds, duplicates: (requests - unique.size) / requests, lost: expected - unique.size };
}

/** Rounds alternating a burst left alone and one with STOPS stops. */
export async function measureFanOut(bench) {
  const rows = [];
  for (let round = 0; round < ROUNDS; round++) rows.push({ calm: await fanOut(bench, round, 0), stopped: await fanOut(bench, round, STOPS) });
  return rows;
}

export function fanOutSection(rows) {
  const column = (side, key) => rows.map((r) => r[side][key]);
  const summary = (side, key, digits = 0) => `${n(median(column(side, key)), digits)} (${spread(column(side, key), digits)})`;
  const percent = (share) => `${n(share * 100, 2)} %`;
  return `## ${WEBHOOKS} webhooks × ${n(EVENTS)} events

${n(EVENTS)} events sent at once from the settings page to ${WEBHOOKS} signed webhooks
(${n(EVENTS * WEBHOOKS)} requests), until every event has reached every webhook;
"stopped" stops the service worker over CDP ${STOPS} times while the burst is on
the wire (at each quarter of the requests), a page's request starting it
again. Duplicates are requests whose webhook-id the receiver had already
seen on that path; lost counts accepted pairs that never arrived.

| Round | Left alone (events/s) | Requests/s | Duplicates | Lost | Stopped ${STOPS}× (events/s) | Requests/s | Duplicates | Lost |
|---|---|---|---|---|---|---|---|---|
${rows.map(({ calm, stopped }, i) => `| ${i + 1} | ${n(calm.events)} | ${n(calm.requests)} | ${percent(calm.duplicates)} | ${calm.lost} | ${n(stopped.events)} | ${n(stopped.requests)} | ${percent(stopped.duplicates)} | ${stopped.lost} |`).join('\n')}

Medians (lowest–highest): left alone ${summary('calm', 'events')} events/s;
stopped ${STOPS}× ${summary('stopped', 'events')} events/s, duplicates ${percent(median(column('stopped', 'duplicates')))}.
`;
}
