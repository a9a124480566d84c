// What the Rust background needs from the browser, behind the small
// interface `src/wasm.rs` declares as `Host`: storage, a wake-up alarm,
// whether a URL's origin is granted, a broadcast that state changed, and
// the content script that types campaign messages into the chat tab.
import { ext } from './ext.js';
import { canReach } from './permissions.js';
import { throttled } from './throttle.js';

const WAKE_ALARM = 'autohook.wake';
// Chrome will not fire an alarm sooner than 30 s from now.
const MIN_ALARM_DELAY_MS = 30_000;
// Pages redraw at most every 300 ms (shared/dom.js), so telling them more
// often only costs a broadcast through the browser per write batch.
const CHANGED_EVERY_MS = 250;

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
  // Nobody listening (no page open) is not an error.
  changed: throttled(() => {
    ext.runtime.sendMessage({ type: 'changed' }).catch(() => {});
  }, CHANGED_EVERY_MS),
  async sendToTab(command) {
    try {
      // Injected each time: the tab may have reloaded since the last message.
      await ext.scripting.executeScript({ target: { tabId: command.tabId }, files: ['content/send.js'] });
      const reply = await ext.tabs.sendMessage(command.tabId, { type: 'autohook.send', ...command });
      return reply ?? { ok: false, error: 'The chat tab did not answer' };
    } catch (error) {
      return { ok: false, error: `Cannot reach the chat tab: ${error.message}` };
    }
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
