// Trust: nothing a page, a receiver, a profile or a keystroke does can stop,
// trick or bypass the background. Hostile input gets an error and the next
// request works; a trap is answered and recovered from; a receiver cannot
// hold an attempt or flood the worker; a corrupted profile degrades; a
// broken secret fails closed; content scripts cannot read credentials; a
// dropped reply is retried and acted on once.
import assert from 'node:assert/strict';
import { freshChromium, receiverAndFirefox, receiverAndSettingsPage, test } from './fixtures.mjs';
import { SECRET } from './receiver.mjs';
import { asker, caller, eventually } from './api.mjs';
import { storeIn, storeInFirefox } from './store.mjs';
import { click } from './ui.mjs';

const TOKEN = 'Bearer tok-8c1f0e9a77';

test('hostile filters, templates, cron and messages get a clear error, and the next request works', async (t) => {
  const { receiver, page } = await receiverAndSettingsPage(t);
  const ask = asker(page);
  const base = { url: receiver.url('/hook') };
  const refusals = [
    [{ ...base, filters: { conditions: ['data.messagesSentToday ≥ 100'] } }, 'filters'],
    [{ ...base, filters: { conditions: [`event in ${'['.repeat(5000)}`] } }, 'filters'],
    [{ ...base, preset: 'custom', template: '{"a": "\\u{{event}}"}' }, 'template'],
    [{ ...base, preset: 'custom', template: '{"a": -{{event | json}}}' }, 'template'],
    [{ ...base, preset: 'custom', template: '{{'.repeat(50_000) }, 'template'],
    [{ ...base, name: 'n'.repeat(10_000) }, 'name'],
    [{ url: `https://example.com/${'a'.repeat(100_000)}` }, 'url'],
    [{ ...base, headersJson: '['.repeat(10_000) }, 'headers'],
  ];
  for (const [webhook, field] of refusals) {
    for (const type of ['webhooks.preview', 'webhooks.create']) {
      const reply = await ask(type, { webhook });
      assert.equal(reply.ok, false, `${type} ${JSON.stringify(webhook).slice(0, 80)}`);
      assert.equal(reply.error.field, field, JSON.stringify(reply.error));
      assert.ok(reply.error.message.length > 0);
    }
    assert.deepEqual(await ask('webhooks.list'), { ok: true, value: [] }, 'the background still answers, and nothing was stored');
  }
  const schedule = await ask('campaign.configure', { settings: { schedule: { cron: `0 9 ${'1,'.repeat(20_000)}1 * *` } } });
  assert.equal(schedule.error.field, 'schedule');
  // Built in the page: puppeteer itself cannot pass an argument this deep.
  const deep = await page.evaluate((depth) => chrome.runtime.sendMessage({
    type: 'events.emit', event: 'message_sent', data: JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  }), 3000);
  assert.equal(deep.error.code, 'bad_request');
  assert.match(deep.error.message, /recursion limit/);
  assert.equal((await ask('settings.get')).ok, true);
});

test('a trap in the module answers every caller with internal, and a fresh core carries on from storage', async (t) => {
  const { receiver, page } = await receiverAndSettingsPage(t, { build: 'test-hooks' });
  const [ask, call] = [asker(page), caller(page)];
  receiver.secret('/after', SECRET);
  receiver.script('/hang', ['hang']);
  const hook = await call('webhooks.create', { webhook: { url: receiver.url('/after'), secret: SECRET, events: ['message_sent'] } });
  const hanging = await call('webhooks.create', { webhook: { url: receiver.url('/hang'), timeoutMs: 120_000 } });

  // A Test waiting on a receiver that never answers is in flight when the module traps.
  const waiting = ask('webhooks.test', { id: hanging.id });
  await receiver.waitFor((all) => all.some((d) => d.path === '/hang'));
  assert.equal((await ask('test.trap')).error.code, 'internal');
  assert.equal((await waiting).error.code, 'internal', 'the caller left waiting by the trap is answered');
  assert.deepEqual((await call('webhooks.list')).map((w) => w.id), [hook.id, hanging.id], 'state comes back from storage');

  assert.equal((await ask('test.trapLater')).error.code, 'internal', 'a trap in a task after an await');
  const { deliveries: [id] } = await call('events.emit', { event: 'message_sent', data: { message: 'after the traps' } });
  await receiver.waitFor((all) => all.some((d) => d.path === '/after'));
  const delivered = receiver.deliveries.find((d) => d.path === '/after');
  assert.deepEqual(delivered.verified, { standard: true, hex: true });
  assert.equal(delivered.json.data.message, 'after the traps');
  await eventually(async () => (await call('deliveries.get', { id })).state === 'delivered', { what: 'delivered and logged' });
});

