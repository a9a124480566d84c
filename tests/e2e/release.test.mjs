// The store packages themselves, not dist/'s folders: Chromium loads the
// unzipped dist/autohook-chrome.zip, Firefox ESR installs
// dist/autohook-firefox.zip as it is. Each reports Cargo.toml's version,
// answers the message API and delivers a Test the receiver verifies. The
// store screenshots (dist/store/, STORE_SHOT_SIZE) and the promo tile, the
// icon's drawing beside the extension's name, come from here.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzip } from 'selenium-webdriver/io/zip.js';
import { PROMO_TILE, renderPromoTile } from '../release/drawing.mjs';
import { cargoVersion } from '../release/manifest-check.mjs';
import { STORE_SHOTS, STORE_SHOT_SIZE } from '../release/listing.mjs';
import { caller, eventually } from './api.mjs';
import { DIST } from './browsers.mjs';
import { receiverAndFirefox, receiverAndSettingsPage, test } from './fixtures.mjs';
import { SECRET } from './receiver.mjs';
import { card, click, saveForm, waitText } from './ui.mjs';

const VERSION = cargoVersion();
const SHOTS = fileURLToPath(STORE_SHOTS);

/** The settings page at the stores' screenshot size, scrolled to `selector`, saved as `name`. */
async function storeShot(page, name, selector) {
  await page.$eval(selector, (element) => element.scrollIntoView({ block: 'start' }));
  // Let a pending redraw land first: a change is broadcast within 250 ms and
  // the page redraws at most every 300 ms, after its reads.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await page.screenshot({ path: join(SHOTS, name) });
}

test('Chromium: the unzipped Chrome package has Cargo\'s version, answers, delivers a verified Test; store screenshots', async (t) => {
  const unpacked = mkdtempSync(join(tmpdir(), 'autohook-chrome-zip-'));
  t.after(() => rmSync(unpacked, { recursive: true, force: true }));
  await unzip(`${DIST}autohook-chrome.zip`, unpacked);
  const { receiver, chromium, page } = await receiverAndSettingsPage(t, { extension: unpacked });
  await page.setViewport(STORE_SHOT_SIZE);
  const call = caller(page);

  assert.equal(await page.evaluate(() => chrome.runtime.getManifest().version), VERSION);
  assert.deepEqual(await call('settings.get'), { enabled: true });
  await waitText(page, '#about .version', new RegExp(`^AutoHook version ${VERSION.replaceAll('.', '\\.')}$`));
  await waitText(page, '#about .policy h3', /^AutoHook privacy policy$/);

  // A new user's first webhook, as the page opens on the form: Save and send test.
  receiver.secret('/orders', SECRET);
  await page.waitForSelector('#test:enabled');
  await page.type('#name', 'Order service');
  await page.type('#url', receiver.url('/orders'));
  await page.type('#secret', SECRET);
  await page.click('#test');
  await waitText(page, '#result', /^Delivered: HTTP 200 in \d+ ms$/);
  assert.equal(receiver.deliveries[0].json.event, 'test');
  assert.deepEqual(receiver.deliveries[0].verified, { standard: true, hex: true });

  // A second webhook and a few events, so the screenshots show a working day.
  receiver.script('/chat', [200, 503, 200]);
  await call('webhooks.create', { webhook: { url: receiver.url('/chat'), name: 'Team chat digest', events: ['message_sent', 'error'] } });
  for (const message of ['Good morning!', 'Standup in 5', 'Shipped v1.0']) await call('events.emit', { event: 'message_sent', data: { message } });
  await eventually(async () => (await call('deliveries.list', { state: 'pending' })).length === 0, { what: 'deliveries done' });
  if (await page.$('#editor:not([hidden])')) await page.click('#cancel');

  mkdirSync(SHOTS, { recursive: true });
  await storeShot(page, '1-webhooks.png', 'body');
  await waitText(page, '#log-list li:first-child .state', /^Delivered$/);
  await click(page, '#log-list li summary');
  await page.waitForSelector('#log-list li details[open]', { visible: true });
  await storeShot(page, '2-log.png', '#log');
  await click(page, `${card} .edit`);
  await waitText(page, '#preview', /X-AutoHook-Event/);
  await storeShot(page, '3-editor.png', '#editor');
  await saveForm(page);
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await storeShot(page, '4-dark.png', 'body');
  const name = await page.evaluate(() => chrome.i18n.getMessage('extName'));
  await renderPromoTile(await chromium.browser.newPage(), name, join(SHOTS, PROMO_TILE.name));
  assert.deepEqual(chromium.errors, []);
});

test('Firefox ESR: the Firefox zip as installed has Cargo\'s version, answers, delivers a verified Test', async (t) => {
  const { receiver, run, ask } = await receiverAndFirefox(t, { addon: `${DIST}autohook-firefox.zip` });
  receiver.secret('/hook', SECRET);

  assert.equal(await run('return browser.runtime.getManifest().version;'), VERSION);
  assert.deepEqual(await ask('settings.get'), { ok: true, value: { enabled: true } });
  const created = await ask('webhooks.create', { webhook: { url: receiver.url('/hook'), secret: SECRET } });
  assert.equal(created.ok, true, JSON.stringify(created));
  const tested = await ask('webhooks.test', { id: created.value.id });
  assert.equal(tested.value?.status, 200, JSON.stringify(tested));
  assert.equal(receiver.deliveries.length, 1);
  assert.equal(receiver.deliveries[0].json.event, 'test');
  assert.deepEqual(receiver.deliveries[0].verified, { standard: true, hex: true });
  const about = await eventually(async () => {
    const shown = await run(`return [document.querySelector('#about .version').textContent, document.querySelector('#about .policy h3')?.textContent];`);
    return shown[1] && shown;
  }, { what: 'the About section drawn' });
  assert.deepEqual(about, [`AutoHook version ${VERSION}`, 'AutoHook privacy policy']);
});
