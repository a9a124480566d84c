// The delivery core in real Chromium against the loopback receiver: retries
// on the 1 s / 2 s / 3 s schedule, what is and is not retried, timeouts, a
// service worker stopped while a retry waits, exact stats under load, GET.
// Every delivery's signatures are checked by the receiver with node:crypto.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { receiverAndSettingsPage, test } from './fixtures.mjs';
import { SECRET } from './receiver.mjs';
import { caller, everyEvent, eventually } from './api.mjs';
import { storeIn } from './store.mjs';

const SENT = { message: 'hello', messagesSentToday: 1, totalMessagesSent: 1 };

/** A receiver, Chromium with AutoHook, and the message API from its settings page. */
async function setUp(t) {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  /** Creates a webhook on `path` of the receiver, which verifies with its secret. */
  const webhook = (path, fields = {}) => {
    receiver.secret(path, SECRET);
    return call('webhooks.create', { webhook: { url: receiver.url(path), secret: SECRET, events: ['message_sent'], ...fields } });
  };
  const finished = (id) =>
    eventually(async () => {
      const delivery = await call('deliveries.get', { id });
      return delivery.state !== 'pending' && delivery;
    }, { what: `delivery ${id} finished`, timeoutMs: 20_000 });
  const stats = async (id) => (await call('webhooks.list')).find((w) => w.id === id).stats;
  return { receiver, chromium, page, call, webhook, finished, stats };
}

function assertVerified(deliveries) {
  for (const delivery of deliveries) assert.deepEqual(delivery.verified, { standard: true, hex: true });
}

/** Milliseconds between the end of one logged attempt and the start of the next. */
const pauses = (attempts) => attempts.slice(1).map((a, i) => a.startedAt - (attempts[i].startedAt + attempts[i].durationMs));

test('500, 500, 200: one delivery, three attempts 1 s then 2 s apart, counted once as a success', async (t) => {
  const { receiver, call, webhook, finished, stats } = await setUp(t);
  receiver.script('/flaky', [500, 500, 200]);
  const hook = await webhook('/flaky');
  const { deliveries: [id] } = await call('events.emit', { event: 'message_sent', data: SENT });

  const delivery = await finished(id);
  assert.equal(delivery.state, 'delivered');
  assert.deepEqual(delivery.attempts.map((a) => a.status), [500, 500, 200]);
  const [first, second] = pauses(delivery.attempts);
  assert.ok(first >= 1000 && first < 2000, `first retry after ${first} ms`);
  assert.ok(second >= 2000 && second < 3000, `second retry after ${second} ms`);

  assert.equal(receiver.deliveries.length, 3);
  assertVerified(receiver.deliveries);
  assert.equal(new Set(receiver.deliveries.map((d) => d.headers['webhook-id'])).size, 1, 'same webhook-id on every retry');
  assert.equal(new Set(receiver.deliveries.map((d) => d.headers['x-autohook-delivery'])).size, 3, 'a new X-AutoHook-Delivery per attempt');
  assert.deepEqual(receiver.deliveries[2].json.data, SENT);
  const { triggers, successes, failures, lastStatus } = await stats(hook.id);
  assert.deepEqual({ triggers, successes, failures, lastStatus }, { triggers: 1, successes: 1, failures: 0, lastStatus: 200 });
});

test('always 500: four attempts then one failure; 404: one attempt, no retry', async (t) => {
  const { receiver, call, webhook, finished, stats } = await setUp(t);
  receiver.script('/down', [500]);
  receiver.script('/missing', [404]);
  // Three retries, as the default schedule has; the test above waits out its 1 s and 2 s.
  const down = await webhook('/down', { retrySchedule: [100, 100, 100] });
  const missing = await webhook('/missing');
  assert.deepEqual(missing.retrySchedule, [1000, 2000, 3000], 'the default schedule: three retries');
  const { deliveries } = await call('events.emit', { event: 'message_sent', data: SENT });
  const [toDown, toMissing] = await Promise.all(deliveries.map(finished)).then((all) =>
    [down, missing].map((hook) => all.find((d) => d.webhookId === hook.id)));

  assert.equal(toDown.state, 'failed');
  assert.deepEqual(toDown.attempts.map((a) => a.status), [500, 500, 500, 500]);
  assert.equal(toMissing.state, 'failed');
  assert.deepEqual(toMissing.attempts.map((a) => a.error), ['HTTP 404']);
  assert.equal(receiver.deliveries.filter((d) => d.path === '/down').length, 4);
  assert.equal(receiver.deliveries.filter((d) => d.path === '/missing').length, 1);
  assertVerified(receiver.deliveries);
  assert.deepEqual((({ triggers, failures }) => ({ triggers, failures }))(await stats(down.id)), { triggers: 1, failures: 1 });
  assert.deepEqual((({ triggers, failures }) => ({ triggers, failures }))(await stats(missing.id)), { triggers: 1, failures: 1 });
});

