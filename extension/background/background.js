// The background (a service worker in Chrome, an event page in Firefox).
// Listeners are registered synchronously at the top level, as MV3 requires;
// each awaits the current core. All logic is in Rust; this file only keeps
// the core answering: if the Wasm module traps, every request in flight is
// answered `internal`, the instance is replaced by a fresh one started from
// storage, and the next request works.
import init, { Background, __wbg_reset_state as resetModule } from '../pkg/autohook.js';
import { ext } from '../shared/ext.js';
import { host, senderKind } from '../shared/host.js';
import { permissionsReady } from '../shared/permissions.js';

const loaded = Promise.all([init({ module_or_path: new URL('../pkg/autohook_bg.wasm', import.meta.url) }), permissionsReady, host.restrictStorage()]);
// The core answering now, and the promise of it. For developers, in the
// worker's console: `await autohook.handle({ type: 'webhooks.list' }, 'page', null)`;
// the benchmark raises events this way, as campaigns do.
let latest;
let core;
const start = () => (core = loaded.then(() => Background.start(host)).then((background) => (globalThis.autohook = latest = background)));
start();
// Replies owed to requests the current core is working on.
const inFlight = new Set();

const INTERNAL = { ok: false, error: { code: 'internal', message: 'internal error: the background restarted from storage; try again', field: null } };

/** A trap (or a stack overflow) inside the Wasm module, not a JS error. */
const isTrap = (error) =>
  error instanceof WebAssembly.RuntimeError || (error instanceof RangeError && /wasm/.test(error.stack ?? ''));

/** Replaces the core that trapped (once, however many calls saw it trap). */
function recover(trapped, error) {
  if (!trapped || trapped !== latest) return;
  console.error('AutoHook: the core trapped; starting a fresh one from storage', error);
  latest = undefined;
  for (const respond of inFlight) respond(INTERNAL);
  inFlight.clear();
  resetModule();
  start();
}

/** Runs `use(background)`; a trap answers `internal` and replaces the core. */
async function withCore(use) {
  // A start that failed (storage unreachable) is tried again by the next caller.
  const background = await core.catch(() => start());
  try {
    return await use(background);
  } catch (error) {
    if (!isTrap(error)) throw error;
    recover(background, error);
    return INTERNAL;
  }
}

// A trap in a task the core runs on its own (a response, a timer) surfaces here.
addEventListener('error', (event) => isTrap(event.error) && recover(latest, event.error));
addEventListener('unhandledrejection', (event) => isTrap(event.reason) && recover(latest, event.reason));

ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (message?.type === 'changed') return false;
  const kind = senderKind(sender);
  if (!kind) return false;
  const tab = kind === 'content' ? { id: sender.tab.id, url: sender.tab.url } : null;
  let answered = false;
  const respond = (reply) => {
    if (answered) return;
    answered = true;
    inFlight.delete(respond);
    sendResponse(reply);
  };
  inFlight.add(respond);
  withCore((background) => background.handle(message, kind, tab))
    .catch((error) => ({ ok: false, error: { code: error.code ?? 'internal', message: String(error.message ?? error), field: null } }))
    .then(respond);
  return true;
});

ext.alarms.onAlarm.addListener(() => withCore((background) => background.wake()));
ext.runtime.onStartup.addListener(() => core);