test('a core that traps while starting answers internal, never loops, and starts once storage is fixed', async (t) => {
  const chromium = await freshChromium(t, { build: 'test-hooks' });
  const page = await chromium.openPage('options/options.html');
  const [ask, call] = [asker(page), caller(page)];
  const hook = await call('webhooks.create', { webhook: { url: 'http://127.0.0.1:9/in' } });
  const store = storeIn(page);
  await store.write({ 'test.trapOnStart': 'yes' });
  assert.equal((await ask('test.trap')).error.code, 'internal');
  for (let attempt = 0; attempt < 2; attempt++) {
    assert.equal((await ask('webhooks.list')).error.code, 'internal', 'each caller gets an answer, and tries one start');
  }
  await store.write({}, { remove: ['test.trapOnStart'] });
  assert.deepEqual((await call('webhooks.list')).map((w) => w.id), [hook.id]);
});

test('a receiver that never finishes its body, or floods it, cannot hold an attempt or fill the worker', async (t) => {
  const { receiver, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  receiver.script('/stall', ['stall']);
  receiver.script('/flood', ['flood']);
  const stall = await call('webhooks.create', { webhook: { url: receiver.url('/stall'), timeoutMs: 60_000 } });
  const flood = await call('webhooks.create', { webhook: { url: receiver.url('/flood'), timeoutMs: 60_000 } });

  const stalled = await call('webhooks.test', { id: stall.id });
  assert.equal(stalled.ok, true, JSON.stringify(stalled));
  assert.equal(stalled.status, 200);
  assert.equal(stalled.responseBody, 'started, never finished');
  await eventually(() => receiver.cutShort('/stall'), { what: 'the stalled download given up' });

  const flooded = await call('webhooks.test', { id: flood.id });
  assert.equal(flooded.ok, true, JSON.stringify(flooded));
  assert.equal(flooded.responseBody, 'x'.repeat(1024), 'the first KB, as the log keeps it');
  await eventually(() => receiver.cutShort('/flood'), { what: 'the flood\'s download cancelled' });
  assert.ok(receiver.streamed('/flood') < 32 * 1024 * 1024, `the download was cancelled after ${receiver.streamed('/flood')} bytes`);
});

/** The stored form of a webhook whose secret no longer parses, as another build might leave it. */
const brokenWebhook = (url) => ({
  id: 'wh_broken', name: 'Broken secret', url, method: 'POST', events: ['message_sent'], headers: [],
  secret: 'whsec_***not base64***', enabled: true, retrySchedule: [1000], timeoutMs: 10000, ratePerMinute: 100,
  createdAt: 1, updatedAt: 1, disabledReason: null,
});

test('a corrupted profile degrades: unreadable records are set aside with Delete, a broken secret fails closed', async (t) => {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const [ask, call] = [asker(page), caller(page)];
  await call('settings.get');
  await chromium.stopWorker(page);
  await storeIn(page).write(
    { settings: '{"enabled": tr', 'delivery/dlv_cut': '{"id": "dlv_cut", "webhookId": "wh_' },
    { sealed: { webhooks: JSON.stringify([brokenWebhook(receiver.url('/signed')), { id: 'wh_half', url: 42 }]) } },
  );
  // The open page may have woken the worker meanwhile: the next start reads what was written.
  await chromium.stopWorker(page);

  const [webhook] = await call('webhooks.list');
  assert.equal(webhook.enabled, false);
  assert.match(webhook.disabledReason, /secret/);
  const unreadable = await call('storage.unreadable');
  assert.deepEqual(unreadable.map((r) => r.origin).sort(), ['delivery/dlv_cut', 'settings', 'webhooks[1]']);

  const tested = await call('webhooks.test', { id: webhook.id });
  assert.equal(tested.ok, false);
  assert.match(tested.error, /secret .*not sent, since it would go out unsigned/);
  const enable = await ask('webhooks.setEnabled', { id: webhook.id, enabled: true });
  assert.equal(enable.error.field, 'secret');
  assert.equal(receiver.deliveries.length, 0, 'nothing went out unsigned');

  await page.reload();
  await page.waitForSelector('#unreadable:not([hidden]) li');
  assert.equal((await page.$$('#unreadable li')).length, 3);
  // The page redraws as the background writes (the badge marked seen on load): click as a user would, again if redrawn.
  await click(page, '#unreadable li[data-name="settings"] button');
  await page.waitForFunction(() => document.querySelectorAll('#unreadable li').length === 2);
  assert.equal((await call('storage.unreadable')).length, 2);
});

/** What a content script in a loopback tab reads from storage.local. */
const readStorageAsContentScript = `
  const tab = (await ext.tabs.query({})).find((candidate) => candidate.url?.startsWith(arguments[0]));
  const [{ result }] = await ext.scripting.executeScript({ target: { tabId: tab.id }, func: async () => {
    try { return JSON.stringify(await (globalThis.browser ?? chrome).storage.local.get(null)); }
    catch (error) { return 'refused: ' + error.message; }
  } });
  return result;`;

function assertNoCredentials(seen) {
  assert.ok(!seen.includes(SECRET) && !seen.includes('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), 'no secret');
  assert.ok(!seen.includes('tok-8c1f0e9a77'), 'no credential header');
}

test('Chromium: a content script finds nothing of AutoHook\'s in storage', async (t) => {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  await call('webhooks.create', { webhook: { url: receiver.url('/hook'), secret: SECRET, headers: { Authorization: TOKEN } } });
  const tab = await chromium.browser.newPage();
  await tab.goto(receiver.url('/chat'));
  const seen = await page.evaluate(`(async () => { const ext = chrome; ${readStorageAsContentScript} })()`.replace('arguments[0]', JSON.stringify(receiver.base)));
  assertNoCredentials(seen);
  assert.equal(seen, '{}', 'AutoHook keeps its records in its own IndexedDB, not storage.local');
  assert.ok((await storeIn(page).read()).webhooks.startsWith('sealed:v2:'), 'where they are sealed');
});

test('a 1.0.0 profile moves out of storage.local once, its sealed records bound to their names', async (t) => {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const store = storeIn(page);
  receiver.secret('/hook', SECRET);
  await chromium.stopWorker(page);
  const webhook = { ...brokenWebhook(receiver.url('/hook')), id: 'wh_old', name: 'From 1.0.0', secret: SECRET };
  await store.legacy({ settings: '{"enabled": true}' }, { webhooks: JSON.stringify([webhook]) });
  // The open page may have woken the worker meanwhile: the next start is the update's.
  await chromium.stopWorker(page);

  const [moved] = await caller(page)('webhooks.list');
  assert.deepEqual([moved.id, moved.enabled], ['wh_old', true]);
  const leftInStorageLocal = () => page.evaluate(async () => Object.keys(await chrome.storage.local.get(null)).length);
  await eventually(async () => (await leftInStorageLocal()) === 0, { what: 'storage.local left empty' });
  const records = await store.read();
  assert.ok(records.webhooks.startsWith('sealed:v2:'), records.webhooks.slice(0, 20));
  await caller(page)('events.emit', { event: 'message_sent', data: { message: 'moved' } });
  const [delivered] = await receiver.waitFor((all) => all.length === 1);
  assert.deepEqual(delivered.verified, { standard: true, hex: true }, 'signed with the secret that moved');

  // Moved once: what storage.local holds later is never read again.
  await page.evaluate(() => chrome.storage.local.set({ settings: '{"enabled": false}' }));
  await chromium.stopWorker(page);
  assert.equal((await caller(page)('settings.get')).enabled, true);
});

test('a profile from before the log had its own store opens with its records, its logged deliveries paged', async (t) => {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  receiver.secret('/hook', SECRET);
  const hook = await call('webhooks.create', { webhook: { url: receiver.url('/hook'), secret: SECRET, events: ['message_sent'] } });
  const { deliveries: [id] } = await call('events.emit', { event: 'message_sent', data: { message: 'before' } });
  await eventually(async () => (await call('deliveries.get', { id })).state === 'delivered', { what: 'delivered' });
  const store = storeIn(page);
  await eventually(async () => JSON.stringify(await store.read()).includes(id), { what: 'its log page written' });

  assert.deepEqual(await store.downgrade(), [`delivery/${id}`]);
  await chromium.stopWorker(page);
  const [listed] = await call('deliveries.list', { webhookId: hook.id });
  assert.deepEqual([listed.id, listed.state], [id, 'delivered'], 'the logged delivery loads');
  assert.equal((await call('webhooks.list'))[0].id, hook.id, 'the sealed webhooks open');
  const stored = await eventually(async () => {
    const records = await store.read();
    return !records[`delivery/${id}`] && records;
  }, { what: 'its old key removed' });
  assert.ok(Object.entries(stored).some(([key, text]) => key.startsWith('log/') && text.includes(id)), 'moved into a log page');
  await call('events.emit', { event: 'message_sent', data: { message: 'after' } });
  await receiver.waitFor((all) => all.length === 2);
  assert.deepEqual(receiver.deliveries.map((d) => d.verified), [{ standard: true, hex: true }, { standard: true, hex: true }]);
});

test('a lost sealing key sets the sealed records aside, with a banner and a notification saying what to do', async (t) => {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  await call('webhooks.create', { webhook: { url: receiver.url('/hook'), secret: SECRET } });
  await call('campaign.configure', { settings: { phrases: ['sealed phrase'] } });
  await chromium.stopWorker(page);
  await storeIn(page).loseKey();
  await chromium.stopWorker(page);

  await page.reload();
  await page.waitForSelector('#unopenable-banner:not([hidden])');
  assert.match(await page.$eval('#unopenable-banner', (e) => e.textContent), /key .* gone/);
  const setAside = await call('storage.unreadable');
  assert.deepEqual(setAside.map((r) => [r.origin, r.unopenable]).sort(), [['campaign', true], ['replies', true], ['webhooks', true]]);
  assert.ok(setAside.every((r) => r.preview === ''), 'a sealed record is never previewed');
  assert.deepEqual(await call('webhooks.list'), []);
  const shown = Object.keys(await page.evaluate(() => chrome.notifications.getAll()));
  assert.equal(shown.filter((id) => id.startsWith('recordsUnopenable:')).length, 1, `one notification: ${shown}`);

  // Set up again under the new key; once the set-aside records are deleted, the banner goes.
  await call('webhooks.create', { webhook: { url: receiver.url('/hook'), secret: SECRET } });
  for (const { name } of setAside) await call('storage.deleteUnreadable', { name });
  await page.waitForSelector('#unopenable-banner[hidden]');
});

/**
 * A content script in the receiver's tab (where `run` can reach it) that
 * tries what a hostile one would: write records into storage.local as
 * 1.0.0 kept them (a pending delivery of its own making for an existing
 * webhook, a webhooks list of its own, the settings) and open AutoHook's
 * database from its page.
 */
const forgeAsContentScript = `
  const tab = (await ext.tabs.query({})).find((candidate) => candidate.url?.startsWith(arguments[0]));
  const [{ result }] = await ext.scripting.executeScript({ target: { tabId: tab.id }, args: [arguments[1]], func: async (records) => {
    await browser.storage.local.set(records);
    const open = indexedDB.open('autohook');
    const db = await new Promise((resolve, reject) => { open.onsuccess = () => resolve(open.result); open.onerror = () => reject(open.error); });
    const stores = [...db.objectStoreNames];
    db.close();
    return { stores, wrote: Object.keys(await browser.storage.local.get(null)) };
  } });
  return result;`;

test('Firefox ESR: records a content script writes are never read, signed or sent', async (t) => {
  const { receiver, firefox, run, ask } = await receiverAndFirefox(t, { visit: '/chat' });
  receiver.secret('/hook', SECRET);
  const created = await ask('webhooks.create', { webhook: { url: receiver.url('/hook'), secret: SECRET, headers: { Authorization: TOKEN }, events: ['message_sent'] } });
  assert.equal(created.ok, true, JSON.stringify(created));
  const { value: { deliveries: [sent] } } = await ask('events.emit', { event: 'message_sent', data: { message: 'real' } });
  await eventually(async () => (await ask('deliveries.get', { id: sent })).value.state === 'delivered', { what: 'the real event delivered' });
  const logged = (await ask('deliveries.get', { id: sent })).value;

  // A copy of the logged delivery, pending again with data of its own, and a webhooks list in the clear.
  const forged = { ...logged, id: 'dlv_forged', state: 'pending', finishedAt: null, attempts: [], request: null, nextAt: 0,
    event: { ...logged.event, id: 'msg_forged', data: { message: 'forged' } } };
  const records = {
    'delivery/dlv_forged': JSON.stringify(forged),
    webhooks: JSON.stringify([{ ...created.value, url: receiver.url('/elsewhere') }]),
    settings: '{"enabled": true}',
  };
  const seen = await run(forgeAsContentScript, receiver.base, records);
  assert.deepEqual(seen.stores, [], 'the page\'s database of that name is the page\'s own, empty');
  assert.deepEqual(seen.wrote.sort(), Object.keys(records).sort(), 'storage.local took the writes');

  await firefox.stopBackground();
  await ask('events.emit', { event: 'message_sent', data: { message: 'after' } });
  await receiver.waitFor((all) => all.some((d) => d.json?.data?.message === 'after'));
  const messages = receiver.deliveries.filter((d) => d.path === '/hook').map((d) => d.json.data.message);
  assert.deepEqual(messages, ['real', 'after'], 'the forged delivery was never sent');
  assert.ok(!receiver.deliveries.some((d) => d.path === '/elsewhere'), 'nothing went to the forged URL');
  assert.deepEqual((await ask('webhooks.list')).value.map((w) => w.url), [receiver.url('/hook')]);
  assert.deepEqual((await ask('storage.unreadable')).value, [], 'nothing of it was even read');
  assert.ok((await storeInFirefox(run).read()).webhooks.startsWith('sealed:v2:'));
});

/**
 * The receiver's site sets a cookie in a tab (`visit` opens it), then a
 * webhook on that site gets a Test and an event: neither request may carry
 * the cookie. Receivers authenticate by headers or the signature, never by
 * what the user's browser holds for their site.
 */
async function assertNoCookieSent(receiver, ask, visit) {
  receiver.script('/login', [{ status: 200, headers: { 'Set-Cookie': 'session=users-own-cookie; Path=/; SameSite=Lax' }, body: 'signed in' }]);
  await visit(receiver.url('/login'));
  assert.equal(receiver.deliveries[0].path, '/login');
  const created = await ask('webhooks.create', { webhook: { url: receiver.url('/hook'), events: ['message_sent'] } });
  assert.equal(created.ok, true, JSON.stringify(created));
  assert.equal((await ask('webhooks.test', { id: created.value.id })).ok, true);
  await ask('events.emit', { event: 'message_sent', data: { message: 'hi' } });
  const sent = await receiver.waitFor((all) => all.filter((d) => d.path === '/hook').length === 2);
  assert.deepEqual(sent.filter((d) => d.path === '/hook').map((d) => d.headers.cookie ?? null), [null, null]);
  const again = await visit(receiver.url('/login'));
  assert.equal(again, 'session=users-own-cookie', 'the browser does hold the cookie for that site');
}

test('Chromium: webhook requests carry none of the browser\'s cookies for the receiver\'s site', async (t) => {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const tab = await chromium.browser.newPage();
  const visit = async (url) => {
    await tab.goto(url);
    return tab.evaluate(() => document.cookie);
  };
  await assertNoCookieSent(receiver, asker(page), visit);
});

test('Firefox ESR: webhook requests carry none of the browser\'s cookies for the receiver\'s site', async (t) => {
  const { receiver, driver, ask } = await receiverAndFirefox(t);
  const settings = await driver.getWindowHandle();
  const visit = async (url) => {
    await driver.switchTo().newWindow('tab');
    await driver.get(url);
    const cookie = await driver.executeScript('return document.cookie;');
    await driver.close();
    await driver.switchTo().window(settings);
    return cookie;
  };
  await assertNoCookieSent(receiver, ask, visit);
});

test('a reply dropped by a stopping worker is asked for again and the event is raised once', async (t) => {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t, { build: 'test-hooks' });
  const call = caller(page);
  receiver.secret('/once', SECRET);
  await call('webhooks.create', { webhook: { url: receiver.url('/once'), secret: SECRET, events: ['message_sent'] } });

  // Through the pages' own call(): the background stores and sends the event
  // but holds its reply; the worker is stopped before it answers.
  await page.evaluate(async () => {
    const { call: send } = await import(chrome.runtime.getURL('shared/ext.js'));
    globalThis.emitted = send('events.emit', { event: 'message_sent', data: { message: 'once' }, testHoldReply: true });
  });
  // Stopped once the delivery's result is stored: only the reply is lost.
  await eventually(async () => (await call('deliveries.list'))[0]?.state === 'delivered', { what: 'delivered, reply still held' });
  await chromium.stopWorker(page);
  const { deliveries } = await page.evaluate(() => globalThis.emitted);
  assert.equal(deliveries.length, 1);
  await eventually(async () => (await call('deliveries.get', { id: deliveries[0] })).state === 'delivered', { what: 'the one delivery logged' });
  assert.equal(receiver.deliveries.length, 1, 'the event was raised and sent once');
  assert.deepEqual(receiver.deliveries[0].verified, { standard: true, hex: true });
  assert.equal((await call('deliveries.list')).length, 1);
});

test('Firefox ESR: a reply dropped by a stopped event page is asked for again and the event is raised once', async (t) => {
  const { receiver, firefox, run, ask } = await receiverAndFirefox(t, { build: 'test-hooks' });
  receiver.secret('/once', SECRET);
  await ask('webhooks.create', { webhook: { url: receiver.url('/once'), secret: SECRET } });
  await run(`const { call } = await import(browser.runtime.getURL('shared/ext.js'));
    window.emitted = call('events.emit', { event: 'message_sent', data: { message: 'once' }, testHoldReply: true }).catch((e) => ({ thrown: String(e) }));`);
  const list = async () => (await ask('deliveries.list')).value;
  await eventually(async () => (await list())[0]?.state === 'delivered', { what: 'delivered, reply still held' });
  await firefox.stopBackground();
  const { deliveries } = await run('return await window.emitted;');
  assert.equal(deliveries.length, 1);
  assert.equal((await list()).length, 1);
  assert.equal(receiver.deliveries.length, 1, 'the event was raised and sent once');
  assert.deepEqual(receiver.deliveries[0].verified, { standard: true, hex: true });
});

test('the log holds no credential, even when the receiver echoes the request back', async (t) => {
  const { receiver, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  receiver.script('/bot123456:AAH-secret-token_99/sendMessage', ['echo']);
  const secret = 'plain-signing-secret-42';
  const hook = await call('webhooks.create', { webhook: {
    url: receiver.url('/bot123456:AAH-secret-token_99/sendMessage?token=qs-token-777#fragment-token-888'),
    secret, headers: { Authorization: TOKEN, 'X-Copy': TOKEN.split(' ')[1] },
  } });
  const { deliveryId } = await call('webhooks.test', { id: hook.id });
  const delivery = await call('deliveries.get', { id: deliveryId });
  assert.equal(delivery.attempts.at(-1).status, 200);
  const logged = JSON.stringify(delivery);
  for (const credential of [secret, 'tok-8c1f0e9a77', 'AAH-secret-token_99', 'qs-token-777', 'fragment-token-888']) {
    assert.ok(!logged.includes(credential), `the log shows ${credential}`);
    assert.ok(!logged.includes(encodeURIComponent(credential)), `the log shows ${credential} percent-encoded`);
  }
  assert.ok(receiver.deliveries[0].headers.authorization === TOKEN, 'the receiver got the real request');
});

test('Firefox ESR: hostile input, a stalled receiver, a trap and a corrupted profile leave a working background', async (t) => {
  const { receiver, run, ask } = await receiverAndFirefox(t, { build: 'test-hooks' });
  receiver.secret('/after', SECRET);
  receiver.script('/stall', ['stall']);
  const hook = (await ask('webhooks.create', { webhook: { url: receiver.url('/after'), secret: SECRET, events: ['message_sent'] } })).value;

  const hostile = await ask('webhooks.preview', { webhook: { url: receiver.url('/x'), filters: { conditions: ['data.n ≥ 100'] } } });
  assert.equal(hostile.error.field, 'filters');
  const stall = (await ask('webhooks.create', { webhook: { url: receiver.url('/stall'), timeoutMs: 60_000 } })).value;
  const stalled = (await ask('webhooks.test', { id: stall.id })).value;
  assert.deepEqual([stalled.ok, stalled.responseBody], [true, 'started, never finished']);

  // The fresh core after the trap loads what is stored now, sealed records included.
  await storeInFirefox(run).write({ settings: '{"enabled": tr', 'delivery/dlv_cut': '{"id": "dlv_' });
  assert.equal((await ask('test.trap')).error.code, 'internal');
  const unreadable = (await ask('storage.unreadable')).value;
  assert.deepEqual(unreadable.map((r) => r.origin).sort(), ['delivery/dlv_cut', 'settings']);
  assert.deepEqual((await ask('webhooks.list')).value.map((w) => w.id), [hook.id, stall.id]);
  await ask('events.emit', { event: 'message_sent', data: { message: 'after' } });
  await receiver.waitFor((all) => all.some((d) => d.path === '/after'));
  assert.deepEqual(receiver.deliveries.find((d) => d.path === '/after').verified, { standard: true, hex: true });
});
