// Issue #14 on the settings page and popup, driven as a user drives them in
// real Chromium against the loopback receiver: the autoDisableAfter field,
// the notification switches, a card going from failing to turned off with
// its events held (badge, notification, popup), Redeliver all failed, and a
// notification's link to a webhook's log.
import assert from 'node:assert/strict';
import { test } from './fixtures.mjs';
import { eventually } from './api.mjs';
import { card, click, saveForm, settingsPage, text, waitText } from './ui.mjs';

test('Chromium: autoDisableAfter is set in the editor within the catalog\'s limits, and an error names it', async (t) => {
  const { receiver, page, call } = await settingsPage(t);
  const { min, max } = (await call('catalog.get')).limits.webhook.autoDisableAfter;
  assert.deepEqual(await page.$eval('#autoDisableAfter', (e) => [e.min, e.max]), [String(min), String(max)]);

  await page.type('#url', receiver.url('/limits'));
  await page.click('#editor details summary');
  await page.type('#autoDisableAfter', String(max + 1));
  await page.click('#save');
  await waitText(page, '#autoDisableAfter-error', /./);
  assert.deepEqual(await call('webhooks.list'), [], 'nothing is saved over the limit');

  await page.$eval('#autoDisableAfter', (e) => { e.value = ''; });
  await page.type('#autoDisableAfter', '3');
  await saveForm(page);
  const [saved] = await call('webhooks.list');
  assert.equal(saved.autoDisableAfter, 3);
  await page.waitForSelector(card);
  await click(page, `${card} .edit`);
  assert.equal(await page.$eval('#autoDisableAfter', (e) => e.value), '3', 'the editor shows the stored value');
});

test('Chromium: a notification switch flipped on the settings page stays so after a reload', async (t) => {
  const { page, call } = await settingsPage(t);
  const before = await call('notifications.get');
  const switches = () => page.$$eval('#notifications input', (inputs) => Object.fromEntries(inputs.map((i) => [i.dataset.kind, i.checked])));
  await page.waitForSelector('#notifications input[data-kind="dailyLimit"]');
  assert.deepEqual(await switches(), before, 'one switch per kind, as the core has them');

  await page.click('#notifications input[data-kind="dailyLimit"]');
  await eventually(async () => (await call('notifications.get')).dailyLimit === !before.dailyLimit, { what: 'dailyLimit saved' });
  await page.reload();
  await page.waitForSelector('#notifications input[data-kind="dailyLimit"]');
  assert.deepEqual(await switches(), { ...before, dailyLimit: !before.dailyLimit });
});

test('Chromium: a card shows its webhook failing, then turned off with its events held, and turning it on delivers them', async (t) => {
  const { receiver, chromium, page, call } = await settingsPage(t);
  receiver.script('/down', [500]);
  const webhook = await call('webhooks.create', { webhook: { url: receiver.url('/down'), name: 'Down', retrySchedule: [], autoDisableAfter: 2 } });
  const emit = () => call('events.emit', { event: 'message_sent', data: { message: 'hi' } });

  await emit();
  await page.waitForSelector(`${card} .health-state.failing`);
  await waitText(page, `${card} .failures-in-a-row`, /\b1\b/);
  await waitText(page, `${card} .last-reason`, /500/);

  await emit();
  await page.waitForSelector(`${card} .health-state.disabled`);
  await Promise.all([emit(), emit(), emit()]);
  await waitText(page, `${card} .deliver-held`, /\b3\b/);
  await assert.rejects(receiver.waitFor((all) => all.length > 2, 1000), /not met/, 'held events are not sent');

  // The shell showed what the core decided: the badge, a notification, the popup's notice.
  assert.equal(await page.evaluate(() => chrome.action.getBadgeText({})), '!');
  const shown = Object.keys(await page.evaluate(() => chrome.notifications.getAll()));
  assert.ok(shown.some((id) => id.startsWith(`disabled:${webhook.id}:`)), `a notification for the webhook: ${shown}`);
  const popup = await chromium.openPage('popup/popup.html');
  await waitText(popup, '#auto-disabled', /\b1\b/);
  await page.bringToFront(); // a tab in the background draws no frames, so the page would not redraw

  receiver.script('/down', [200]);
  await click(page, `${card} .deliver-held`);
  await receiver.waitFor((all) => all.length === 5);
  await page.waitForSelector(`${card} .health-state.healthy`);
  assert.equal(await page.$(`${card} .deliver-held`), null);
});

test('Chromium: Redeliver all failed confirms the count for the log\'s webhook and sends each failed event again', async (t) => {
  const { receiver, page, call, dialogs } = await settingsPage(t);
  receiver.script('/refuses', [404]);
  receiver.script('/other', [404]);
  const webhook = await call('webhooks.create', { webhook: { url: receiver.url('/refuses'), name: 'Refuses' } });
  await call('webhooks.create', { webhook: { url: receiver.url('/other'), name: 'Other' } });
  for (let i = 0; i < 3; i++) await call('events.emit', { event: 'message_sent', data: { message: `m${i}` } });
  await eventually(async () => (await call('deliveries.list', { state: 'failed' })).length === 6, { what: 'three failed for each' });
  const failedIds = receiver.deliveries.filter((d) => d.path === '/refuses').map((d) => d.headers['webhook-id']);

  receiver.script('/refuses', [200]);
  await page.waitForSelector(`#log-webhook option[value="${webhook.id}"]`);
  await page.select('#log-webhook', webhook.id);
  await click(page, '#redeliver-failed');
  await waitText(page, '#log-result', /\b3\b/);
  assert.equal(dialogs.length, 1);
  assert.match(dialogs[0], /\b3\b.*Refuses/);
  const again = await receiver.waitFor((all) => all.filter((d) => d.path === '/refuses').length === 6);
  const resent = again.filter((d) => d.path === '/refuses').slice(3).map((d) => d.headers['webhook-id']);
  assert.deepEqual(resent.sort(), failedIds.sort(), 'the same events, by webhook-id');
  assert.equal(again.filter((d) => d.path === '/other').length, 3, 'the other webhook\'s failed deliveries are not repeated');
});

test('Chromium: a notification\'s link opens the settings page on that webhook\'s log', async (t) => {
  const { chromium, call } = await settingsPage(t);
  // Four cards make the page taller than the window: landing on the log means scrolling.
  const names = ['First', 'Second', 'Third', 'Fourth'];
  const [, second] = await Promise.all(names.map((name) => call('webhooks.create', { webhook: { url: `http://127.0.0.1:9/${name}`, name, enabled: false } })));

  const linked = await chromium.openPage(`options/options.html?webhook=${second.id}#log`);
  await linked.waitForFunction((id) => document.getElementById('log-webhook').value === id, {}, second.id);
  assert.equal(await text(linked, '#log-webhook option:checked'), 'Second');
  await linked.waitForFunction(() => scrollY > 0);
});
