// What the E2E tests share: the browsers, the receiver beside them, and the
// chat page a campaign types into (the secret is receiver.mjs's).
//
// One Chromium and one Firefox ESR serve every test of the process (a test
// file, or the whole suite through suite.mjs): each is launched by the
// first test that needs it and closed after the last. Each test gets
// AutoHook installed afresh and uninstalled when it ends, with every page
// or tab the test opened closed. Uninstalling takes AutoHook's storage,
// alarms, granted origins, badge and notifications with it, and each
// install has an origin of its own: Firefox keeps an uninstalled add-on's
// IndexedDB (where the sealing key lives), and Chrome deletes it after
// uninstall returns. So each test starts as a new user does, whatever the
// one before it did or failed to undo. Measured here: installing again
// takes 0.65 s in Chromium against 0.75 s for a new browser (and 0.14 s to
// close it), 0.37 s in Firefox against 2.3 s (and 0.5 s).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test as nodeTest } from 'node:test';
import { startReceiver } from './receiver.mjs';
import { caller } from './api.mjs';
import { chromeFolder, firefoxFolder, installed, installInFirefox, startChromium, startFirefox } from './browsers.mjs';
import { messageBox, startChat } from './chat.mjs';

// Node 20 applies --test-timeout to a whole process, here the whole suite:
// each test gets its own limit.
const TEST_TIMEOUT_MS = 180_000;

/** node:test's `test(name, fn)`, with a time limit of its own. */
export const test = (name, fn) => nodeTest(name, { timeout: TEST_TIMEOUT_MS }, fn);

let sharedChromium = null;
let sharedFirefox = null;
after(async () => {
  await Promise.all([
    sharedChromium?.then((browser) => browser.close()),
    sharedFirefox?.then((driver) => driver.quit()),
  ]);
});

/** The shared Chromium; a new one if the last crashed, so one crash fails one test. */
async function chromiumBrowser() {
  if (sharedChromium && !(await sharedChromium).connected) sharedChromium = null;
  return (sharedChromium ??= startChromium());
}

/** The shared Firefox; a new one if the last stopped answering. */
async function firefoxDriver() {
  if (sharedFirefox && !(await (await sharedFirefox).getAllWindowHandles().then(() => true, () => false))) sharedFirefox = null;
  return (sharedFirefox ??= startFirefox());
}

/**
 * Registers `steps` as one `t.after` hook that runs every step even when
 * an earlier one throws, then throws the first error: a teardown that half
 * ran would carry state into the next test.
 */
function teardown(t, steps) {
  t.after(async () => {
    const errors = [];
    for (const step of steps) await Promise.resolve().then(step).catch((error) => errors.push(error));
    if (errors.length) throw errors[0];
  });
}

/**
 * For one test `t`: AutoHook (the `build` or unpacked `extension` folder, as
 * for browsers.mjs's launchChromium) installed afresh in the shared
 * Chromium; uninstalled, and the pages the test opened closed, when the
 * test ends, even if it fails. It is installed from a copy of the folder in
 * a new temporary folder: an unpacked extension's id comes from its path,
 * so each test has an origin of its own, and nothing Chrome deletes late
 * from an earlier install (its IndexedDB holds the sealing key) is shared.
 */
export async function freshChromium(t, { build = '', extension = chromeFolder(build) } = {}) {
  const browser = await chromiumBrowser();
  const before = new Set(await browser.pages());
  const copy = mkdtempSync(join(tmpdir(), 'autohook-e2e-chrome-'));
  cpSync(extension, copy, { recursive: true });
  let extensionId = null;
  let chromium = null;
  teardown(t, [
    () => chromium?.detach(),
    async () => {
      for (const page of await browser.pages()) if (!before.has(page)) await page.close().catch(() => {});
    },
    () => extensionId && browser.uninstallExtension(extensionId),
    () => rmSync(copy, { recursive: true, force: true }),
  ]);
  extensionId = await browser.installExtension(copy);
  chromium = await installed(browser, extensionId);
  return chromium;
}

/**
 * For one test `t`: a loopback receiver and AutoHook in Chromium (as
 * freshChromium), its settings page open; all gone when the test ends.
 */
export async function receiverAndSettingsPage(t, options = {}) {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const chromium = await freshChromium(t, options);
  const page = await chromium.openPage('options/options.html');
  return { receiver, chromium, page };
}

/**
 * For one test `t`: AutoHook (the `build` or `addon` folder or zip given)
 * installed afresh in the shared Firefox ESR, at an origin of its own
 * (browsers.mjs, installInFirefox); uninstalled, and the tabs the test
 * opened closed, when the test ends, even if it fails.
 */
export async function freshFirefox(t, { build = '', addon = firefoxFolder(build) } = {}) {
  const driver = await firefoxDriver();
  const [first] = await driver.getAllWindowHandles();
  let firefox = null;
  teardown(t, [
    async () => {
      for (const handle of await driver.getAllWindowHandles()) {
        if (handle === first) continue;
        await driver.switchTo().window(handle);
        await driver.close();
      }
    },
    () => driver.switchTo().window(first),
    () => driver.get('about:blank'),
    () => firefox?.uninstall(),
  ]);
  firefox = await installInFirefox(driver, addon);
  return firefox;
}

/**
 * For one test `t`: a loopback receiver and AutoHook in Firefox ESR (as
 * freshFirefox), its settings page open, after a tab on the receiver's
 * `visit` path if one is named; all gone when the test ends. `run`
 * executes an async script in the settings page (`ext` is the extension
 * namespace, a throw becomes `{thrown}`; each script has its own sandbox,
 * so state that must last goes on `window`), `ask` sends one request.
 */
export async function receiverAndFirefox(t, options = {}) {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const firefox = await freshFirefox(t, options);
  const { driver } = firefox;
  if (options.visit) await driver.get(receiver.url(options.visit));
  await firefox.openPage('options/options.html');
  const run = (script, ...args) => driver.executeAsyncScript(
    `const done = arguments[arguments.length - 1]; const ext = browser; (async () => {${script}})().then(done, (e) => done({ thrown: String(e) }));`, ...args);
  const ask = (type, fields = {}) => run('return browser.runtime.sendMessage(arguments[0]);', { type, ...fields });
  return { receiver, firefox, driver, run, ask };
}

/**
 * For one test `t`: the loopback chat page (chat.mjs's, `hostile` if asked)
 * open in a tab of `chromium`, and AutoHook's campaign (through `page`, one
 * of its pages) set to `settings` and aimed at the page's message box and
 * Send button. Returns the chat page, its URL and its tab id.
 */
export async function campaignInChat(t, { chromium, page }, settings, { hostile = false } = {}) {
  const url = await startChat(t, { hostile });
  const chat = await chromium.browser.newPage();
  await chat.goto(url);
  const tabId = await page.evaluate(async (room) => (await chrome.tabs.query({})).find((tab) => tab.url === room)?.id, url);
  if (!tabId) throw new Error(`the chat tab ${url} is not visible to the extension`);
  const call = caller(page);
  await call('campaign.configure', { settings });
  await call('campaign.setTarget', { tabId, url, input: messageBox(hostile), button: '#send' });
  return { chat, url, tabId };
}
