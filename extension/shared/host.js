// What the Rust background needs from the browser, behind the small
// interface `src/wasm.rs` declares as `Host`: storage, a wake-up alarm,
// whether a URL's origin is granted, a broadcast that state changed, the
// content script that types campaign messages into the chat tab, the
// toolbar badge, notifications, and whether the browser is online.
import { ext } from './ext.js';
import { showNotification } from './notify.js';
import { isSealed, prepareKey, resealLegacy, seal, unseal } from './seal.js';
import { readLog, readRecords, writeRecords } from './store.js';
import { canReach } from './permissions.js';
import { throttled } from './throttle.js';

const WAKE_ALARM = 'autohook.wake';
// Chrome fires an installed MV3 extension's alarm no sooner than 30 s after
// it is set, an unpacked one's no sooner than 1 s (Chromium's
// alarms_api_constants.h), and warns when asked for less: AutoHook asks for
// what the browser will do. The 1 s of an unpacked copy is what lets a test
// see a stopped worker woken by its alarm in seconds rather than 30.
const MIN_ALARM_DELAY_MS = { development: 1_000, installed: 30_000 };
let minAlarmDelayMs = MIN_ALARM_DELAY_MS.installed;
Promise.resolve(ext.management?.getSelf?.()).then(
  (self) => self?.installType === 'development' && (minAlarmDelayMs = MIN_ALARM_DELAY_MS.development),
  () => {},
);
// Pages redraw at most every 300 ms (shared/dom.js), so telling them more
// often only costs a broadcast through the browser per write batch.
const CHANGED_EVERY_MS = 250;

/**
 * A User Timing mark, once per worker: where a cold start spends its time,
 * for the benchmark (tests/bench/coldstart.mjs) or a developer's profile.
 * A handful of entries per worker, nothing logged.
 */
const marked = new Set();
export function mark(name) {
  if (marked.has(name)) return;
  marked.add(name);
  performance.mark(name);
}

// The save under way, if any: a core started after a trap must not read
// storage before the last write of the core it replaces has landed.
let saving = Promise.resolve();

/**
 * Everything stored, sorted for the core by how it was stored: `clear`
 * (never sealed), `unsealed` (sealed, opened) and `unopenable` (sealed, not
 * opened, as found). Which records must be sealed is the core's to check.
 */
async function readAll() {
  await saving;
  mark('autohook.read');
  // The key is opened while storage is read, not after.
  prepareKey();
  const stored = await readRecords(resealLegacy);
  mark('autohook.stored');
  const sorted = { clear: {}, unsealed: {}, unopenable: {} };
  await Promise.all(
    Object.entries(stored).map(async ([name, value]) => {
      if (!isSealed(value)) return (sorted.clear[name] = value);
      const text = await unseal(name, value);
      if (text === null) sorted.unopenable[name] = value;
      else sorted.unsealed[name] = text;
    }),
  );
  mark('autohook.unsealed');
  return sorted;
}

// The first start's reads, begun with the worker while the module compiles.
// Only a start before any write may take them: a write makes them stale
// (browserSession is written only by newBrowserSession, which takes its read).
let preloaded = null;
let sessionRead = null;
// The log's read under way: callers asking at once share it.
let logRead = null;
const readSession = () => ext.storage.session.get('browserSession');

export const host = {
  preload() {
    preloaded = readAll();
    sessionRead = readSession();
    preloaded.catch(() => {});
    sessionRead.catch(() => {});
  },
  load() {
    const read = preloaded ?? readAll();
    preloaded = null;
    return read;
  },
  // After the writes under way, so it holds what they stored.
  loadLog() {
    logRead ??= saving.then(readLog).finally(() => (logRead = null));
    return logRead;
  },
  // `sealed` holds the values the core says carry credentials. If they
  // cannot be sealed, nothing is written (the core writes it all again with
  // its next batch): better a delay than credentials stored in the clear.
  save(set, sealed, remove, logSet, logRemove) {
    preloaded = sessionRead = null;
    const write = saving.then(async () => {
      const sealedValues = await Promise.all(Object.entries(sealed).map(([name, text]) => seal(name, text)));
      Object.keys(sealed).forEach((name, i) => (set[name] = sealedValues[i]));
      await writeRecords(set, remove, logSet, logRemove);
      mark('autohook.saved');
    });
    saving = write.catch(() => {});
    return write;
  },
  // storage.session outlives the worker but not the browser.
  async newBrowserSession() {
    const read = sessionRead ?? readSession();
    sessionRead = null;
    if ((await read).browserSession) return false;
    await ext.storage.session.set({ browserSession: true });
    return true;
  },
  wakeAt(when) {
    ext.alarms.create(WAKE_ALARM, { when: Math.max(when, Date.now() + minAlarmDelayMs) });
  },
  mark,
  // Asked before every attempt, so its first call marks the first send.
  canReach(url) {
    mark('autohook.send');
    return canReach(url);
  },
  // Nobody listening (no page open) is not an error.
  changed: throttled(() => {
    ext.runtime.sendMessage({ type: 'changed' }).catch(() => {});
  }, CHANGED_EVERY_MS),
  async sendToTab(command) {
    try {
      // Injected each time: the tab may have reloaded since the last message.
      await ext.scripting.executeScript({ target: { tabId: command.tabId }, files: ['content/send.js'] });
      // To the top frame only, where the script was injected: a sub-frame's listener never answers.
      const answer = await ext.tabs.sendMessage(command.tabId, { type: 'autohook.send', ...command }, { frameId: 0 });
      return answer ?? { ok: false, error: 'The chat tab did not answer' };
    } catch (error) {
      return { ok: false, error: `Cannot reach the chat tab: ${error.message}` };
    }
  },
  // The badge and notifications the core decided on. A browser refusing one
  // is worth a warning, never an error in the core.
  async setBadge(text, color) {
    try {
      await Promise.all([ext.action.setBadgeText({ text }), ext.action.setBadgeBackgroundColor({ color })]);
    } catch (error) {
      console.warn('AutoHook: badge', error);
    }
  },
  async notify(notification) {
    await showNotification(notification).catch((error) => console.warn('AutoHook: notification', error));
  },
  isOnline: () => navigator.onLine,
};

/**
 * How much a message's sender is trusted: 'page' for the extension's own
 * pages, 'content' for its content script in a web page's top frame (the
 * only frame it is injected in), null otherwise.
 */
export function senderKind(sender) {
  if (sender.id !== ext.runtime.id) return null;
  const fromOwnPage = (sender.url ?? '').startsWith(ext.runtime.getURL(''));
  return fromOwnPage ? 'page' : sender.tab && sender.frameId === 0 ? 'content' : null;
}
