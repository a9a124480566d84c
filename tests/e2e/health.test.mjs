// Never failing silently (issue #14) through the message API in real
// browsers, against the loopback receiver that verifies every signature:
// a receiver down until AutoHook turns the webhook off (badge, notification,
// held events delivered once when it is on again), bulk replay, and an
// offline browser that spends no attempts. Firefox: badge and auto-disable.
import assert from 'node:assert/strict';
import { receiverAndFirefox, receiverAndSettingsPage, test } from './fixtures.mjs';
import { SECRET, startReceiver } from './receiver.mjs';
import { caller, eventually } from './api.mjs';

const emit = (call, n) => call('events.emit', { event: 'message_sent', data: { message: `m${n}` } });

async function setUp(t) {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  const webhook = (path, fields = {}) => {
    receiver.secret(path, SECRET);
    return call('webhooks.create', { webhook: { url: receiver.url(path), secret: SECRET, events: ['message_sent'], retrySchedule: [], ...fields } });
  };
  const listed = async (id) => (await call('webhooks.list')).find((w) => w.id === id);
  const at = (path) => receiver.deliveries.filter((d) => d.path === path);
  return { receiver, chromium, page, call, webhook, listed, at };
}

test('Chromium: a receiver down for 20 deliveries turns its webhook off with a badge and a notification; held events go out once when it is on again', async (t) => {
  const { receiver, page, call, webhook, listed, at } = await setUp(t);
  receiver.script('/down', [500]);
  const hook = await webhook('/down');
  assert.equal(hook.autoDisableAfter, 20, 'the default');
  for (let n = 0; n < 20; n++) await emit(call, n);
  const off = await eventually(async () => ((await listed(hook.id)).health.autoDisabled ? listed(hook.id) : null), { what: 'auto-disabled' });
  assert.equal(off.enabled, false);
  assert.deepEqual([off.health.state, off.health.consecutiveFailures], ['disabled', 20]);
  assert.match(off.health.lastReason, /HTTP 500/);

  const held = [];
  for (let n = 20; n < 25; n++) held.push(...(await emit(call, n)).deliveries);
  assert.equal(held.length, 5, 'events still reach it, to be held');
  assert.equal((await listed(hook.id)).health.held, 5);
  assert.equal(at('/down').length, 20, 'nothing held is sent');
  await assert.rejects(receiver.waitFor(() => at('/down').length > 20, 1000), /not met/, 'nothing held is sent a second later');

  assert.equal(await page.evaluate(() => chrome.action.getBadgeText({})), '!');
  const shown = Object.keys(await page.evaluate(() => chrome.notifications.getAll()));
  assert.ok(shown.some((id) => id.startsWith(`disabled:${hook.id}:`)), `a notification that it was turned off: ${shown}`);
  assert.ok(shown.some((id) => id.startsWith(`failing:${hook.id}:`)), `and one that it started failing: ${shown}`);

  receiver.script('/down', [200]);
  const on = await call('webhooks.setEnabled', { id: hook.id, enabled: true, held: 'deliver' });
  assert.deepEqual([on.enabled, on.health.state], [true, 'healthy']);
  await eventually(async () => {
    const states = await Promise.all(held.map(async (id) => (await call('deliveries.get', { id })).state));
    return states.every((state) => state === 'delivered');
  }, { what: 'the held events delivered' });
  const resent = at('/down').slice(20);
  assert.equal(resent.length, 5, 'each held event exactly once');
  assert.equal(new Set(resent.map((d) => d.headers['webhook-id'])).size, 5);
  for (const delivery of resent) assert.deepEqual(delivery.verified, { standard: true, hex: true });

  await eventually(async () => (await page.evaluate(() => chrome.action.getBadgeText({}))) === '20', { what: 'the badge counting unseen failures' });
  assert.equal((await call('badge.markSeen')).text, '');
  await eventually(async () => (await page.evaluate(() => chrome.action.getBadgeText({}))) === '', { what: 'the badge cleared' });
});

test('Chromium: bulk replay queues 30 failed deliveries again; 30 arrive with their webhook-id and the counts are exact', async (t) => {
  const { receiver, call, webhook, listed, at } = await setUp(t);
  receiver.script('/refuses', [404]);
  const hook = await webhook('/refuses', { autoDisableAfter: 0 });
  for (let n = 0; n < 30; n++) await emit(call, n);
  await eventually(async () => (await listed(hook.id)).stats.failures === 30, { what: '30 failures' });
  const failedIds = at('/refuses').map((d) => d.headers['webhook-id']).sort();

  receiver.script('/refuses', [200]);
  assert.deepEqual(await call('deliveries.redeliverFailed', { webhookId: hook.id, dryRun: true }), { count: 30 });
  assert.deepEqual(await call('deliveries.redeliverFailed', { webhookId: hook.id, since: 0 }), { count: 30 });
  assert.deepEqual(await call('deliveries.redeliverFailed', { webhookId: hook.id }), { count: 0 }, 'asking again queues nothing twice');
  await eventually(async () => (await listed(hook.id)).stats.successes === 30, { what: '30 delivered' });
  const replayed = at('/refuses').slice(30);
  assert.equal(replayed.length, 30);
  assert.deepEqual(replayed.map((d) => d.headers['webhook-id']).sort(), failedIds);
  const { triggers, successes, failures } = (await listed(hook.id)).stats;
  assert.deepEqual({ triggers, successes, failures }, { triggers: 60, successes: 30, failures: 30 });
});

