// Secret rotation in real Chromium: during the overlap a receiver holding
// only the old secret and one holding only the new one both verify the same
// delivery (node:crypto, as receiver.mjs checks), after it only the new one;
// the engine drops the old secret by itself when the overlap ends. And the
// settings page's "Rotate secret" as a user clicks it.
import assert from 'node:assert/strict';
import { receiverAndSettingsPage, test } from './fixtures.mjs';
import { caller, eventually } from './api.mjs';
import { SECRET as OLD, verify } from './receiver.mjs';

const SENT = { message: 'hello', messagesSentToday: 1, totalMessagesSent: 1 };

async function setUp(t) {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  const hook = await call('webhooks.create', { webhook: { url: receiver.url('/rotating'), secret: OLD, events: ['message_sent'] } });
  /** Emits one event and resolves with the request the receiver got for it. */
  const deliverOne = async () => {
    const before = receiver.deliveries.length;
    await call('events.emit', { event: 'message_sent', data: SENT });
    return (await receiver.waitFor((all) => all.length > before))[before];
  };
  const previousSecrets = async () => (await call('webhooks.list')).find((w) => w.id === hook.id).previousSecrets;
  return { receiver, chromium, page, call, hook, deliverOne, previousSecrets };
}

/** What a receiver holding only `secret` makes of `delivery`. */
const verifiedWith = (secret, delivery) => verify(secret, delivery.headers, delivery.body);

test('rotated with a short overlap: the old and the new secret both verify, then only the new one', async (t) => {
  const { call, hook, deliverOne, previousSecrets, chromium } = await setUp(t);
  // 0.001 h: an overlap of 3.6 s, long enough for one delivery during it.
  const { secret } = await call('webhooks.rotateSecret', { id: hook.id, overlapHours: 0.001 });
  assert.match(secret, /^whsec_/);
  assert.notEqual(secret, OLD);
  const [previous] = await previousSecrets();
  assert.deepEqual(Object.keys(previous), ['expiresAt'], 'a page sees when it expires, never the secret');

  const during = await deliverOne();
  assert.equal(during.headers['webhook-signature'].split(' ').length, 2);
  assert.deepEqual(verifiedWith(OLD, during), { standard: true, hex: false }, 'old: the Standard Webhooks signature');
  assert.deepEqual(verifiedWith(secret, during), { standard: true, hex: true }, 'new: both signatures');

  // Nothing else happens: the engine wakes at the expiry and removes it.
  await eventually(async () => (await previousSecrets()).length === 0, { what: 'the previous secret expired', timeoutMs: 60_000 });
  const after = await deliverOne();
  assert.equal(after.headers['webhook-signature'].split(' ').length, 1);
  assert.deepEqual(verifiedWith(OLD, after), { standard: false, hex: false });
  assert.deepEqual(verifiedWith(secret, after), { standard: true, hex: true });
  const listed = JSON.stringify(await call('webhooks.list'));
  assert.ok(!listed.includes(OLD.slice(6)) && !listed.includes(secret.slice(6)), 'no secret in the list');
  assert.deepEqual(chromium.errors, []);
});

test('the settings page rotates after a confirmation, shows the new secret once, and the card says until when the old one is valid', async (t) => {
  const { page, hook, deliverOne } = await setUp(t);
  const dialogs = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    return dialog.accept();
  });
  const card = `#webhook-list .card[data-id="${hook.id}"]`;
  await page.waitForSelector(`${card} .edit`);
  await page.click(`${card} .edit`);
  await page.waitForSelector('#secret-rotate', { visible: true });
  await page.click('#secret-rotate');
  const secret = await (await page.waitForSelector('#secret-rotated .new-secret')).evaluate((e) => e.textContent);
  assert.match(dialogs[0], /24 hours/);
  assert.match(secret, /^whsec_/);

  const note = await (await page.waitForSelector(`${card} .previous-secret`)).evaluate((e) => e.textContent);
  assert.match(note, /^Previous secret valid until /);
  const delivery = await deliverOne();
  assert.equal(verifiedWith(OLD, delivery).standard, true);
  assert.deepEqual(verifiedWith(secret, delivery), { standard: true, hex: true });
});
