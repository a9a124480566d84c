// `./build.sh run`: a webhook receiver on loopback that prints every delivery
// and whether its signatures verify, and Chromium with AutoHook loaded and its
// settings page open, the receiver's URL and a fresh secret filled in.
// With --headless (or without a display) it presses Test itself and exits:
// 0 when the delivery arrived with valid signatures, 1 otherwise.
import { randomBytes } from 'node:crypto';
import { startReceiver } from './receiver.mjs';
import { launchChromium } from './browsers.mjs';

const headless = process.argv.includes('--headless') || !process.env.DISPLAY;
if (!process.argv.includes('--headless') && headless) console.log('No display found: running headless.');

const receiver = await startReceiver({ log: true });
const secret = `whsec_${randomBytes(24).toString('base64')}`;
const url = receiver.url('/autohook');
receiver.secret('/autohook', secret);
console.log(`Receiver listening at ${url}\nSecret: ${secret}`);

const chromium = await launchChromium({ headless });
const query = new URLSearchParams({ suggest: url, secret });
const page = await chromium.openPage(`options/options.html?${query}`);

if (!headless) {
  console.log('Chromium is open on the settings page: press "Save and send test". Ctrl-C to stop.');
  chromium.browser.on('disconnected', () => receiver.close().then(() => process.exit(0)));
} else {
  await page.waitForSelector('#test:enabled');
  await page.click('#test');
  await page.waitForFunction(() => /^(Delivered|Failed)/.test(document.querySelector('#result').textContent), { timeout: 20_000 });
  const shown = await page.$eval('#result', (e) => e.textContent);
  const verified = receiver.deliveries[0]?.verified;
  console.log(`\nSettings page shows: ${shown}`);
  await Promise.all([chromium.close(), receiver.close()]);
  process.exit(verified?.standard && verified?.hex ? 0 : 1);
}
