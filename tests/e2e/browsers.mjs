// Starts the system's Chromium and Firefox ESR and installs a built AutoHook
// in them. Chromium: puppeteer-core over a pipe. Firefox: geckodriver + selenium,
// opening extension pages from the chrome context (WebDriver itself refuses
// to navigate to moz-extension:// URLs); see .github/CONTRIBUTING.md, "Toolchain".
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { Builder, By, until } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';

export const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const GECKO_ID = 'autohook@autohook.dev';

const isWorker = (target) => target.type() === 'service_worker' && target.url().endsWith('/background/background.js');

/** The unpacked Chrome folder of `build` ('' for dist/chrome, 'test-hooks' for dist/test-hooks/chrome). */
export const chromeFolder = (build = '') => `${DIST}${build && `${build}/`}chrome`;

/** Chromium from the system, with extensions allowed and `extensions` (folders) loaded. */
export function startChromium({ headless = true, extensions = true } = {}) {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless,
    pipe: true,
    enableExtensions: extensions,
    args: CHROMIUM_ARGS,
  });
}

/**
 * What the tests use of AutoHook in `browser`, once its service worker is
 * up: its id, the console errors of its worker and of the pages opened
 * here, opening its pages and stopping its worker. `detach` stops watching.
 */
export async function installed(browser, extensionId) {
  const errors = [];
  const isOurs = (t) => isWorker(t) && new URL(t.url()).host === extensionId;
  const workerTarget = await browser.waitForTarget(isOurs, { timeout: 20_000 });
  // Console errors of the worker as first started, through a raw CDP
  // session. A session still attached when the worker is stopped leaves the
  // restarted worker stuck in "starting" (puppeteer issue #9995; the same
  // with target.worker()), so stopWorker detaches it first. The restarted
  // worker is a new target puppeteer does not attach to: tests check what
  // it does through the message API and the receiver instead.
  let workerSession = await workerTarget.createCDPSession();
  workerSession.on('Runtime.consoleAPICalled', ({ type, args }) => {
    if (type === 'error') errors.push(args.map((a) => a.value ?? a.description).join(' '));
  });
  workerSession.on('Runtime.exceptionThrown', ({ exceptionDetails: d }) => errors.push(d.exception?.description ?? d.text));
  await workerSession.send('Runtime.enable');
  const detach = async () => {
    await workerSession?.detach().catch(() => {});
    workerSession = null;
  };
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
      await detach();
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
    detach,
  };
}

/**
 * A Chromium of its own with AutoHook loaded, for `./build.sh run` and the
 * bench; tests share one per file (fixtures.mjs). `build: 'test-hooks'`
 * loads the build whose module can be made to trap or hold a reply
 * (dist/test-hooks/), `extension` names another unpacked folder.
 */
export async function launchChromium({ headless = true, build = '', extension = chromeFolder(build) } = {}) {
  const browser = await startChromium({ headless, extensions: [extension] });
  const workerTarget = await browser.waitForTarget(isWorker, { timeout: 20_000 });
  const chromium = await installed(browser, new URL(workerTarget.url()).host);
  return { ...chromium, close: () => browser.close() };
}

/** The Firefox folder of `build`, as chromeFolder. */
export const firefoxFolder = (build = '') => `${DIST}${build && `${build}/`}firefox`;

/** Firefox ESR from the system, headless, driven by geckodriver, with no add-on yet. */
export function startFirefox() {
  const options = new firefox.Options()
    .setBinary(process.env.FIREFOX ?? '/usr/bin/firefox-esr')
    .addArguments('-headless');
  const service = new firefox.ServiceBuilder(process.env.GECKODRIVER ?? 'geckodriver').addArguments('--allow-system-access');
  return new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
}

/** Runs `script` with `args` in Firefox's chrome context (Services, gBrowser...), then returns to the content context. */
async function inChrome(driver, script, ...args) {
  await driver.setContext(firefox.Context.CHROME);
  try {
    return await driver.executeScript(script, ...args);
  } finally {
    await driver.setContext(firefox.Context.CONTENT);
  }
}

/**
 * Installs AutoHook from `addon` (a folder or a zip, installed as it is)
 * into the Firefox of `driver` as a temporary add-on, its pages at
 * moz-extension://`uuid`/: a new UUID is a new origin, so nothing an earlier
 * install kept in its origin's IndexedDB (the sealing key) is seen. Returns
 * what the tests use of it; `uninstall` removes it.
 */
export async function installInFirefox(driver, addon, uuid = randomUUID()) {
  await inChrome(driver, `const uuids = JSON.parse(Services.prefs.getStringPref('extensions.webextensions.uuids', '{}'));
    uuids[arguments[0]] = arguments[1];
    Services.prefs.setStringPref('extensions.webextensions.uuids', JSON.stringify(uuids));`, GECKO_ID, uuid);
  await driver.installAddon(addon, true);
  return {
    driver,
    By,
    until,
    async openPage(path) {
      const url = `moz-extension://${uuid}/${path}`;
      await inChrome(driver,
        'gBrowser.selectedTab = gBrowser.addTab(arguments[0], {triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal()});',
        url);
      const handles = await driver.getAllWindowHandles();
      await driver.switchTo().window(handles.at(-1));
      await driver.wait(async () => (await driver.getCurrentUrl()) === url, 10_000);
    },
    /** Stops the event page as Firefox does when idle (terminateBackground, from the chrome context). */
    async stopBackground() {
      await driver.setContext(firefox.Context.CHROME);
      try {
        await driver.executeAsyncScript(`const done = arguments[arguments.length - 1];
          const { ExtensionParent } = ChromeUtils.importESModule('resource://gre/modules/ExtensionParent.sys.mjs');
          ExtensionParent.GlobalManager.getExtension(arguments[0]).terminateBackground().then(done);`, GECKO_ID);
      } finally {
        await driver.setContext(firefox.Context.CONTENT);
      }
    },
    uninstall: () => driver.uninstallAddon(GECKO_ID),
  };
}
