// Export and import in real browsers: an export with its secrets under a
// passphrase, every webhook deleted, the file imported on the settings
// page as a user does it: every webhook is back and signs with the same
// secret (the loopback receiver verifies with node:crypto) and sends its
// credential header; a tampered or wrong-passphrase file is refused with
// nothing changed. Firefox: the same round trip through the message API.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { receiverAndFirefox, receiverAndSettingsPage, test } from './fixtures.mjs';
import { asker, caller } from './api.mjs';
import { SECRET, verify } from './receiver.mjs';

const TOKEN = 'Bearer e2e-credential';
const PASSPHRASE = 'a passphrase for the e2e test';

/** Two webhooks on `receiver` (one signed, with a credential header) and changed campaign settings and switches. */
async function configure(call, receiver) {
  await call('webhooks.create', {
    webhook: { name: 'Signed', url: receiver.url('/signed'), secret: SECRET, headers: { Authorization: TOKEN }, events: ['message_sent'] },
  });
  await call('webhooks.create', { webhook: { name: 'Plain', url: receiver.url('/plain'), events: ['milestone'] } });
  await call('campaign.configure', { settings: { phrases: ['one', 'two'], intervalMinSeconds: 7, intervalMaxSeconds: 9 } });
  await call('notifications.set', { dailyLimit: true });
}

/** What an import restores, without what a profile assigns itself. */
async function restorable(call) {
  const webhooks = (await call('webhooks.list')).map(({ id, createdAt, updatedAt, stats, health, ...settings }) => settings);
  return { webhooks, campaign: (await call('campaign.get')).settings, notifications: await call('notifications.get') };
}

/** Emits `message_sent` and resolves with what the receiver got for it. */
async function deliverOne(call, receiver) {
  const before = receiver.deliveries.length;
  await call('events.emit', { event: 'message_sent', data: { message: 'hi', messagesSentToday: 1, totalMessagesSent: 1 } });
  return (await receiver.waitFor((all) => all.length > before))[before];
}

test('Chromium: export with secrets, delete everything, import on the settings page: the same secret signs', async (t) => {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  const ask = asker(page);
  await configure(call, receiver);
  const before = await restorable(call);

  // A one-off measurement of PBKDF2's 600,000 rounds in the Wasm module, as a request sees it.
  const started = Date.now();
  const file = await call('settings.export', { includeSecrets: true, passphrase: PASSPHRASE });
  t.diagnostic(`settings.export with secrets: ${Date.now() - started} ms`);
  const text = JSON.stringify(file, null, 2);
  assert.ok(!text.includes(SECRET.slice(6)) && !text.includes('e2e-credential'), 'no credential in clear');

  for (const { id } of await call('webhooks.list')) await call('webhooks.delete', { id });
  await call('campaign.configure', { settings: { phrases: ['other'], intervalMinSeconds: 1, intervalMaxSeconds: 2 } });
  const wiped = await restorable(call);

  // Refused, with nothing changed: a wrong passphrase, a webhook pointed elsewhere.
  const wrong = await ask('settings.import', { data: text, passphrase: 'not the passphrase', mode: 'replace' });
  assert.equal(wrong.error?.code, 'decrypt_failed', JSON.stringify(wrong));
  const tampered = structuredClone(file);
  tampered.webhooks[0].url = receiver.url('/attacker');
  const refused = await ask('settings.import', { data: JSON.stringify(tampered), passphrase: PASSPHRASE, mode: 'replace' });
  assert.equal(refused.error?.code, 'decrypt_failed', JSON.stringify(refused));
  assert.deepEqual(await restorable(call), wiped);

  // The user's way: pick the file, give the passphrase, check, apply.
  const path = join(await mkdtemp(join(tmpdir(), 'autohook-')), 'autohook-settings.json');
  await writeFile(path, text);
  await (await page.$('#import-file')).uploadFile(path);
  await page.waitForSelector('#import-passphrase', { visible: true });
  await page.type('#import-passphrase', PASSPHRASE);
  await page.click('#import-check');
  await page.waitForSelector('#import-summary li[data-kind="created"]');
  const summary = await page.$$eval('#import-summary li', (items) => items.map((item) => item.textContent));
  assert.deepEqual(summary.slice(0, 1), ['Adds: Signed, Plain']);
  const importStarted = Date.now();
  await page.click('#import-apply');
  await page.waitForSelector('#transfer .transfer-done:not(:empty)');
  t.diagnostic(`settings.import with secrets (the page's Apply): ${Date.now() - importStarted} ms`);

  assert.deepEqual(await restorable(call), before);
  const delivery = await deliverOne(call, receiver);
  assert.equal(delivery.path, '/signed');
  assert.deepEqual(verify(SECRET, delivery.headers, delivery.body), { standard: true, hex: true });
  assert.equal(delivery.headers.authorization, TOKEN);
  assert.deepEqual(chromium.errors, []);
});

