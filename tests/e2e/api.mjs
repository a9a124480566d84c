// The message API as the tests use it: sent from an extension page, exactly
// as the settings page sends it.

/** Returns `ask(type, fields)`, resolving to the raw reply `{ok, value | error}`. */
export function asker(page) {
  return (type, fields = {}) => page.evaluate((message) => chrome.runtime.sendMessage(message), { type, ...fields });
}

/** Returns `call(type, fields)`, resolving to the reply's value; throws on an error reply. */
export function caller(page) {
  const ask = asker(page);
  return async (type, fields) => {
    const reply = await ask(type, fields);
    if (!reply?.ok) throw new Error(`${type} failed: ${JSON.stringify(reply)}`);
    return reply.value;
  };
}

/** Every event a webhook can subscribe to, as the core's catalog lists them (`call` as `caller` returns). */
export async function everyEvent(call) {
  return (await call('catalog.get')).events.filter((event) => event.subscribable).map((event) => event.name);
}

/** Polls `probe` until it returns something truthy, and returns that. */
export async function eventually(probe, { timeoutMs = 15_000, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