test('a hanging receiver times out at the webhook\'s limit and the retry delivers', async (t) => {
  const { receiver, call, webhook, finished } = await setUp(t);
  receiver.script('/slow', ['hang', 200]);
  await webhook('/slow', { timeoutMs: 1000, retrySchedule: [500] });
  const { deliveries: [id] } = await call('events.emit', { event: 'message_sent', data: SENT });

  const delivery = await finished(id);
  assert.equal(delivery.state, 'delivered');
  assert.equal(delivery.attempts[0].error, 'timed out after 1000 ms');
  assert.ok(delivery.attempts[0].durationMs >= 1000, `gave up after ${delivery.attempts[0].durationMs} ms`);
  assert.equal(delivery.attempts[1].status, 200);
  assert.equal(receiver.deliveries.length, 2);
});

test('a service worker stopped while a retry waits delivers it after restarting, with the same webhook-id', async (t) => {
  const { receiver, chromium, page, call, webhook } = await setUp(t);
  receiver.script('/later', [503, 200]);
  await webhook('/later', { retrySchedule: [3000] });
  const { deliveries: [id] } = await call('events.emit', { event: 'message_sent', data: SENT });
  await eventually(async () => (await call('deliveries.get', { id })).attempts[0]?.status === 503, { what: 'first attempt recorded' });

  // No extension page stays open to talk to the worker: only its alarm can wake it.
  await page.goto('about:blank');
  await chromium.stopWorker(page);
  await receiver.waitFor((all) => all.length === 2, 75_000);

  const [first, retry] = receiver.deliveries;
  assert.equal(retry.headers['webhook-id'], first.headers['webhook-id']);
  assert.notEqual(retry.headers['x-autohook-delivery'], first.headers['x-autohook-delivery']);
  assertVerified(receiver.deliveries);
  const callAgain = caller(await chromium.openPage('options/options.html'));
  const delivery = await eventually(async () => {
    const current = await callAgain('deliveries.get', { id });
    return current.state === 'delivered' && current;
  }, { what: 'delivery recorded as delivered' });
  assert.equal(delivery.attempts.length, 2);
  assert.deepEqual(chromium.errors, []);
});

test('a stopped worker starts without the log, delivers, then merges the log it reads with the new entry', async (t) => {
  const { receiver, chromium, page, call, webhook, finished } = await setUp(t);
  const hook = await webhook('/log');
  const before = [];
  for (let i = 0; i < 3; i++) before.push((await call('events.emit', { event: 'message_sent', data: SENT })).deliveries[0]);
  await Promise.all(before.map(finished));
  const stored = await storeIn(page).read();
  const paged = Object.entries(stored).filter(([key]) => key.startsWith('log/')).map(([, text]) => text).join();
  assert.ok(before.every((id) => paged.includes(id) && !stored[`delivery/${id}`]), 'each finished delivery moved into a log page');

  await chromium.stopWorker(page);
  const { deliveries: [after] } = await call('events.emit', { event: 'message_sent', data: SENT });
  await receiver.waitFor((all) => all.length === 4);
  await finished(after);
  const listed = (await call('deliveries.list', { webhookId: hook.id })).map((d) => d.id);
  assert.deepEqual(listed, [after, ...before.reverse()], 'the log read after the start, the new entry merged in, newest first');
  assertVerified(receiver.deliveries);
  assert.deepEqual(chromium.errors, []);
});

