// What every benchmark shares: the browser with AutoHook and its settings
// page, the loopback receiver, a way to run code in the service worker, and
// how rows are summarized. These machines are noisy: every comparison is a
// ratio of two things measured in the same run, in alternating rounds.
import { SECRET, startReceiver } from '../e2e/receiver.mjs';
import { launchChromium } from '../e2e/browsers.mjs';
import { caller } from '../e2e/api.mjs';

export { SECRET };

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
/** A number as the tables show it. */
export const n = (value, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** The lowest and highest of `values`, as "min–max". */
export const spread = (values, digits = 2) => `${n(Math.min(...values), digits)}–${n(Math.max(...values), digits)}`;

/** A receiver, Chromium with AutoHook and its settings page open, and helpers around them. */
export async function openBench() {
  const receiver = await startReceiver();
  const chromium = await launchChromium();
  const page = await chromium.openPage('options/options.html');
  // Requests per path, counted as they arrive: the receiver checks after
  // every request, and rescanning all of them each time cost this process
  // (which competes with the browser for both cores) ~250 ms per round.
  const perPath = new Map();
  let counted = 0;
  const arrived = (path) => {
    for (; counted < receiver.deliveries.length; counted++) {
      const { path: seen } = receiver.deliveries[counted];
      perPath.set(seen, (perPath.get(seen) ?? 0) + 1);
    }
    return perPath.get(path) ?? 0;
  };
  /** Runs `expression` in the service worker as it is now, awaits it and returns its (JSON) value. */
  const inWorker = async (expression) => {
    const worker = chromium.browser.targets().find((t) => t.type() === 'service_worker' && t.url().includes(chromium.extensionId));
    const session = await worker.createCDPSession();
    const { result, exceptionDetails } = await session.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    await session.detach();
    if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
    return result.value;
  };
  const close = () => Promise.all([chromium.close(), receiver.close()]);
  return { receiver, chromium, page, call: caller(page), arrived, inWorker, close };
}
