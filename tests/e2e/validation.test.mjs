// Bad input through the message API in real Chromium: every refusal names
// the field and the problem, and leaves stored state exactly as it was.
import assert from 'node:assert/strict';
import { freshChromium, test } from './fixtures.mjs';
import { storeIn } from './store.mjs';
import { asker, caller } from './api.mjs';

const URL_OK = 'https://hooks.example.com/in';

// [what, webhook input, field, message pattern]
const BAD_INPUTS = [
  ['unparsable URL', { url: 'http://exa mple.com/' }, 'url', /^url does not parse/],
  ['non-http scheme', { url: 'javascript:alert(1)' }, 'url', /http or https, not javascript/],
  ['credentials in URL', { url: 'https://user:pw@example.com/' }, 'url', /user name or password/],
  ['empty name', { url: URL_OK, name: '  ' }, 'name', /must not be empty/],
  ['100-character name', { url: URL_OK, name: 'x'.repeat(100) }, 'name', /under 100 characters \(it has 100\)/],
  ['no events', { url: URL_OK, events: [] }, 'events', /at least one event/],
  ['unknown event', { url: URL_OK, events: ['mesage_sent'] }, 'events', /"mesage_sent" is not an event/],
  ['header name not a token', { url: URL_OK, headers: { 'Bad Name': 'x' } }, 'headers', /not a valid HTTP header name/],
  ['CR/LF in header value', { url: URL_OK, headers: { 'X-Team': 'a\r\nInjected: 1' } }, 'headers', /line break or NUL/],
  ['NUL in header value', { url: URL_OK, headers: { 'X-Team': 'a\u0000b' } }, 'headers', /line break or NUL/],
  ['forbidden Host', { url: URL_OK, headers: { Host: 'evil.test' } }, 'headers', /"Host" is forbidden: the browser would drop it/],
  ['forbidden Cookie', { url: URL_OK, headers: { Cookie: 'a=b' } }, 'headers', /the browser would drop it/],
  ['forbidden Content-Length', { url: URL_OK, headers: { 'Content-Length': '1' } }, 'headers', /the browser would drop it/],
  ['forbidden Sec-*', { url: URL_OK, headers: { 'Sec-Fetch-Site': 'none' } }, 'headers', /the browser would drop it/],
  ['forbidden Proxy-*', { url: URL_OK, headers: { 'Proxy-Authorization': 'x' } }, 'headers', /the browser would drop it/],
  ['own signature header', { url: URL_OK, headers: { 'webhook-signature': 'v1,x' } }, 'headers', /set by AutoHook itself/],
  ['own delivery header', { url: URL_OK, headers: { 'X-AutoHook-Delivery': 'x' } }, 'headers', /set by AutoHook itself/],
  ['headers JSON that does not parse', { url: URL_OK, headersJson: '{\n  "X-Team": "ops",\n  oops\n}' }, 'headers', /line 3, column 3/],
  ['headers JSON not an object', { url: URL_OK, headersJson: '["X-Team"]' }, 'headers', /must be an object/],
  ['header value not a string', { url: URL_OK, headers: { 'X-Count': 3 } }, 'headers', /"X-Count" must have a string value/],
  ['unknown method', { url: URL_OK, method: 'DELETE' }, 'method', /POST, GET, PUT or PATCH/],
];

async function setUp(t) {
  const chromium = await freshChromium(t);
  const page = await chromium.openPage('options/options.html');
  const stored = storeIn(page).read;
  return { page, ask: asker(page), call: caller(page), stored };
}

test('every bad webhook input is refused with its field and reason, on create and on update, changing nothing', async (t) => {
  const { ask, call, stored } = await setUp(t);
  const existing = await call('webhooks.create', { webhook: { url: URL_OK, name: 'Existing' } });
  const before = await stored();

  for (const [what, input, field, message] of BAD_INPUTS) {
    for (const [type, fields] of [['webhooks.create', { webhook: input }], ['webhooks.update', { id: existing.id, changes: input }]]) {
      const reply = await ask(type, fields);
      assert.equal(reply.ok, false, `${what} (${type}) was accepted`);
      assert.equal(reply.error.code, 'invalid_input', what);
      assert.equal(reply.error.field, field, what);
      assert.match(reply.error.message, message, what);
    }
  }
  assert.deepEqual(await stored(), before);
});

test('an 11th webhook and unknown ids are refused, changing nothing', async (t) => {
  const { ask, call, stored } = await setUp(t);
  for (let n = 1; n <= 10; n++) await call('webhooks.create', { webhook: { url: `${URL_OK}/${n}` } });
  const before = await stored();

  const eleventh = await ask('webhooks.create', { webhook: { url: `${URL_OK}/11` } });
  assert.equal(eleventh.error.code, 'too_many_webhooks');
  assert.match(eleventh.error.message, /at most 10 webhooks/);
  for (const type of ['webhooks.update', 'webhooks.delete', 'webhooks.test', 'webhooks.setEnabled']) {
    const reply = await ask(type, { id: 'wh_nope', ...(type === 'webhooks.update' && { changes: {} }), ...(type === 'webhooks.setEnabled' && { enabled: false }) });
    assert.deepEqual(reply.error, { code: 'unknown_webhook', field: 'id', message: 'no webhook has id "wh_nope"' }, type);
  }
  const redeliver = await ask('deliveries.redeliver', { id: 'dlv_nope' });
  assert.equal(redeliver.error.code, 'unknown_delivery');
  assert.deepEqual(await stored(), before);
});

test('a payload over 256 KB is refused and logged, and nothing is queued', async (t) => {
  const { ask, call } = await setUp(t);
  await call('webhooks.create', { webhook: { url: URL_OK } });
  const reply = await ask('events.emit', { event: 'message_sent', data: { message: 'x'.repeat(300_000) } });
  assert.equal(reply.error.code, 'payload_too_large');
  assert.match(reply.error.message, /limit is 262144 bytes/);
  assert.deepEqual(await call('deliveries.list', { state: 'pending' }), []);
  const [logged] = await call('deliveries.list', { state: 'failed' });
  assert.match(logged.reason, /^refused: payload is \d+ bytes/);
});
