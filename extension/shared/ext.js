// The only module that touches the browser's extension namespace directly:
// Firefox offers promise-based `browser`, Chrome promise-based `chrome`.
export const ext = globalThis.browser ?? globalThis.chrome;

/** Error thrown for an `{ok: false}` answer; `code` and `field` come from the core. */
export class ApiError extends Error {
  constructor({ code, message, field }) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
  }
}

// How each browser reports an answer it did not deliver: dropped because the
// background stopped while answering (Chrome rejects, Firefox rejects or
// resolves undefined), or never taken because the background was not
// listening yet. Either way a repeat is safe: the request id makes it act
// at most once. Anything else is a real failure to send.
const DROPPED_ANSWER = /message (port|channel) closed|Receiving end does not exist|Could not establish connection|went out of scope/i;

/**
 * Sends one message-API request to the background and returns its value.
 * An answer the browser dropped is asked for once more with the same
 * `requestId`, which the background answers from memory if the first try
 * already ran: a repeat never emits, creates or sends twice.
 * @param {string} type e.g. 'webhooks.create'
 * @param {object} [params] the request's other fields
 */
export async function call(type, params = {}) {
  const message = { type, ...params, requestId: crypto.randomUUID() };
  const send = () =>
    ext.runtime.sendMessage(message).catch((error) => {
      if (DROPPED_ANSWER.test(error?.message ?? '')) return undefined;
      throw error;
    });
  const answer = (await send()) ?? (await send());
  if (!answer) throw new ApiError({ code: 'no_reply', message: 'the background did not answer', field: null });
  if (!answer.ok) throw new ApiError(answer.error);
  return answer.value;
}
