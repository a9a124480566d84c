// The settings page: webhooks, the editor, the notification switches,
// import and export, the delivery log, About and the global switch. State lives in the background; this page re-reads it whenever
// the background says it changed, so it stays live without reloading.
import { call } from '../shared/ext.js';
import { localize, onStateChanged, renderThrottled } from '../shared/dom.js';
import { onAccessChanged, permissionsReady } from '../shared/permissions.js';
import { openEditor } from './editor.js';
import { renderWebhooks } from './list.js';
import { renderLog, onFilterChange } from './log.js';
import { renderNotifications } from './notifications.js';
import { renderUnreadable } from './unreadable.js';
import './about.js';
import './bulk.js';
import './transfer.js';

localize();
const globalSwitch = document.getElementById('global-enabled');
const testButton = document.getElementById('test');
let webhooks = [];

let shown = '';

/** Re-reads state; cards are rebuilt only when they changed, or when `force`d (a Test result to show). */
async function refresh({ force = false } = {}) {
  const [settings, list] = await Promise.all([call('settings.get'), call('webhooks.list')]);
  globalSwitch.checked = settings.enabled;
  document.getElementById('empty').hidden = list.length > 0;
  const snapshot = JSON.stringify(list);
  if (force || snapshot !== shown) {
    shown = snapshot;
    webhooks = list;
    const rerender = () => refresh({ force: true }).catch(console.error);
    renderWebhooks(document.getElementById('webhook-list'), webhooks, { edit: openEditor, rerender });
  }
  await Promise.all([renderLog(webhooks), renderUnreadable(document.getElementById('unreadable'), document.getElementById('unopenable-banner')), renderNotifications()]);
}
const rerender = renderThrottled(() => refresh().catch(console.error));

// Refused: nothing changed, so no broadcast would put the switch back.
globalSwitch.addEventListener('change', () => call('settings.set', { enabled: globalSwitch.checked }).catch((error) => {
  console.error(error);
  rerender();
}));
document.getElementById('add').addEventListener('click', () => openEditor());
document.getElementById('clear-all-stats').addEventListener('click', () => call('stats.clear'));
onFilterChange(rerender);
onStateChanged(rerender);
onAccessChanged(rerender);

// Failures this page shows count as seen: the toolbar badge's count is
// reset when the page loads and whenever it is shown again.
const markSeen = () => document.visibilityState === 'visible' && call('badge.markSeen').catch(console.error);
document.addEventListener('visibilitychange', markSeen);
markSeen();

await permissionsReady;
// A first read that failed still leaves a working page (it re-reads on the next change).
const read = await refresh().then(() => true, (error) => {
  console.error(error);
  return false;
});
// Disabled in the HTML: until the granted origins are known, a click could
// not tell whether to prompt. A new user's form is filled in this same task.
testButton.disabled = false;
// A new user lands on the form (not one whose webhooks could not be read);
// `./build.sh run` passes its receiver's URL and a secret.
const suggested = new URLSearchParams(location.search);
if ((read && webhooks.length === 0) || suggested.has('suggest')) {
  openEditor(null, { url: suggested.get('suggest') ?? '', secret: suggested.get('secret') ?? '' });
}
// A notification's link (`?webhook=<id>#log`) lands on the log, now that the cards above it are drawn.
if (location.hash === '#log') document.getElementById('log').scrollIntoView();