test('3 webhooks × 200 events at once: every pair arrives once and stats equal the receiver\'s counts', async (t) => {
  const { receiver, page, call, webhook, stats } = await setUp(t);
  const paths = ['/a', '/b', '/c'];
  const hooks = [];
  for (const path of paths) hooks.push(await webhook(path, { ratePerMinute: 1000 }));
  await page.evaluate((data) =>
    Promise.all(Array.from({ length: 200 }, (_, n) =>
      chrome.runtime.sendMessage({ type: 'events.emit', event: 'message_sent', data: { ...data, totalMessagesSent: n + 1 } }))), SENT);

  await receiver.waitFor((all) => all.length >= 600, 90_000);
  await eventually(async () => (await call('deliveries.list', { state: 'pending' })).length === 0, { what: 'outbox empty', timeoutMs: 30_000 });
  assert.equal(receiver.deliveries.length, 600);
  assertVerified(receiver.deliveries);
  for (const [index, path] of paths.entries()) {
    const received = receiver.deliveries.filter((d) => d.path === path);
    const counts = new Set(received.map((d) => d.json.data.totalMessagesSent));
    assert.equal(counts.size, 200, `${path} got each of the 200 events once`);
    const { triggers, successes, failures } = await stats(hooks[index].id);
    assert.deepEqual({ triggers, successes, failures }, { triggers: received.length, successes: received.length, failures: 0 });
  }
});

test('a GET webhook carries the envelope in the query, after the URL\'s own, signed over the query', async (t) => {
  const { receiver, call, webhook, finished } = await setUp(t);
  const hook = await webhook('/get', { method: 'GET' });
  await call('webhooks.update', { id: hook.id, changes: { url: `${receiver.url('/get')}?team=ops` } });
  const { deliveries: [id] } = await call('events.emit', { event: 'message_sent', data: SENT });

  assert.equal((await finished(id)).state, 'delivered');
  const [got] = receiver.deliveries;
  assert.equal(got.method, 'GET');
  assert.equal(got.body, '');
  const query = new URLSearchParams(got.query);
  assert.equal(query.get('team'), 'ops');
  assert.equal(query.get('event'), 'message_sent');
  assert.equal(query.get('id'), got.headers['webhook-id']);
  assert.equal(query.get('source'), 'AutoHook');
  assert.deepEqual(JSON.parse(query.get('data')), SENT);
  assertVerified(receiver.deliveries);
});

test('a webhook on an origin without host permission fails with that reason and sends nothing', async (t) => {
  const { call } = await setUp(t);
  // 127.0.0.2 is loopback too, but not among the origins granted at install.
  // A server listens there, so a request that went out anyway would be seen.
  const reached = [];
  const other = createServer((req, res) => {
    reached.push(req.url);
    res.end();
  });
  await new Promise((resolve) => other.listen(0, '127.0.0.2', resolve));
  t.after(() => new Promise((resolve) => other.close(resolve)));
  const url = `http://127.0.0.2:${other.address().port}/nope`;
  const hook = await call('webhooks.create', { webhook: { url } });
  const result = await call('webhooks.test', { id: hook.id });
  assert.equal(result.ok, false);
  assert.match(result.error, /^permission missing: AutoHook may not reach http:\/\/127\.0\.0\.2:\d+; grant access/);
  assert.deepEqual(reached, []);
});

test('a refused connection fails the Test with the browser\'s reason, and an event is retried then counted as one failure', async (t) => {
  const { call, finished, stats } = await setUp(t);
  // Nothing listens on port 9 (discard) on these machines' loopback.
  const hook = await call('webhooks.create', { webhook: { url: 'http://127.0.0.1:9/closed', events: ['error'], retrySchedule: [100] } });
  const result = await call('webhooks.test', { id: hook.id });
  assert.equal(result.ok, false);
  assert.match(result.error, /^connection failed: \S/);
  const { deliveries: [id] } = await call('events.emit', { event: 'error', data: { error: 'boom' } });
  const delivery = await finished(id);
  assert.equal(delivery.state, 'failed');
  assert.deepEqual(delivery.attempts.map((a) => [a.status, /^connection failed: /.test(a.error)]), [[null, true], [null, true]]);
  assert.deepEqual(await stats(hook.id).then((s) => [s.triggers, s.successes, s.failures]), [2, 0, 2]);
});

test('a filter that excludes an event leaves the receiver untouched and the log says why', async (t) => {
  const { receiver, call, webhook } = await setUp(t);
  await webhook('/filtered', { events: ['message_sent', 'error'], filters: { match: 'any', conditions: ['data.messagesSentToday >= 100', 'event == error'] } });
  await call('events.emit', { event: 'message_sent', data: { ...SENT, messagesSentToday: 99 } });
  const [skipped] = await call('deliveries.list', { state: 'skipped' });
  assert.equal(skipped.reason, 'skipped by filter: none of the conditions holds');

  await call('events.emit', { event: 'error', data: { error: 'boom' } });
  await receiver.waitFor((all) => all.length === 1);
  await call('events.emit', { event: 'message_sent', data: { ...SENT, messagesSentToday: 100 } });
  await receiver.waitFor((all) => all.length === 2);
  assert.deepEqual(receiver.deliveries.map((d) => d.json.event), ['error', 'message_sent']);
  assertVerified(receiver.deliveries);
});

