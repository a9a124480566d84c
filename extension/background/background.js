// The background (a service worker in Chrome, an event page in Firefox).
// Listeners are registered synchronously at the top level, as MV3 requires;
// each awaits the current core. All logic is in Rust; this file only keeps
// the core answering: if the Wasm module traps, every request in flight is
// answered `internal`, the instance is discarded, and the next request (or
// alarm) starts a fresh one from storage. Never a restart loop: a start that
// traps again is retried only by the next caller.
import init, { Background, __wbg_reset_state as resetModule } from '../pkg/autohook.js';
import { ext } from '../shared/ext.js';
import { host, senderKind, mark } from '../shared/host.js';
import { BUTTONS, notificationWebhook, openSettingsFor } from '../shared/notify.js';
import { permissionsReady } from '../shared/permissions.js';

mark('autohook.script');
const wasmReady = () => init({ module_or_path: new URL('../pkg/autohook_bg.wasm', import.meta.url) }).then(() => mark('autohook.wasm'));
// Storage is read while the module compiles: the first start takes that read.
const load = () => (host.preload(), Promise.all([wasmReady(), permissionsReady]).then(() => mark('autohook.loaded')));
let loaded;
// The core's promise (null: the next caller starts one), the core it
// resolved to, and how to fail a start that trapped (it would never settle).
// For developers, in the worker's console: `await autohook.handle({ type:
// 'webhooks.list' }, 'page', null)`; the benchmark raises events this way.
let core = null;
let latest;
let failStart = () => {};
// Answers owed to requests the current core is working on.
const inFlight = new Set();

const INTERNAL = { ok: false, error: { code: 'internal', message: 'internal error: the background restarted from storage; try again', field: null } };

function start() {
  loaded ??= load().catch((error) => ((loaded = undefined), Promise.reject(error)));
  const starting = new Promise((resolve, reject) => {
    failStart = reject;
    loaded.then(() => Background.start(host)).then(resolve, reject);
  });
  core = starting;
  starting.then(
    (background) => {
      if (core !== starting) return;
      mark('autohook.started');
      globalThis.autohook = latest = background;
    },
    () => core === starting && (core = null),
  );
  return starting;
}

/** A trap (or a stack overflow: RangeError in V8, InternalError in SpiderMonkey) inside the module. */
const isTrap = (error) =>
  error instanceof WebAssembly.RuntimeError || ((error instanceof RangeError || error?.name === 'InternalError') && /wasm/.test(error.stack ?? ''));

/** Discards the core that trapped, starting or started; once per core. */
function recover(error) {
  if (core === null) return;
  console.error('AutoHook: the core trapped; the next request starts a fresh one from storage', error);
  core = null;
  latest = undefined;
  for (const respond of inFlight) respond(INTERNAL);
  inFlight.clear();
  failStart(error);
  resetModule();
}

/** Runs `use(background)`; a trap answers `internal` and discards the core. */
async function withCore(use) {
  const background = await (core ?? start());
  try {
    return await use(background);
  } catch (error) {
    if (!isTrap(error)) throw error;
    if (background === latest) recover(error);
    return INTERNAL;
  }
}

// A trap in a task the core runs on its own (its start, a response, a
// timer) surfaces here. Tasks of a discarded instance cannot trap: after
// resetModule they throw plain Errors ("closure from previous instance").
addEventListener('error', (event) => isTrap(event.error) && recover(event.error));
addEventListener('unhandledrejection', (event) => isTrap(event.reason) && recover(event.reason));
start();

ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (message?.type === 'changed') return false;
  const kind = senderKind(sender);
  if (!kind) return false;
  const tab = kind === 'content' ? { id: sender.tab.id, url: sender.tab.url } : null;
  let answered = false;
  const respond = (answer) => {
    if (answered) return;
    answered = true;
    inFlight.delete(respond);
    sendResponse(answer);
  };
  inFlight.add(respond);
  withCore((background) => background.handle(message, kind, tab))
    .catch((error) => ({ ok: false, error: { code: error.code ?? 'internal', message: String(error.message ?? error), field: null } }))
    .then(respond);
  return true;
});

const wake = () => withCore((background) => background.wake());
ext.alarms.onAlarm.addListener(wake);
ext.runtime.onStartup.addListener(() => core ?? start());
// Deliveries due while offline wait for the network without spending attempts.
addEventListener('online', wake);
addEventListener('offline', wake);

// A notification opens the log of its webhook; Chrome's "Retry failed"
// button queues that webhook's failed deliveries again, as the log's
// "Redeliver all failed" does.
ext.notifications.onClicked.addListener(openSettingsFor);
ext.notifications.onButtonClicked?.addListener((id, index) => {
  if (BUTTONS[index] !== 'retryFailed') return openSettingsFor(id);
  ext.notifications.clear(id);
  const request = { type: 'deliveries.redeliverFailed', webhookId: notificationWebhook(id) };
  withCore((background) => background.handle(request, 'page', null))
    .then((answer) => answer.ok || console.warn('AutoHook: Retry failed', answer.error))
    .catch((error) => console.warn('AutoHook: Retry failed', error));
});