test('Chromium: a no-secrets file that points a webhook elsewhere imports it without this browser\'s credentials, and the review says why', async (t) => {
  const { receiver, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  await configure(call, receiver);
  const file = await call('settings.export', { includeSecrets: false });
  file.webhooks[0].url = receiver.url('/attacker');
  file.webhooks[0].method = 'PUT';
  const path = join(await mkdtemp(join(tmpdir(), 'autohook-')), 'autohook-settings.json');
  await writeFile(path, JSON.stringify(file));
  await (await page.$('#import-file')).uploadFile(path);
  // The review shows once the page has read the file, as the test above waits for it.
  await page.waitForSelector('#import-check', { visible: true });
  await page.click('#import-check');
  await page.waitForSelector('#import-summary li[data-kind="credentialsDropped"]');
  assert.equal(await page.$eval('#import-summary li[data-kind="credentialsDropped"]', (item) => item.textContent),
    '“Signed”: the file changes url, method, so this browser’s credentials stay here; enter again: secret, header Authorization');
  await page.click('#import-apply');
  await page.waitForSelector('#transfer .transfer-done:not(:empty)');
  const signed = (await call('webhooks.list')).find((w) => w.name === 'Signed');
  assert.deepEqual([signed.enabled, signed.hasSecret, signed.method], [false, false, 'PUT']);
  await call('events.emit', { event: 'message_sent', data: { message: 'hi' } });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(receiver.deliveries.filter((d) => d.path === '/attacker'), [], 'nothing goes to the new URL');
});

test('Firefox: an export with secrets imported after deleting every webhook signs with the same secret', async (t) => {
  const { receiver, ask } = await receiverAndFirefox(t);
  const call = async (type, fields) => {
    const reply = await ask(type, fields);
    assert.equal(reply.ok, true, `${type}: ${JSON.stringify(reply)}`);
    return reply.value;
  };
  await configure(call, receiver);
  const before = await restorable(call);
  const file = await call('settings.export', { includeSecrets: true, passphrase: PASSPHRASE });
  for (const { id } of await call('webhooks.list')) await call('webhooks.delete', { id });

  const wrong = await ask('settings.import', { data: JSON.stringify(file), passphrase: 'not the passphrase', mode: 'merge' });
  assert.equal(wrong.error?.code, 'decrypt_failed');
  assert.deepEqual(await call('webhooks.list'), []);
  const summary = await call('settings.import', { data: JSON.stringify(file), passphrase: PASSPHRASE, mode: 'merge' });
  assert.deepEqual(summary.created, ['Signed', 'Plain']);
  assert.deepEqual(await restorable(call), before);
  const delivery = await deliverOne(call, receiver);
  assert.deepEqual(verify(SECRET, delivery.headers, delivery.body), { standard: true, hex: true });
  assert.equal(delivery.headers.authorization, TOKEN);
});