test('every preset\'s body for every event is accepted by a receiver that checks it as the service does', async (t) => {
  const { receiver, call } = await setUp(t);
  // Every preset but a template's (tested below), each checked as its service checks: an envelope as any JSON.
  const presets = (await call('catalog.get')).presets.filter((preset) => !preset.usesTemplate);
  const events = await everyEvent(call);
  const values = { chatId: '-1001234567890' };
  const hooks = [];
  for (const { name, sendsEnvelope, needs } of presets) {
    receiver.service(`/${name}`, sendsEnvelope ? 'raw' : name);
    const needed = Object.fromEntries(needs.map((field) => [field, values[field]]));
    hooks.push(await call('webhooks.create', { webhook: { url: receiver.url(`/${name}`), preset: name, events, retrySchedule: [], ...needed } }));
  }
  const long = `${'x'.repeat(9000)} "quoted" \n new line ünïcödé 🎉 </script> <@everyone> &`;
  const data = { message: long, error: long, messagesSentToday: 100, totalMessagesSent: 1000, limit: 100, milestone: '1000_messages', value: 1000, stats: { messagesSentToday: 100, totalMessagesSent: 1000 } };
  for (const event of events) await call('events.emit', { event, data });
  for (const hook of hooks) await call('webhooks.test', { id: hook.id });

  const expected = hooks.length * (events.length + 1);
  await receiver.waitFor((all) => all.length === expected, 30_000);
  assert.deepEqual(receiver.deliveries.filter((d) => d.rejected).map((d) => `${d.path}: ${d.rejected}`), []);
  await eventually(async () => (await call('deliveries.list', { state: 'pending' })).length === 0, { what: 'all finished' });
  assert.deepEqual(await call('deliveries.list', { state: 'failed' }), []);
  const slack = receiver.deliveries.find((d) => d.path === '/slack' && d.json.text.startsWith('Daily limit'));
  assert.equal(slack.json.text, 'Daily limit of 100 messages reached');
});

test('custom templates render the body, a header and a GET query, escaped and signed over the bytes sent', async (t) => {
  const { receiver, call, webhook, finished } = await setUp(t);
  const template = '{\n  "text": "{{data.message}}",\n  "count": {{data.messagesSentToday | default:0}},\n  "day": "{{timestamp | date:"%Y-%m-%d"}}",\n  "data": {{data | json}}\n}';
  await webhook('/custom', { preset: 'custom', template, headers: { 'X-Event': '{{event | upper}} {{data.message | truncate:10}}' } });
  receiver.secret('/query', SECRET);
  await webhook('/query?src=autohook&text={{ data.message | truncate:12 }}&n={{data.messagesSentToday | default:0}}', { method: 'GET' });
  const hostile = 'say "hi"\r\n</script> ünï 🎉 & done';
  await call('events.emit', { event: 'message_sent', data: { ...SENT, message: hostile } });
  const all = await receiver.waitFor((got) => got.length === 2);
  const [body, query] = ['/custom', '/query'].map((path) => all.find((d) => d.path === path));
  assertVerified([body, query]);
  const day = body.json.day;
  assert.deepEqual(body.json, { text: hostile, count: 1, day, data: { ...SENT, message: hostile } });
  assert.match(day, /^\d{4}-\d{2}-\d{2}$/);
  // truncate:10 cuts between grapheme clusters, and CR LF is one: it is left out whole.
  assert.equal(body.headers['x-event'], 'MESSAGE_SENT say "hi"?', 'line breaks and non-Latin-1 characters cannot go in a header');
  const params = [...new URLSearchParams(query.query)];
  assert.deepEqual(params, [['src', 'autohook'], ['text', `${hostile.slice(0, 11)}…`], ['n', '1']]);

  const { deliveries: ids } = await call('events.emit', { event: 'message_sent', data: { messagesSentToday: 2 } });
  const failed = await Promise.all(ids.map(finished));
  assert.deepEqual(failed.map((d) => d.state), ['failed', 'failed']);
  assert.match(failed[0].reason, /^template: line 2, column 12: data\.message is not in the message_sent event/);
  assert.match(failed[1].reason, /^template: line 1, column 19: data\.message is not in the message_sent event/);
  assert.equal(receiver.deliveries.length, 2, 'nothing was sent for the event the templates cannot render');
});
