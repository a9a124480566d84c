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

// How each browser reports a reply it did not deliver: dropped because the
// background stopped while answering (Chrome rejects, Firefox rejects or
// resolves undefined), or never taken because the background was not
// listening yet. Either way a repeat is safe: the request id makes it act
// at most once. Anything else is a real failure to send.
const DROPPED_REPLY = /message (port|channel) closed|Receiving end does not exist|Could not establish connection|went out of scope/i;

/**
 * Sends one message-API request to the background and returns its value.
 * A reply the browser dropped is asked for once more with the same
 * `requestId`, which the background answers from memory if the first try
 * already ran: a repeat never emits, creates or sends twice.
 * @param {string} type e.g. 'webhooks.create'
 * @param {object} [params] the request's other fields
 */
export async function call(type, params = {}) {
  const message = { type, ...params, requestId: crypto.randomUUID() };
  const send = () =>
    ext.runtime.sendMessage(message).catch((error) => {
      if (DROPPED_REPLY.test(error?.message ?? '')) return undefined;
      throw error;
    });
  const reply = (await send()) ?? (await send());
  if (!reply) throw new ApiError({ code: 'no_reply', message: 'the background did not answer', field: null });
  if (!reply.ok) throw new ApiError(reply.error);
  return reply.value;
}
