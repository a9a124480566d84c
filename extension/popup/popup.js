// The toolbar popup: the global switch, webhooks AutoHook turned off, the
// last 24 hours, the latest deliveries, a switch per webhook, and the way
// to the settings page. Opening it marks the badge's failures seen.
import { call, ext } from '../shared/ext.js';
import { h, localize, onStateChanged, t, renderThrottled } from '../shared/dom.js';
import { stateClass, timeElement } from '../shared/format.js';

localize();
const globalSwitch = document.getElementById('global-enabled');
let rowsShown = '';
let reads = 0;

function delivery(d) {
  return h('li', {}, h('span', { class: stateClass(d.state) }, d.status ?? t(`state_${d.state}`)),
    h('span', { class: 'grow' }, d.webhookName, ' · ', h('code', {}, d.event)), timeElement(d.createdAt));
}

function webhookRow(webhook) {
  return h('li', {}, h('span', { class: 'grow' }, webhook.name),
    h('input', { type: 'checkbox', role: 'switch', checked: webhook.enabled, 'aria-label': t('enabledFor', webhook.name),
      onchange: ({ target }) => call('webhooks.setEnabled', { id: webhook.id, enabled: target.checked }).catch(redrawRefused) }));
}

async function refresh() {
  // A read answered after a newer one (a resent request) draws nothing.
  const read = ++reads;
  const [settings, summary, webhooks, badge] = await Promise.all([call('settings.get'), call('stats.summary'), call('webhooks.list'), call('badge.get')]);
  if (read !== reads) return;
  globalSwitch.checked = settings.enabled;
  document.getElementById('auto-disabled').hidden = badge.autoDisabled === 0;
  document.getElementById('auto-disabled').textContent = t('autoDisabledNotice', badge.autoDisabled);
  document.getElementById('delivered').textContent = summary.delivered24h;
  document.getElementById('failed').textContent = summary.failed24h;
  const latest = summary.latest.map(delivery);
  document.getElementById('latest').replaceChildren(...(latest.length ? latest : [h('li', { class: 'hint' }, t('logEmpty'))]));
  // Rows are rebuilt only when a webhook came, went or was renamed, and the
  // switches set in place: a rebuild on every delivery's stats dropped the
  // keyboard focus and could lose a click between mouse down and up.
  const list = document.getElementById('webhooks');
  const rows = JSON.stringify(webhooks.map(({ id, name }) => [id, name]));
  if (rows !== rowsShown) list.replaceChildren(...webhooks.map(webhookRow));
  rowsShown = rows;
  webhooks.forEach((webhook, i) => { list.children[i].querySelector('input').checked = webhook.enabled; });
}

const redraw = renderThrottled(() => refresh().catch(console.error));
/** A refused switch: nothing changed, so no broadcast would put it back. */
function redrawRefused(error) {
  console.error(error);
  redraw();
}

globalSwitch.addEventListener('change', () => call('settings.set', { enabled: globalSwitch.checked }).catch(redrawRefused));
document.getElementById('open-settings').addEventListener('click', () => ext.runtime.openOptionsPage().then(() => window.close()));
onStateChanged(redraw);
call('badge.markSeen').catch(console.error);
await refresh();
