// Starts the system's Chromium and Firefox ESR with a built extension loaded.
// Chromium: puppeteer-core over a pipe. Firefox: geckodriver + selenium,
// opening extension pages from the chrome context (WebDriver itself refuses
// to navigate to moz-extension:// URLs); see ../../../shared/TOOLCHAIN.md.
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
// Fixed so the extension's pages have a known moz-extension:// origin.
const GECKO_UUID = '6f0a4c0e-52a4-4b8e-9a52-4e5bd3a1c0de';

export async function launchChromium({ headless = true } = {}) {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless,
    pipe: true,
    enableExtensions: [`${DIST}chrome`],
    args: CHROMIUM_ARGS,
  });
  const errors = [];
  const isWorker = (t) => t.type() === 'service_worker' && t.url().endsWith('/background/background.js');
  const watchWorker = async (target) => {
    const worker = await target.worker();
    worker?.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  };
  const workerTarget = await browser.waitForTarget(isWorker, { timeout: 20_000 });
  await watchWorker(workerTarget);
  // A restarted worker is a new target: keep listening to its console too.
  browser.on('targetcreated', (target) => isWorker(target) && watchWorker(target));
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
    /** Stops the service worker, as Chrome does after 30 s idle. */
    async stopWorker(page) {
      const session = await page.createCDPSession();
      await session.send('ServiceWorker.enable');
      await session.send('ServiceWorker.stopAllWorkers');
      await session.detach();
    },
    close: () => browser.close(),
  };
}

export async function launchFirefox() {
  const options = new firefox.Options()
    .setBinary(process.env.FIREFOX ?? '/usr/bin/firefox-esr')
    .addArguments('-headless')
    .setPreference('extensions.webextensions.uuids', JSON.stringify({ [GECKO_ID]: GECKO_UUID }));
  const service = new firefox.ServiceBuilder(process.env.GECKODRIVER ?? 'geckodriver').addArguments('--allow-system-access');
  const driver = await new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
  await driver.installAddon(`${DIST}firefox`, true);
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
    close: () => driver.quit(),
  };
}
