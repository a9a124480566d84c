// The background (a service worker in Chrome, an event page in Firefox).
// Listeners are registered synchronously at the top level, as MV3 requires;
// each awaits the one initialisation promise. All logic is in Rust.
import init, { Background } from '../pkg/autohook.js';
import { ext } from '../shared/ext.js';
import { host, senderKind } from '../shared/host.js';
import { permissionsReady } from '../shared/permissions.js';

const ready = Promise.all([init({ module_or_path: new URL('../pkg/autohook_bg.wasm', import.meta.url) }), permissionsReady])
  .then(() => Background.start(host));

// For developers, in the service worker's console:
// `await autohook.handle({ type: 'webhooks.list' }, 'page', null)`. The benchmark
// raises events this way, as the background's own campaigns do. Only the
// extension's own contexts can reach this scope.
ready.then((background) => { globalThis.autohook = background; });

ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (message?.type === 'changed') return false;
  const kind = senderKind(sender);
  if (!kind) return false;
  ready
    .then((background) => background.handle(message, kind, kind === 'content' ? { id: sender.tab.id, url: sender.tab.url } : null))
    .catch((error) => ({ ok: false, error: { code: error.code ?? 'internal', message: String(error.message ?? error) } }))
    .then(sendResponse);
  return true;
});

ext.alarms.onAlarm.addListener(() => ready.then((background) => background.wake()));
ext.runtime.onStartup.addListener(() => ready);
