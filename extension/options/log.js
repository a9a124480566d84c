// The delivery log: newest first, filtered by webhook and outcome; each
// row opens to its attempts, request and response, with Redeliver.
// `?webhook=<id>` in the page's URL (a notification's link) chooses the
// webhook on the first render.
import { call } from '../shared/ext.js';
import { h, t } from '../shared/dom.js';
import { stateClass, timeElement } from '../shared/format.js';

const list = document.getElementById('log-list');
const byWebhook = document.getElementById('log-webhook');
const byState = document.getElementById('log-state');
const open = new Set();
let shown = '';
let linked = new URLSearchParams(location.search).get('webhook');

function attempts(delivery) {
  return h('table', {},
    h('thead', {}, h('tr', {}, ['#', t('logStarted'), t('logDuration'), t('logOutcome')].map((label) => h('th', {}, label)))),
    h('tbody', {}, delivery.attempts.map((attempt, index) => h('tr', {},
      h('td', {}, index + 1),
      h('td', {}, timeElement(attempt.startedAt)),
      h('td', {}, attempt.durationMs === null ? '…' : `${attempt.durationMs} ms`),
      h('td', {}, attempt.status ? `HTTP ${attempt.status}` : '', attempt.error && attempt.status ? ' — ' : '', attempt.error ?? '')))));
}

function request({ request: sent }) {
  if (!sent) return null;
  const lines = [`${sent.method} ${sent.url}`, ...sent.headers.map(([n, v]) => `${n}: ${v}`), '', sent.body ?? ''];
  return [h('h4', {}, t('logRequest')), h('pre', {}, lines.join('\n'), sent.bodyTruncated ? '\n…' : '')];
}

/** A batch's events, oldest first: kind, time and the start of its data. */
function batchEvents({ batch }) {
  if (!batch) return null;
  return [h('h4', {}, t('logBatchEvents')), h('ol', { class: 'batch-events' }, batch.map((event) => h('li', {},
    h('code', {}, event.kind), ' ', timeElement(event.at), ' ', JSON.stringify(event.data).slice(0, 200))))];
}

/** What an opened row shows: reason, a batch's events, attempts, request, response, Redeliver. */
function body(delivery) {
  const last = delivery.attempts.at(-1);
  return [
    delivery.reason && h('p', { class: 'notice' }, delivery.reason),
    delivery.replyAction && h('p', { class: 'hint reply-action' }, t('logReplyAction', delivery.replyAction)),
    batchEvents(delivery),
    attempts(delivery),
    request(delivery),
    last?.responseBody ? [h('h4', {}, t('logResponse')), h('pre', {}, last.responseBody)] : null,
    h('button', { type: 'button', class: 'quiet redeliver', onclick: () => call('deliveries.redeliver', { id: delivery.id }) }, t('redeliver')),
  ].flat().filter(Boolean);
}

function row(delivery) {
  const last = delivery.attempts.at(-1);
  // A row's body is built when it is first opened: during a burst the page
  // redraws 100 rows every 300 ms, and the bodies were most of that DOM.
  let filled = false;
  const fill = (details) => {
    if (!filled) details.append(...body(delivery));
    filled = true;
  };
  const toggled = ({ target }) => {
    if (!target.open) return open.delete(delivery.id);
    open.add(delivery.id);
    fill(target);
  };
  const details = h('details', { ontoggle: toggled },
    h('summary', {},
      timeElement(delivery.createdAt),
      h('strong', {}, delivery.webhookName),
      h('code', {}, delivery.batch ? t('logBatch', delivery.batch.length) : delivery.event.kind),
      h('span', { class: `state ${stateClass(delivery.state)}` }, t(`state_${delivery.state}`)),
      delivery.waitingForNetwork && h('span', { class: 'hint waiting' }, t('waitingForNetwork')),
      last?.status ? h('span', {}, `HTTP ${last.status}`) : null,
      h('span', { class: 'hint' }, t('logAttempts', delivery.attempts.length))));
  if (open.has(delivery.id)) {
    fill(details);
    details.open = true;
  }
  return h('li', { 'data-id': delivery.id }, details);
}

/** Re-reads the log with the current filters; `webhooks` fills the webhook filter. */
export async function renderLog(webhooks) {
  const chosen = linked ?? byWebhook.value;
  linked = null;
  byWebhook.replaceChildren(h('option', { value: '' }, t('allWebhooks')), ...webhooks.map((w) => h('option', { value: w.id }, w.name)));
  byWebhook.value = webhooks.some((w) => w.id === chosen) ? chosen : '';
  const deliveries = await call('deliveries.list', { limit: 100, ...(byWebhook.value && { webhookId: byWebhook.value }), ...(byState.value && { state: byState.value }) });
  const snapshot = JSON.stringify(deliveries);
  if (snapshot !== shown) list.replaceChildren(...deliveries.map(row));
  shown = snapshot;
  document.getElementById('log-empty').hidden = deliveries.length > 0;
}

/** Calls `refresh` when a filter changes. */
export function onFilterChange(refresh) {
  byWebhook.addEventListener('change', refresh);
  byState.addEventListener('change', refresh);
}

/** The log's webhook filter as request fields (none: every webhook), and its name as the filter shows it. */
export function logScope() {
  const webhookId = byWebhook.value;
  return { fields: webhookId ? { webhookId } : {}, name: byWebhook.selectedOptions[0]?.textContent ?? t('allWebhooks') };
}