test('Chromium: offline, due deliveries wait without spending attempts and go out when the network is back', async (t) => {
  const { chromium, call, webhook, at } = await setUp(t);
  const hook = await webhook('/later');
  const target = await chromium.browser.waitForTarget((w) => w.type() === 'service_worker' && w.url().includes(chromium.extensionId));
  const worker = await target.createCDPSession();
  t.after(() => worker.detach().catch(() => {}));
  const network = (offline) => worker.send('Network.emulateNetworkConditions', { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await worker.send('Network.enable');
  await network(true);

  const ids = [];
  for (let n = 0; n < 3; n++) ids.push(...(await emit(call, n)).deliveries);
  const waiting = await eventually(async () => {
    const list = await call('deliveries.list', { webhookId: hook.id });
    return list.length === 3 && list.every((d) => d.state === 'pending' && d.waitingForNetwork) && list;
  }, { what: 'three deliveries waiting for the network' });
  assert.ok(waiting.every((d) => d.attempts.every((a) => a.failure === 'offline')), 'no attempt spent');
  const test = await call('webhooks.test', { id: hook.id });
  assert.equal(test.ok, false, 'a Test says at once that the browser is offline');
  assert.match(test.error, /offline/);

  await network(false);
  await eventually(async () => at('/later').length === 3, { what: 'sent when back online', timeoutMs: 20_000 });
  for (const id of ids) {
    const delivery = await call('deliveries.get', { id });
    assert.equal(delivery.state, 'delivered');
    assert.equal(delivery.attempts.filter((a) => a.failure !== 'offline').length, 1, 'one attempt counted');
  }
});

test('Firefox: a failing webhook is turned off after its limit, the badge shows it, and its events are held', async (t) => {
  const { receiver, run, ask } = await receiverAndFirefox(t);
  receiver.script('/down', [500]);
  const created = await ask('webhooks.create', { webhook: { url: receiver.url('/down'), retrySchedule: [], autoDisableAfter: 2 } });
  assert.equal(created.ok, true, JSON.stringify(created));
  const id = created.value.id;
  const health = async () => (await ask('webhooks.list')).value.find((w) => w.id === id).health;
  await ask('events.emit', { event: 'message_sent', data: {} });
  await ask('events.emit', { event: 'message_sent', data: {} });
  await eventually(async () => (await health()).autoDisabled, { what: 'auto-disabled' });
  await ask('events.emit', { event: 'message_sent', data: {} });
  assert.equal((await health()).held, 1);
  await assert.rejects(receiver.waitFor((all) => all.length > 2, 1000), /not met/, 'the held event is not sent');
  await eventually(async () => (await run('return browser.action.getBadgeText({});')) === '!', { what: 'the badge' });
});

test('Chromium: beside a receiver that hangs and one that answers only 429, a healthy one gets every event while the hanging one holds at most half the requests', async (t) => {
  const { receiver, call, webhook, at } = await setUp(t);
  // Receivers of their own: Chromium keeps at most 6 connections per host
  // and port, so requests hanging on the healthy one's port would queue its
  // requests in the browser, whatever AutoHook sends.
  const [hanging, busy] = await Promise.all([startReceiver(), startReceiver()]);
  t.after(() => Promise.all([hanging.close(), busy.close()]));
  hanging.script('/hang', ['hang']);
  busy.script('/busy', [{ status: 429, headers: { 'Retry-After': '3600' } }]);
  await call('webhooks.create', { webhook: { url: hanging.url('/hang'), events: ['message_sent'], ratePerMinute: 1000, timeoutMs: 120_000 } });
  await call('webhooks.create', { webhook: { url: busy.url('/busy'), events: ['message_sent'], ratePerMinute: 1000 } });
  await webhook('/ok', { ratePerMinute: 1000 });
  await Promise.all(Array.from({ length: 100 }, (_, n) => emit(call, n)));
  await receiver.waitFor((all) => all.filter((d) => d.path === '/ok').length === 100, 30_000);
  const hangingWhileBusy = hanging.deliveries.filter((d) => d.receivedAt <= at('/ok').at(-1).receivedAt).length;
  assert.ok(hangingWhileBusy > 0 && hangingWhileBusy <= 16, `the hanging receiver held ${hangingWhileBusy} requests while the healthy one had work`);
  assert.ok(at('/ok').every((d) => d.verified.standard && d.verified.hex));
  assert.equal(new Set(at('/ok').map((d) => d.json.data.message)).size, 100, 'every event, once');
  assert.ok(busy.deliveries.length > 0);
});
