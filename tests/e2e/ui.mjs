// What the settings-page tests share: the page opened with a receiver, its
// dialogs recorded (and confirmations accepted), and reading, waiting on and
// clicking its elements as a user would.
import { receiverAndSettingsPage } from './fixtures.mjs';
import { caller } from './api.mjs';

/** For one test `t`: the receiver, Chromium, its settings page, `call` and the dialogs shown, confirmations accepted. */
export async function settingsPage(t) {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  await page.setViewport({ width: 1000, height: 900 });
  const dialogs = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    return dialog.type() === 'confirm' ? dialog.accept() : dialog.dismiss();
  });
  await page.waitForSelector('#url', { visible: true });
  return { receiver, chromium, page, call: caller(page), dialogs };
}

export const card = '#webhook-list .card';
export const text = (page, selector) => page.$eval(selector, (e) => e.textContent);
export const waitText = (page, selector, pattern) =>
  page.waitForFunction((s, p) => new RegExp(p).test(document.querySelector(s)?.textContent ?? ''), {}, selector, pattern.source);

/** Clicks like a user; retried if a live update replaced the element under the pointer. */
export async function click(page, selector) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await page.click(selector);
    } catch (error) {
      if (attempt === 3 || !/detached|not clickable/.test(error.message)) throw error;
    }
  }
}

/** Saves the editor's form and waits for it to close. */
export async function saveForm(page) {
  await page.click('#save');
  await page.waitForSelector('#editor', { hidden: true });
}
