// The walking skeleton, as a user does it: open the settings page, enter a
// webhook URL and secret, press Test; the loopback receiver gets a signed
// `test` event and the page shows the HTTP status and latency.
import assert from 'node:assert/strict';
import { SECRET, startReceiver } from './receiver.mjs';
import { freshChromium, freshFirefox, receiverAndSettingsPage, test } from './fixtures.mjs';

const RESULT = /^Delivered: HTTP 200 in \d+ ms$/;

function assertSignedTestEvent(delivery) {
  assert.equal(delivery.method, 'POST');
  assert.equal(delivery.headers['content-type'], 'application/json');
  assert.equal(delivery.json.event, 'test');
  assert.equal(delivery.json.source, 'AutoHook');
  assert.match(delivery.json.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(delivery.headers['x-autohook-event'], 'test');
  assert.equal(delivery.headers['webhook-id'], delivery.json.id);
  assert.deepEqual(delivery.verified, { standard: true, hex: true });
}

test('Chromium: Test on the settings page delivers a signed event and shows the status', async (t) => {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  receiver.secret('/hook', SECRET);

  await page.waitForSelector('#test:enabled');
  await page.type('#url', receiver.url('/hook'));
  await page.type('#secret', SECRET);
  await page.click('#test');
  await page.waitForFunction(() => /^(Delivered|Failed)/.test(document.querySelector('#result').textContent));

  assert.match(await page.$eval('#result', (e) => e.textContent), RESULT);
  assert.equal(receiver.deliveries.length, 1);
  assertSignedTestEvent(receiver.deliveries[0]);
  assert.deepEqual(chromium.errors, []);
});

test('Chromium: a bad URL is refused next to its field and nothing is saved', async (t) => {
  const chromium = await freshChromium(t);
  const page = await chromium.openPage('options/options.html');
  await page.waitForSelector('#test:enabled');
  await page.type('#url', 'ftp://example.com/hook');
  await page.click('#test');
  await page.waitForFunction(() => document.querySelector('#url-error').textContent !== '');

  assert.equal(await page.$eval('#url-error', (e) => e.textContent), 'url must use http or https, not ftp');
  const list = await page.evaluate(() => chrome.runtime.sendMessage({ type: 'webhooks.list' }));
  assert.deepEqual(list, { ok: true, value: [] });
});

test('Firefox ESR: Test on the settings page delivers a signed event and shows the status', async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const firefox = await freshFirefox(t);
  receiver.secret('/hook', SECRET);
  const { driver, By, until } = firefox;

  await firefox.openPage('options/options.html');
  const url = await driver.findElement(By.id('url'));
  await driver.wait(until.elementIsVisible(url), 10_000);
  await url.sendKeys(receiver.url('/hook'));
  await driver.findElement(By.id('secret')).sendKeys(SECRET);
  const button = await driver.findElement(By.id('test'));
  await driver.wait(until.elementIsEnabled(button), 10_000);
  await button.click();
  const result = await driver.findElement(By.id('result'));
  await driver.wait(until.elementTextMatches(result, /^(Delivered|Failed)/), 15_000);

  assert.match(await result.getText(), RESULT);
  assert.equal(receiver.deliveries.length, 1);
  assertSignedTestEvent(receiver.deliveries[0]);
});
