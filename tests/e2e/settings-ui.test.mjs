// The settings page and popup driven as a user drives them, in real
// Chromium against the loopback receiver; takes the README's screenshots
// (shots.mjs says where they go).
import assert from 'node:assert/strict';
import { test } from './fixtures.mjs';
import { eventually } from './api.mjs';
import { readmeShot } from './shots.mjs';
import { card, click, saveForm, settingsPage as setUp, text, waitText } from './ui.mjs';

const HOSTILE = '<img src=x onerror=alert(1)>';
const cardText = (page, selector) => text(page, `${card} ${selector}`);

test('Chromium: a user adds, fixes, tests, edits, toggles, redelivers, clears and deletes a webhook', async (t) => {
  const { receiver, page, call, dialogs } = await setUp(t);

  // Bad URL, then a bad header: each error shows next to its field and nothing is saved.
  await page.type('#url', 'ftp://example.com/hook');
  await page.click('#save');
  await waitText(page, '#url-error', /http or https, not ftp/);
  await page.$eval('#url', (e) => { e.value = ''; });
  await page.type('#url', receiver.url('/ui'));
  await page.click('#add-header');
  await page.type('.header-name', 'Cookie');
  await page.type('.header-value', 'a=b');
  await page.click('#save');
  await waitText(page, '#headers-error', /"Cookie" is forbidden: the browser would drop it/);
  assert.equal((await text(page, '#url-error')), '', 'the URL error cleared once the URL was valid');
  assert.deepEqual(await call('webhooks.list'), []);
  await page.$eval('.header-name', (e) => { e.value = ''; });
  await page.type('.header-name', 'X-Team');
  // A header is secret unless switched off: its value then shows.
  await waitText(page, '#preview', /X-Team: •••• \(X-Team\)/);
  await page.click('.header-secret');
  await page.type('#name', HOSTILE);
  await waitText(page, '#preview', /X-Team: a=b/);
  await saveForm(page);

  // The hostile name is text, everywhere.
  await page.waitForSelector(card);
  assert.equal(await cardText(page, '.name'), HOSTILE);
  assert.equal(await page.$$eval('img', (images) => images.length), 0);

  // Test from the card: the receiver gets it, the card shows 200.
  await click(page, `${card} .test`);
  await waitText(page, `${card} .result`, /^Delivered: HTTP 200 in \d+ ms/);
  assert.equal(receiver.deliveries.length, 1);
  assert.equal(receiver.deliveries[0].headers['x-team'], 'a=b');
  await waitText(page, `${card} .triggers`, /^1$/);

  // Edit the events down to `error`: message_sent no longer goes out.
  await click(page, `${card} .edit`);
  await page.click('#events-none');
  await page.click('input[value="error"]');
  await page.type('#filters', 'data.error is set');
  await page.click('#save');
  await waitText(page, '#filters-error', /^filters: condition 1, column 12: expected an operator/);
  await page.$eval('#filters', (e) => { e.value = ''; });
  await page.select('#preview-event', 'error');
  await waitText(page, '#preview', /X-AutoHook-Event: error/);
  await (await page.$('#editor')).screenshot({ path: readmeShot('settings-editor.png') });
  await saveForm(page);
  await waitText(page, `${card} .events`, /^error$/);
  await call('events.emit', { event: 'message_sent', data: {} });
  await call('events.emit', { event: 'error', data: { error: 'boom' } });
  await receiver.waitFor((all) => all.length === 2);
  assert.equal(receiver.deliveries[1].json.event, 'error');

  // Off: nothing is delivered. On again: delivered.
  await click(page, `${card} .enabled`);
  await page.waitForSelector(`${card}.off`);
  await call('events.emit', { event: 'error', data: { error: 'while off' } });
  await click(page, `${card} .enabled`);
  await page.waitForSelector(`${card}:not(.off)`);
  await call('events.emit', { event: 'error', data: { error: 'back on' } });
  await receiver.waitFor((all) => all.length === 3);
  assert.equal(receiver.deliveries[2].json.data.error, 'back on');

  // The log: open the newest row (once the page has redrawn it: redraws are
  // throttled), redeliver it: the same webhook-id again.
  const [newest] = await call('deliveries.list', { limit: 1 });
  await waitText(page, `#log-list li:first-child[data-id="${newest.id}"] .state`, /^Delivered$/);
  await click(page, '#log-list li summary');
  await page.waitForSelector('#log-list li details[open] .redeliver', { visible: true });
  await page.screenshot({ path: readmeShot('settings-log.png'), fullPage: true });
  await click(page, '#log-list li details[open] .redeliver');
  await receiver.waitFor((all) => all.length === 4);
  assert.equal(receiver.deliveries[3].headers['webhook-id'], receiver.deliveries[2].headers['webhook-id']);

  await page.screenshot({ path: readmeShot('settings-light.png'), fullPage: true });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await page.screenshot({ path: readmeShot('settings-dark.png'), fullPage: true });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);

  // Clear stats, then delete after confirming.
  await eventually(async () => (await cardText(page, '.triggers')) === '4', { what: 'four triggers shown' });
  await click(page, `${card} .clear-stats`);
  await waitText(page, `${card} .triggers`, /^0$/);
  await click(page, `${card} .delete`);
  await page.waitForSelector(card, { hidden: true });
  assert.deepEqual(dialogs, [`Delete the webhook “${HOSTILE}”? Its undelivered events are dropped.`]);
  assert.deepEqual(await call('webhooks.list'), []);
});

