// Campaigns in real Chromium: AutoHook types into a chat page served on
// loopback and every campaign event reaches the loopback receiver, signed.
import assert from 'node:assert/strict';
import { campaignInChat, freshFirefox, receiverAndSettingsPage, test } from './fixtures.mjs';
import { SECRET, startReceiver } from './receiver.mjs';
import { caller, everyEvent, eventually } from './api.mjs';
import { chatMessages, messageBox, startChat } from './chat.mjs';
import { readmeShot } from './shots.mjs';

/**
 * What the popup's Pick input button does, from extension page `page`: open a
 * pick for the tab, leave its token in the tab's isolated world, inject the picker.
 */
async function pick(page, tabId, url) {
  await page.evaluate(async (id, room) => {
    const reply = await chrome.runtime.sendMessage({ type: 'campaign.beginPick', tabId: id, url: room });
    if (!reply?.ok) throw new Error(`campaign.beginPick failed: ${JSON.stringify(reply)}`);
    const target = { tabId: id };
    await chrome.scripting.executeScript({ target, args: [reply.value.token], func: (token) => { globalThis.autohookPickToken = token; } });
    await chrome.scripting.executeScript({ target, files: ['content/picker.js'] });
  }, tabId, url);
}

/** Chromium with AutoHook, a receiver subscribed to every event, and the chat page open in a tab. */
async function setUp(t, settings, chatOptions = {}) {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  receiver.secret('/campaign', SECRET);
  await call('webhooks.create', { webhook: { url: receiver.url('/campaign'), secret: SECRET, events: await everyEvent(call) } });
  const { chat, url, tabId } = await campaignInChat(t, { chromium, page }, { intervalMinSeconds: 1, intervalMaxSeconds: 1, dailyLimit: 0, ...settings }, chatOptions);
  /** Event names the receiver got, and their data, in arrival order. */
  const events = () => receiver.deliveries.map((d) => d.json);
  const named = (name) => events().filter((e) => e.event === name);
  return { receiver, chromium, page, call, chat, url, tabId, events, named };
}

test('3 phrases, 1 s apart, daily limit 3: the chat gets 3 messages and the receiver every campaign event', async (t) => {
  const { receiver, call, chat, named } = await setUp(t, { phrases: ['alpha', 'beta', 'gamma'], dailyLimit: 3, sendBy: 'button' });
  await call('campaign.start');
  await receiver.waitFor((all) => all.some((d) => d.json.event === 'campaign_stopped'), 20_000);
  await receiver.waitFor((all) => all.length === 6);
  const sent = await chatMessages(chat);
  assert.equal(sent.length, 3);
  assert.ok(sent.every((text) => ['alpha', 'beta', 'gamma'].includes(text)));
  assert.ok(sent[0] !== sent[1] && sent[1] !== sent[2], `a phrase twice in a row: ${sent}`);
  const counts = named('message_sent').map((e) => e.data.messagesSentToday).sort();
  assert.deepEqual(counts, [1, 2, 3]);
  assert.deepEqual(named('message_sent').map((e) => e.data.message).sort(), [...sent].sort());
  assert.equal(named('campaign_started').length, 1);
  assert.deepEqual(named('daily_limit_reached').map((e) => [e.data.limit, e.data.messagesSentToday]), [[3, 3]]);
  assert.deepEqual(named('campaign_stopped')[0].data.stats, { messagesSentToday: 3, totalMessagesSent: 3 });
  assert.ok(receiver.deliveries.every((d) => d.verified.standard && d.verified.hex));
  assert.equal((await call('campaign.get')).status, 'idle');
});

test('pause and resume raise their events; a vanished send button raises error and pauses', async (t) => {
  const { receiver, call, chat, named } = await setUp(t, { phrases: ['one', 'two'], sendBy: 'button' });
  await call('campaign.start');
  await eventually(async () => (await chatMessages(chat)).length >= 1, { what: 'first message typed' });
  await call('campaign.pause');
  await receiver.waitFor(() => named('campaign_paused').length === 1);
  const whilePaused = (await chatMessages(chat)).length;
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal((await chatMessages(chat)).length, whilePaused, 'nothing is sent while paused');
  await call('campaign.resume');
  await receiver.waitFor(() => named('campaign_resumed').length === 1);
  await eventually(async () => (await chatMessages(chat)).length > whilePaused, { what: 'a message after resuming' });

  await chat.$eval('#send', (button) => button.remove());
  await receiver.waitFor(() => named('error').length === 1 && named('campaign_paused').length === 2, 10_000);
  assert.equal(named('error')[0].data.error, 'Failed to find send button');
  const campaign = await call('campaign.get');
  assert.equal(campaign.status, 'paused');
  assert.equal(campaign.lastError, 'Failed to find send button');
});

