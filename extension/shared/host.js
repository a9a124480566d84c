// What the Rust background needs from the browser, behind the small
// interface `src/wasm.rs` declares as `Host`: storage, a wake-up alarm,
// whether a URL's origin is granted, and a broadcast that state changed.
import { ext } from './ext.js';
import { canReach } from './permissions.js';

const WAKE_ALARM = 'autohook.wake';
// Chrome will not fire an alarm sooner than 30 s from now.
const MIN_ALARM_DELAY_MS = 30_000;

export const host = {
  load: () => ext.storage.local.get(null),
  async save(set, remove) {
    await ext.storage.local.set(set);
    if (remove.length) await ext.storage.local.remove(remove);
  },
  wakeAt(when) {
    ext.alarms.create(WAKE_ALARM, { when: Math.max(when, Date.now() + MIN_ALARM_DELAY_MS) });
  },
  canReach,
  changed() {
    // Nobody listening (no page open) is not an error.
    ext.runtime.sendMessage({ type: 'changed' }).catch(() => {});
  },
};

/**
 * How much a message's sender is trusted: 'page' for the extension's own
 * pages, 'content' for its content script in a web page, null otherwise.
 */
export function senderKind(sender) {
  if (sender.id !== ext.runtime.id) return null;
  const fromOwnPage = (sender.url ?? '').startsWith(ext.runtime.getURL(''));
  return fromOwnPage ? 'page' : sender.tab ? 'content' : null;
}
