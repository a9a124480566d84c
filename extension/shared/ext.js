// The only module that touches the browser's extension namespace directly:
// Firefox offers promise-based `browser`, Chrome promise-based `chrome`.
export const ext = globalThis.browser ?? globalThis.chrome;

/** Error thrown for an `{ok: false}` reply; `code` and `field` come from the core. */
export class ApiError extends Error {
  constructor({ code, message, field }) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
  }
}

/**
 * Sends one message-API request to the background and returns its value.
 * @param {string} type e.g. 'webhooks.create'
 * @param {object} [params] the request's other fields
 */
export async function call(type, params = {}) {
  // A worker stopped while answering drops the reply; a second try starts it again.
  const send = () => ext.runtime.sendMessage({ type, ...params });
  const reply = (await send()) ?? (await send());
  if (!reply) throw new ApiError({ code: 'no_reply', message: 'the background did not answer' });
  if (!reply.ok) throw new ApiError(reply.error);
  return reply.value;
}