test('a campaign keeps sending after Chrome stops the service worker', async (t) => {
  const { chromium, page, chat, url } = await setUp(t, { phrases: ['ping', 'pong'], intervalMinSeconds: 2, intervalMaxSeconds: 2 });
  await caller(page)('campaign.start');
  await eventually(async () => (await chatMessages(chat)).length >= 1, { what: 'first message typed' });
  // No extension page stays open: only the campaign's alarm can wake the worker.
  await page.goto(url);
  await chromium.stopWorker(page);
  const before = (await chatMessages(chat)).length;
  await eventually(async () => (await chatMessages(chat)).length > before, { what: 'a message after the worker stopped', timeoutMs: 75_000 });
  const call = caller(await chromium.openPage('popup/popup.html'));
  const campaign = await call('campaign.get');
  assert.equal(campaign.status, 'running');
  assert.ok(campaign.totalMessagesSent > before);
});

test('crossing 10 messages raises milestone once', async (t) => {
  const { receiver, call, named } = await setUp(t, { phrases: ['a', 'b', 'c'], dailyLimit: 11 });
  await call('campaign.start');
  // started, 11 × message_sent, milestone, daily_limit_reached, stopped
  await receiver.waitFor((all) => all.length === 15, 30_000);
  assert.deepEqual(named('milestone').map((e) => [e.data.milestone, e.data.value]), [['10_messages', 10]]);
  assert.equal(named('message_sent').length, 11);
});

test('Pick input: Enter takes the suggested chat box, clicks choose box and button; the choice is kept for the site', async (t) => {
  const { page, call, chat, tabId, url } = await setUp(t, { phrases: ['x'] });
  const target = (check) => eventually(async () => {
    const campaign = await call('campaign.get', { url });
    return check(campaign.target) && campaign;
  }, { what: 'target saved' });

  // Something in the focused box, so an Enter or a click on Send that reached the page would post it.
  await chat.$eval('#msg', (box) => {
    box.value = 'leak';
    box.focus();
  });
  await pick(page, tabId, url);
  await chat.keyboard.press('Enter');
  await chat.keyboard.press('Enter');
  await target((saved) => saved.input === '#msg' && saved.button === null);

  await pick(page, tabId, url);
  await chat.click('#msg');
  await chat.click('#send');
  const campaign = await target((saved) => saved.button === '#send');
  assert.deepEqual(campaign.target, { tabId, site: new URL(url).origin, input: '#msg', button: '#send' });
  assert.deepEqual(campaign.remembered, { input: '#msg', button: '#send' });
  assert.deepEqual(await chat.$$eval('#log li', (items) => items.length), 0, 'the picker\'s keys and clicks did not reach the page');
});

test('a hostile chat page (elements named after document\'s methods and AutoHook\'s globals, its own autohook-picker) still gets picked and typed into', async (t) => {
  const { page, call, chat, tabId, url } = await setUp(t, { phrases: ['one', 'two'], sendBy: 'button' }, { hostile: true });
  assert.equal(await chat.evaluate(() => typeof document.querySelector), 'object', 'the page did replace querySelector');
  await pick(page, tabId, url);
  await chat.click(messageBox(true));
  await chat.click('#send');
  await eventually(async () => (await call('campaign.get', { url })).target?.button === '#send', { what: 'the pick saved' });
  assert.equal((await call('campaign.get', { url })).target.input, messageBox(true), 'a path through the form, not its named controls');
  await call('campaign.start');
  await eventually(async () => (await chatMessages(chat)).length >= 2, { what: 'two messages typed and sent' });
  await call('campaign.stop');
  const campaign = await call('campaign.get');
  assert.equal(campaign.lastError, null);
  assert.ok(campaign.totalMessagesSent >= 2);
});