test('Chromium: the popup shows the day\'s counts, the latest deliveries and a switch per webhook', async (t) => {
  const { receiver, chromium, call } = await setUp(t);
  receiver.script('/popup-bad', [404]);
  const good = await call('webhooks.create', { webhook: { url: receiver.url('/popup-ok'), name: 'Team chat' } });
  await call('webhooks.create', { webhook: { url: receiver.url('/popup-bad'), name: 'Old endpoint' } });
  await call('events.emit', { event: 'message_sent', data: { message: 'hi' } });
  await eventually(async () => (await call('deliveries.list', { state: 'pending' })).length === 0, { what: 'deliveries done' });

  const popup = await chromium.openPage('popup/popup.html');
  await popup.setViewport({ width: 360, height: 480 });
  await waitText(popup, '#delivered', /^1$/);
  assert.equal(await text(popup, '#failed'), '1');
  assert.equal(await popup.$$eval('#latest li', (items) => items.length), 2);
  // One click: the popup redraws as the failure is marked seen, and the switch
  // it redraws stays the same element, so no click is lost to it.
  await popup.click('#webhooks li:first-child input');
  await eventually(async () => (await call('webhooks.list')).find((w) => w.id === good.id).enabled === false, { what: 'switched off from the popup' });
  // A redraw for new counts keeps the switch, and so the keyboard focus the click gave it.
  await call('events.emit', { event: 'message_sent', data: { message: 'again' } });
  await waitText(popup, '#failed', /^2$/);
  assert.equal(await popup.evaluate(() => document.activeElement?.matches('#webhooks li:first-child input')), true);
  assert.equal(await popup.$eval('#webhooks li:first-child input', (e) => e.checked), false);
  await popup.screenshot({ path: readmeShot('popup.png') });
});

test('Chromium: a custom template is checked as it is typed, previewed as rendered, and sent as previewed', async (t) => {
  const { receiver, page, call } = await setUp(t);
  await page.type('#url', receiver.url('/templated'));
  assert.equal(await page.$eval('#template-field', (e) => e.hidden), true);
  await page.select('#preset', 'custom');
  await page.waitForSelector('#template', { visible: true });
  // Set at once, as a paste: one input event, so one preview, and no later
  // one can write its error back after the clearing below.
  await page.$eval('#template', (e) => {
    e.value = '{"text": "{{data.message}}"}';
    e.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await waitText(page, '#template-error', /^template: line 1, column 11: data\.message is not in the campaign_started event/);
  // Cleared, so what follows is the Save's own refusal, not the preview's.
  await page.$eval('#template-error', (e) => { e.textContent = ''; });
  await page.click('#save');
  await waitText(page, '#template-error', /data\.message is not in the campaign_started event/);
  assert.deepEqual(await call('webhooks.list'), [], 'a template that cannot render is not saved');

  await page.$eval('#template', (e) => { e.value = ''; });
  await page.type('#template', '{"text": "{{sentence | upper}}", "at": "{{timestamp | date:"%H:%M"}}"}');
  await page.select('#preview-event', 'error');
  await waitText(page, '#preview', /"text": "ERROR: FAILED TO FIND SEND BUTTON"/);
  assert.equal(await text(page, '#template-error'), '');
  await page.click('#test');
  await waitText(page, '#result', /^Delivered: HTTP 200/);
  const [delivery] = receiver.deliveries;
  assert.equal(delivery.json.text, 'TEST DELIVERY FROM AUTOHOOK');
  assert.match(delivery.json.at, /^\d{2}:\d{2}$/);
  const [saved] = await call('webhooks.list');
  assert.equal(saved.preset, 'custom');
  assert.equal(saved.template, '{"text": "{{sentence | upper}}", "at": "{{timestamp | date:"%H:%M"}}"}');
});
