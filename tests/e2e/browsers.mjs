// Starts the system's Chromium and Firefox ESR with a built extension loaded.
// Chromium: puppeteer-core over a pipe. Firefox: geckodriver + selenium,
// opening extension pages from the chrome context (WebDriver itself refuses
// to navigate to moz-extension:// URLs); see the README's "Toolchain".
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { Builder, By, until } from 'selenium-webdriver';
import { startReceiver } from './receiver.mjs';
import firefox from 'selenium-webdriver/firefox.js';

export const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const GECKO_ID = 'autohook@autohook.dev';
// Fixed so the extension's pages have a known moz-extension:// origin.
const GECKO_UUID = '6f0a4c0e-52a4-4b8e-9a52-4e5bd3a1c0de';

/**
 * Chromium with AutoHook loaded; `build: 'test-hooks'` loads the build whose
 * module can be made to trap or hold a reply (dist/test-hooks/), `extension`
 * names another unpacked folder (the release test's unzipped package).
 */
export async function launchChromium({ headless = true, build = '', extension = `${DIST}${build && `${build}/`}chrome` } = {}) {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless,
    pipe: true,
    enableExtensions: [extension],
    args: CHROMIUM_ARGS,
  });
  const errors = [];
  const isWorker = (t) => t.type() === 'service_worker' && t.url().endsWith('/background/background.js');
  const workerTarget = await browser.waitForTarget(isWorker, { timeout: 20_000 });
  // Console errors of the worker as first started, through a raw CDP
  // session. A session still attached when the worker is stopped leaves the
  // restarted worker stuck in "starting" (puppeteer issue #9995; the same
  // with target.worker()), so stopWorker detaches it first. The restarted
  // worker is a new target puppeteer does not attach to: tests check what
  // it does through the message API and the receiver instead.
  let workerSession = null;
  const watchWorker = async () => {
    workerSession = await workerTarget.createCDPSession();
    workerSession.on('Runtime.consoleAPICalled', ({ type, args }) => {
      if (type === 'error') errors.push(args.map((a) => a.value ?? a.description).join(' '));
    });
    workerSession.on('Runtime.exceptionThrown', ({ exceptionDetails: d }) => errors.push(d.exception?.description ?? d.text));
    await workerSession.send('Runtime.enable');
  };
  await watchWorker();
  const extensionId = new URL(workerTarget.url()).host;
  return {
    browser,
    extensionId,
    /** Console errors from the service worker and the pages opened here. */
    errors,
    async openPage(path) {
      const page = await browser.newPage();
      page.on('pageerror', (error) => errors.push(String(error)));
      page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
      await page.goto(`chrome-extension://${extensionId}/${path}`);
      return page;
    },
    /**
     * Stops the service worker of extension `id` (AutoHook's unless given),
     * as Chrome does after 30 s idle, through `page` (one of its pages), and
     * resolves once Chromium reports it stopped. Other extensions' workers
     * keep running. Its console is not watched after.
     */
    async stopWorker(page, id = extensionId) {
      await workerSession?.detach();
      workerSession = null;
      const session = await page.createCDPSession();
      const status = new Map();
      let changed = () => {};
      session.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
        for (const v of versions) if (v.scriptURL.startsWith(`chrome-extension://${id}/`)) status.set(v.versionId, v.runningStatus);
        changed();
      });
      const until = (holds) => new Promise((resolve) => ((changed = () => holds() && resolve()), changed()));
      await session.send('ServiceWorker.enable');
      await until(() => status.size > 0);
      const running = [...status].filter(([, runningStatus]) => runningStatus !== 'stopped');
      await Promise.all(running.map(([versionId]) => session.send('ServiceWorker.stopWorker', { versionId })));
      await until(() => [...status.values()].every((runningStatus) => runningStatus === 'stopped'));
      await session.detach();
    },
    close: () => browser.close(),
  };
}

/** Firefox ESR with AutoHook installed; `build` as for launchChromium, `addon` another folder or a zip (installed as it is). */
export async function launchFirefox({ build = '', addon = `${DIST}${build && `${build}/`}firefox` } = {}) {
  const options = new firefox.Options()
    .setBinary(process.env.FIREFOX ?? '/usr/bin/firefox-esr')
    .addArguments('-headless')
    .setPreference('extensions.webextensions.uuids', JSON.stringify({ [GECKO_ID]: GECKO_UUID }));
  const service = new firefox.ServiceBuilder(process.env.GECKODRIVER ?? 'geckodriver').addArguments('--allow-system-access');
  const driver = await new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
  await driver.installAddon(addon, true);
  return {
    driver,
    By,
    until,
    async openPage(path) {
      const url = `moz-extension://${GECKO_UUID}/${path}`;
      await driver.setContext(firefox.Context.CHROME);
      await driver.executeScript(
        'gBrowser.selectedTab = gBrowser.addTab(arguments[0], {triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal()});',
        url,
      );
      await driver.setContext(firefox.Context.CONTENT);
      const handles = await driver.getAllWindowHandles();
      await driver.switchTo().window(handles.at(-1));
      await driver.wait(async () => (await driver.getCurrentUrl()) === url, 10_000);
    },
    /** Stops the event page as Firefox does when idle (terminateBackground, from the chrome context). */
    async stopBackground() {
      await driver.setContext(firefox.Context.CHROME);
      await driver.executeAsyncScript(`const done = arguments[arguments.length - 1];
        const { ExtensionParent } = ChromeUtils.importESModule('resource://gre/modules/ExtensionParent.sys.mjs');
        ExtensionParent.GlobalManager.getExtension(arguments[0]).terminateBackground().then(done);`, GECKO_ID);
      await driver.setContext(firefox.Context.CONTENT);
    },
    close: () => driver.quit(),
  };
}

/**
 * For one test `t`: a loopback receiver and Chromium with AutoHook (the
 * `build` given, as for launchChromium, or the unpacked `extension` folder), its settings page open; both
 * closed when the test ends, even if it fails.
 */
export async function receiverAndSettingsPage(t, { build = '', extension } = {}) {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const chromium = await launchChromium({ build, extension });
  t.after(() => chromium.close());
  const page = await chromium.openPage('options/options.html');
  return { receiver, chromium, page };
}

/**
 * For one test `t`: a loopback receiver and Firefox ESR with AutoHook (the
 * `build` or `addon` given), its settings page open, after a tab on the receiver's
 * `visit` path if one is named; both closed when the test ends. `run`
 * executes an async script in the settings page (`ext` is the extension
 * namespace, a throw becomes `{thrown}`; each script has its own sandbox,
 * so state that must last goes on `window`), `ask` sends one request.
 */
export async function receiverAndFirefox(t, { build = '', addon, visit = null } = {}) {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const firefox = await launchFirefox({ build, addon });
  t.after(() => firefox.close());
  const { driver } = firefox;
  if (visit) await driver.get(receiver.url(visit));
  await firefox.openPage('options/options.html');
  const run = (script, ...args) => driver.executeAsyncScript(
    `const done = arguments[arguments.length - 1]; const ext = browser; (async () => {${script}})().then(done, (e) => done({ thrown: String(e) }));`, ...args);
  const ask = (type, fields = {}) => run('return browser.runtime.sendMessage(arguments[0]);', { type, ...fields });
  return { receiver, firefox, driver, run, ask };
}
