// Batch events in real Chromium against the loopback receiver, which
// verifies both signatures of every request: 25 events with maxEvents 10
// arrive as 10, 10 and 5 (the last on its deadline), and an open batch
// survives the service worker being stopped and arrives once; and the
// editor's Batch control and the log's view of a batch; every preset's
// batch body is accepted by a receiver that checks it as the service does.
import assert from 'node:assert/strict';
import { receiverAndSettingsPage, test } from './fixtures.mjs';
import { SECRET } from './receiver.mjs';
import { caller, eventually } from './api.mjs';
import { click, saveForm, settingsPage, text, waitText } from './ui.mjs';

async function setUp(t, batch) {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  receiver.secret('/batch', SECRET);
  const hook = await call('webhooks.create', { webhook: { url: receiver.url('/batch'), secret: SECRET, events: ['message_sent'], batch } });
  const emit = async (from, to) => {
    for (let n = from; n < to; n += 1) await call('events.emit', { event: 'message_sent', data: { message: `m${n}`, n } });
  };
  return { receiver, chromium, page, call, hook, emit };
}

/** The `data.n` of each event a received batch carried. */
const numbers = (delivery) => delivery.json.batch.map((event) => event.data.n);

test('25 events with maxEvents 10: three signed requests with 10, 10 and 5 events, the last on its deadline', async (t) => {
  const { receiver, call, hook, emit } = await setUp(t, { maxEvents: 10, maxWaitSeconds: 3 });
  const emitted = Date.now();
  await emit(0, 25);
  await receiver.waitFor((all) => all.length === 3, 30_000);

  const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);
  assert.deepEqual(receiver.deliveries.map(numbers), [range(0, 10), range(10, 20), range(20, 25)]);
  for (const delivery of receiver.deliveries) {
    assert.deepEqual(delivery.verified, { standard: true, hex: true });
    assert.equal(delivery.headers['x-autohook-event'], 'batch');
    assert.equal(delivery.headers['webhook-id'], delivery.json.id);
    assert.equal(delivery.json.count, delivery.json.batch.length);
  }
  const last = receiver.deliveries[2];
  assert.ok(last.receivedAt - emitted >= 3000, `the last batch waited for its deadline (${last.receivedAt - emitted} ms)`);
  const [listed] = (await call('webhooks.list')).filter((w) => w.id === hook.id);
  assert.equal(listed.stats.triggers, 3, 'one trigger per request');
  // The last response is stored a moment after the receiver has the request.
  const logged = await eventually(async () => {
    const all = await call('deliveries.list', { webhookId: hook.id });
    return all.every((d) => d.state !== 'pending') && all;
  }, { what: 'every batch answered' });
  assert.deepEqual(logged.map((d) => [d.state, d.batch.length]), [['delivered', 5], ['delivered', 10], ['delivered', 10]]);
});

test('a worker stopped with an open batch: the batch still arrives, once', async (t) => {
  const { receiver, chromium, page, emit } = await setUp(t, { maxEvents: 10, maxWaitSeconds: 5 });
  await emit(0, 3);
  // No extension page stays open to talk to the worker: only its alarm can wake it.
  await page.goto('about:blank');
  await chromium.stopWorker(page);
  await receiver.waitFor((all) => all.length === 1, 75_000);
  assert.deepEqual(numbers(receiver.deliveries[0]), [0, 1, 2]);
  assert.deepEqual(receiver.deliveries[0].verified, { standard: true, hex: true });

  const call = caller(await chromium.openPage('options/options.html'));
  const [logged] = await call('deliveries.list');
  assert.deepEqual([logged.state, logged.batch.length], ['delivered', 3]);
  assert.equal(receiver.deliveries.length, 1, 'sent once');
});

test('Chromium: the editor sets a batch within the catalog\'s limits, and the log opens a batch to its events', async (t) => {
  const { receiver, page, call } = await settingsPage(t);
  const { maxEvents } = (await call('catalog.get')).limits.webhook.batch;
  assert.deepEqual(await page.$eval('#batchMaxEvents', (e) => [e.min, e.max]), [String(maxEvents.min), String(maxEvents.max)]);

  await page.type('#url', receiver.url('/batch'));
  await page.click('#editor details summary');
  await page.type('#batchMaxEvents', String(maxEvents.max + 1));
  await page.type('#batchMaxWaitSeconds', '60');
  await page.click('#save');
  await waitText(page, '#batch-error', /maxEvents/);
  assert.deepEqual(await call('webhooks.list'), [], 'nothing is saved out of range');

  await page.$eval('#batchMaxEvents', (e) => { e.value = ''; });
  await page.type('#batchMaxEvents', '2');
  await saveForm(page);
  const [saved] = await call('webhooks.list');
  assert.deepEqual(saved.batch, { maxEvents: 2, maxWaitSeconds: 60 });

  for (const n of [1, 2]) await call('events.emit', { event: 'message_sent', data: { message: `m${n}` } });
  await receiver.waitFor((all) => all.length === 1);
  assert.equal(receiver.deliveries[0].json.count, 2);
  const [newest] = await call('deliveries.list', { limit: 1 });
  // The open batch was logged with its first event, then pending with both:
  // open the row once its last redraw, delivered, has landed.
  await waitText(page, `#log-list li:first-child[data-id="${newest.id}"] .state`, /^Delivered$/);
  assert.equal(await text(page, '#log-list li:first-child summary code'), 'batch of 2');
  await click(page, '#log-list li summary');
  await page.waitForSelector('#log-list li details[open] .batch-events li', { visible: true });
  const listed = await page.$$eval('#log-list li details[open] .batch-events li', (items) => items.map((li) => li.textContent));
  assert.equal(listed.length, 2);
  assert.match(listed[0], /message_sent.*m1/);
});

test('every preset sends a batch of long events as one body its service accepts, a digest for the chat services', async (t) => {
  const { receiver, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  const presets = (await call('catalog.get')).presets.filter((preset) => !preset.usesTemplate);
  for (const { name, sendsEnvelope, needs } of presets) {
    receiver.service(`/${name}`, sendsEnvelope ? 'raw' : name);
    const chat = needs.includes('chatId') ? { chatId: '-1001234567890' } : {};
    const batch = { maxEvents: 40, maxWaitSeconds: 60 };
    await call('webhooks.create', { webhook: { url: receiver.url(`/${name}`), preset: name, retrySchedule: [], batch, ...chat } });
  }
  const long = `${'x'.repeat(400)} "quoted" \n ünïcödé 🎉 </script> <@everyone> &`;
  for (let n = 0; n < 40; n += 1) await call('events.emit', { event: 'message_sent', data: { message: `${n} ${long}` } });
  await receiver.waitFor((all) => all.length === presets.length, 30_000);

  assert.deepEqual(receiver.deliveries.filter((d) => d.rejected).map((d) => `${d.path}: ${d.rejected}`), []);
  const telegram = receiver.deliveries.find((d) => d.path === '/telegram').json.text;
  assert.match(telegram, /^40 events\n• Message sent: “0 x+/);
  assert.match(telegram, /\n\+ \d+ more$/, 'what does not fit is counted');
});
