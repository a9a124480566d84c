// Credentials known by where they come from, as a user meets them in
// Chromium: a custom header and a URL's query value, whatever they are
// called, are masked in the preview, the log and the editor, shown only
// behind Reveal, kept when saved unrevealed, and sent as typed.
import assert from 'node:assert/strict';
import { test } from './fixtures.mjs';
import { card, click, saveForm, settingsPage as setUp, text, waitText } from './ui.mjs';

const HEADER = 'hunter2-header-value';
const QUERY = 'hunter2-query-value';

/** Everything the page holds: its markup and every input's value. */
const pageHolds = (page) => page.evaluate(() =>
  document.documentElement.outerHTML + [...document.querySelectorAll('input, textarea')].map((e) => e.value).join('\n'));
const valueInput = (page, name) => page.evaluateHandle((name) =>
  [...document.querySelectorAll('.header-row')].find((row) => row.querySelector('.header-name').value === name).querySelector('.header-value'), name);
const inputState = (handle) => handle.evaluate((e) => ({ type: e.type, value: e.value }));

test('Chromium: custom headers and query values are masked, shown behind Reveal, kept unrevealed and sent as typed', async (t) => {
  const { receiver, page, call } = await setUp(t);

  // A header named like no credential is one; a switched-off one and Accept show.
  await page.type('#url', receiver.url(`/creds?pwd=${QUERY}&team=ops`));
  for (const name of ['X-Api-Pass', 'X-Team', 'Accept']) {
    await page.click('#add-header');
    await page.type('.header-row:last-child .header-name', name);
  }
  await page.type('.header-row:nth-child(1) .header-value', HEADER);
  await page.type('.header-row:nth-child(2) .header-value', 'blue');
  await page.type('.header-row:nth-child(3) .header-value', 'text/plain');
  await page.click('.header-row:nth-child(2) .header-secret');
  assert.deepEqual(await inputState(await valueInput(page, 'X-Api-Pass')), { type: 'password', value: HEADER });
  assert.deepEqual(await inputState(await valueInput(page, 'X-Team')), { type: 'text', value: 'blue' });
  assert.deepEqual(await page.$eval('.header-row:nth-child(3) .header-secret', (e) => [e.checked, e.disabled]), [false, true],
    'Accept never carries a credential: its switch is off and fixed');
  await waitText(page, '#preview', /X-Api-Pass: •••• \(X-Api-Pass\)/);
  const preview = await text(page, '#preview');
  assert.match(preview, /\?pwd=••••&team=••••/);
  assert.match(preview, /X-Team: blue/);
  assert.match(preview, /Accept: text\/plain/);
  assert.ok(!preview.includes('hunter2'), preview);

  // Saved and tested: the receiver gets them as typed, the log masks them.
  await page.click('#test');
  await waitText(page, '#result', /^Delivered: HTTP 200/);
  const [sent] = receiver.deliveries;
  assert.equal(sent.headers['x-api-pass'], HEADER);
  assert.equal(new URLSearchParams(sent.query).get('pwd'), QUERY);
  const [logged] = await call('deliveries.list', { limit: 1 });
  const delivery = await call('deliveries.get', { id: logged.id });
  assert.ok(!JSON.stringify(delivery).includes('hunter2'), JSON.stringify(delivery));
  assert.deepEqual(delivery.request.headers.find(([name]) => name === 'X-Api-Pass'), ['X-Api-Pass', '•••• (X-Api-Pass)']);
  assert.deepEqual(delivery.request.headers.find(([name]) => name === 'X-Team'), ['X-Team', 'blue']);
  await page.click('#cancel');
  await waitText(page, `#log-list li:first-child[data-id="${logged.id}"] .state`, /^Delivered$/);
  await click(page, '#log-list li summary');
  await waitText(page, '#log-list li details[open] pre', /X-Api-Pass: •••• \(X-Api-Pass\)/);
  assert.match(await text(page, '#log-list li details[open] pre'), /\?pwd=••••&team=••••/);

  // Edited again: nothing secret is on the page until Reveal.
  await click(page, `${card} .edit`);
  await page.waitForSelector('#editor', { visible: true });
  assert.match(await page.$eval('#url', (e) => e.value), /\/creds\?pwd=••••&team=••••$/);
  assert.deepEqual(await page.$eval('#url', (e) => [e.readOnly, document.querySelector('#url-reveal').hidden]), [true, false]);
  assert.deepEqual(await inputState(await valueInput(page, 'X-Api-Pass')), { type: 'password', value: '' });
  assert.deepEqual(await inputState(await valueInput(page, 'X-Team')), { type: 'text', value: 'blue' });
  assert.ok(!(await pageHolds(page)).includes('hunter2'), 'a credential reached the page before Reveal');

  // Saved unrevealed (a rename): the stored credentials are kept.
  await page.$eval('#name', (e) => { e.value = ''; });
  await page.type('#name', 'Renamed');
  await saveForm(page);
  await waitText(page, `${card} .name`, /^Renamed$/);
  const [saved] = await call('webhooks.list');
  assert.equal(saved.urlHasSecrets, true);
  await call('webhooks.test', { id: saved.id });
  await receiver.waitFor((all) => all.length === 2);
  assert.equal(receiver.deliveries[1].headers['x-api-pass'], HEADER);
  assert.equal(new URLSearchParams(receiver.deliveries[1].query).get('pwd'), QUERY);

  // Reveal shows them, in the header row and the URL.
  await click(page, `${card} .edit`);
  await page.waitForSelector('#editor', { visible: true });
  await page.click('#headers-reveal');
  await page.waitForFunction(() => document.querySelector('.header-row .header-value').value !== '');
  assert.deepEqual(await inputState(await valueInput(page, 'X-Api-Pass')), { type: 'text', value: HEADER });
  assert.equal(await page.$eval('#headers-reveal', (e) => e.getAttribute('aria-pressed')), 'true');
  await page.click('#headers-reveal');
  assert.equal((await inputState(await valueInput(page, 'X-Api-Pass'))).type, 'password', 'Reveal again hides it');
  await page.click('#url-reveal');
  await page.waitForFunction(() => !document.querySelector('#url').readOnly);
  assert.equal(await page.$eval('#url', (e) => e.value), receiver.url(`/creds?pwd=${QUERY}&team=ops`));
  assert.equal(await page.$eval('#url-reveal', (e) => e.hidden), true);

  // An export without secrets leaves them out.
  const file = await call('settings.export', { includeSecrets: false });
  assert.ok(!JSON.stringify(file).includes('hunter2'), JSON.stringify(file));
  assert.deepEqual(file.webhooks[0].headers, [['Accept', 'text/plain'], ['X-Api-Pass', { omitted: true }], ['X-Team', 'blue', false]]);
});