test('a chat tab that moves to another site (127.0.0.1 → localhost) gets nothing typed; the campaign pauses, its error names where it went, the webhook\'s only that it left', async (t) => {
  const { receiver, call, chat, url, named } = await setUp(t, { phrases: ['one', 'two'], intervalMinSeconds: 3, intervalMaxSeconds: 3 });
  await call('campaign.start');
  await eventually(async () => (await chatMessages(chat)).length >= 1, { what: 'first message typed' });
  // The next message is 3 s away: the tab is on the other site (the same server) long before.
  const moved = url.replace('//127.0.0.1:', '//localhost:');
  await chat.goto(moved);
  await receiver.waitFor(() => named('error').length === 1 && named('campaign_paused').length === 1, 15_000);
  const message = `the chat tab is now on ${new URL(moved).origin}, not ${new URL(url).origin}; nothing was typed`;
  assert.equal(named('error')[0].data.error, `the chat tab left ${new URL(url).origin}; nothing was typed`);
  const campaign = await call('campaign.get');
  assert.deepEqual([campaign.status, campaign.lastError], ['paused', message]);
  assert.equal(named('message_sent').length, campaign.totalMessagesSent);
  assert.deepEqual(await chatMessages(chat), [], 'nothing was sent on localhost');
  assert.equal(await chat.$eval('#msg', (box) => box.value), '', 'nor typed into its box');
});

test('a chat tab that reloads on the same site keeps getting messages', async (t) => {
  const { call, chat } = await setUp(t, { phrases: ['one', 'two'], intervalMinSeconds: 3, intervalMaxSeconds: 3 });
  await call('campaign.start');
  await eventually(async () => (await chatMessages(chat)).length >= 1, { what: 'first message typed' });
  // Reloaded between two messages; the new page's log starts empty, so what it shows came after.
  await chat.reload();
  await eventually(async () => (await chatMessages(chat)).length >= 2, { what: 'two messages after the reload', timeoutMs: 20_000 });
  const campaign = await call('campaign.get');
  assert.deepEqual([campaign.status, campaign.lastError], ['running', null]);
  assert.ok(campaign.totalMessagesSent >= 3);
});

test('a content script may not set the target without the token of a pick the user started, and the picker ignores faked clicks', async (t) => {
  const { page, call, chat, tabId, url } = await setUp(t, { phrases: ['x'] });
  // From AutoHook's own content-script world in the chat tab: what a compromised page could send.
  const [{ result: refused }] = await page.evaluate((id) => chrome.scripting.executeScript({
    target: { tabId: id },
    func: () => chrome.runtime.sendMessage({ type: 'campaign.setTarget', input: '#search', button: null }),
  }), tabId);
  assert.equal(refused.ok, false, JSON.stringify(refused));
  assert.deepEqual([refused.error.code, refused.error.field], ['not_allowed', 'token']);
  assert.match(refused.error.message, /only with the token of a pick started from the popup/);
  assert.equal((await call('campaign.get')).target.input, '#msg', 'the target is unchanged');

  // From the settings page the target may change: a decoy the clicks below must replace.
  await call('campaign.setTarget', { tabId, url, input: '#search', button: null });
  await pick(page, tabId, url);
  // Clicks the page makes itself are not the user's: the picker lets them pass.
  await chat.evaluate(() => {
    document.querySelector('#msg').click();
    document.querySelector('#send').click();
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal((await call('campaign.get')).target.input, '#search', 'faked clicks chose nothing');
  await chat.click('#msg');
  await chat.click('#send');
  await eventually(async () => {
    const { target } = await call('campaign.get', { url });
    return target.input === '#msg' && target.button === '#send';
  }, { what: 'the user\'s own clicks saved' });
});

test('Firefox ESR: a campaign types into a hostile chat tab and its events arrive signed', async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  // Hostile (chat.mjs): elements named after document's methods and AutoHook's globals.
  const url = await startChat(t, { hostile: true });
  const firefox = await freshFirefox(t);
  const { driver, By } = firefox;
  await driver.get(url);
  const chatWindow = await driver.getWindowHandle();
  await firefox.openPage('options/options.html');
  const call = async (type, fields = {}) => {
    const reply = await driver.executeAsyncScript(
      'const done = arguments[arguments.length - 1]; browser.runtime.sendMessage(arguments[0]).then(done, (e) => done({ ok: false, error: String(e) }));',
      { type, ...fields },
    );
    if (!reply?.ok) throw new Error(`${type} failed: ${JSON.stringify(reply)}`);
    return reply.value;
  };
  const tabId = await driver.executeAsyncScript(
    'const done = arguments[arguments.length - 1]; browser.tabs.query({}).then((tabs) => done(tabs.find((tab) => tab.url === arguments[0])?.id));',
    url,
  );
  receiver.secret('/campaign', SECRET);
  await call('webhooks.create', { webhook: { url: receiver.url('/campaign'), secret: SECRET, events: await everyEvent(call) } });
  await call('campaign.configure', { settings: { phrases: ['hola', 'adiós'], intervalMinSeconds: 1, intervalMaxSeconds: 1, dailyLimit: 2 } });
  await call('campaign.setTarget', { tabId, url, input: messageBox(true), button: '#send' });
  await call('campaign.start');
  await receiver.waitFor((all) => all.length === 5, 20_000);
  assert.deepEqual(receiver.deliveries.map((d) => d.json.event).sort(),
    ['campaign_started', 'campaign_stopped', 'daily_limit_reached', 'message_sent', 'message_sent']);
  assert.ok(receiver.deliveries.every((d) => d.verified.standard && d.verified.hex));
  await driver.switchTo().window(chatWindow);
  const typed = await Promise.all((await driver.findElements(By.css('#log li'))).map((li) => li.getText()));
  assert.equal(typed.length, 2);
  assert.notEqual(typed[0], typed[1]);
});

test('Chromium popup: campaign settings are saved with errors under their fields, and the controls drive the campaign', async (t) => {
  const { chromium, call, chat } = await setUp(t, { phrases: ['seed'] });
  const popup = await chromium.openPage('popup/popup.html');
  await popup.setViewport({ width: 380, height: 900 });
  await popup.waitForFunction(() => document.querySelector('#campaign-status').textContent === 'Stopped');
  assert.match(await popup.$eval('#campaign-target', (e) => e.textContent), /^Types into #msg on http:\/\/127\.0\.0\.1:\d+$/);
  await popup.click('#campaign-settings summary');
  await popup.$eval('#phrases', (e) => { e.value = 'Hello there\nGeneral Kenobi'; });
  await popup.$eval('#cron', (e) => { e.value = '0 25 * * *'; });
  await popup.click('#campaign-save');
  await popup.waitForFunction(() => document.querySelector('#schedule-error').textContent !== '');
  assert.equal(await popup.$eval('#schedule-error', (e) => e.textContent), 'schedule: column 3: hour: "25" is not a value from 0 to 23');
  assert.deepEqual((await call('campaign.get')).settings.phrases, ['seed'], 'a refused save changes nothing');

  await popup.$eval('#cron', (e) => { e.value = '0 9 * * 1-5'; });
  await popup.click('#campaign-save');
  // The popup clears its errors as it sends; the save is done when the background has it.
  const saved = await eventually(async () => {
    const { settings } = await call('campaign.get');
    return settings.schedule?.cron === '0 9 * * 1-5' && settings;
  }, { what: 'the second save stored' });
  assert.deepEqual(saved.phrases, ['Hello there', 'General Kenobi']);
  assert.equal(await popup.$eval('#schedule-error', (e) => e.textContent), '');
  await popup.screenshot({ path: readmeShot('popup-campaign.png') });

  assert.equal(await popup.$eval('#campaign-pause', (e) => e.disabled), true);
  await popup.click('#campaign-start');
  await popup.waitForFunction(() => document.querySelector('#campaign-status').textContent === 'Running');
  await eventually(async () => (await chatMessages(chat)).length >= 1, { what: 'a message typed' });
  await popup.waitForFunction(() => /^[1-9]\d* today/.test(document.querySelector('#campaign-counts').textContent));
  await popup.click('#campaign-stop');
  await popup.waitForFunction(() => document.querySelector('#campaign-status').textContent === 'Stopped');
  assert.ok(['Hello there', 'General Kenobi'].includes((await chatMessages(chat))[0]));
});
