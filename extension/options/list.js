// The webhook cards: name, method, URL, events, switch, health, stats, and
// the actions on each. Every change goes through the background.
import { call } from '../shared/ext.js';
import { h, t } from '../shared/dom.js';
import { timeElement, urlElement, describeResult } from '../shared/format.js';
import { canReach, requestAccess } from '../shared/permissions.js';
import { healthElement } from './health.js';
import { previousSecretNotes } from './secrets.js';

function stats({ stats: s }) {
  const rate = s.successRate;
  return h('p', { class: 'stats' },
    h('span', {}, t('statTriggers'), ' ', h('b', { class: 'triggers' }, s.triggers)),
    h('span', {}, t('statFailures'), ' ', h('b', { class: 'failures' }, s.failures)),
    h('span', {}, t('statSuccessRate'), ' ',
      h('span', { class: 'rate', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round((rate ?? 0) * 100)), 'aria-label': t('statSuccessRate') },
        h('span', { style: `inline-size: ${(rate ?? 0) * 100}%` })),
      ' ', h('b', {}, rate === null || rate === undefined ? '–' : `${Math.round(rate * 100)}%`)),
    h('span', {}, t('statLastTriggered'), ' ', timeElement(s.lastTriggered)),
    h('span', {}, t('statLastStatus'), ' ', h('b', {}, s.lastStatus ?? '–')),
    h('span', {}, t('statLatency'), ' ', h('b', {}, s.meanLatencyMs === null || s.meanLatencyMs === undefined ? '–' : `${s.meanLatencyMs} ms`)));
}

// Test results per webhook id, kept across re-renders (each delivery re-renders).
const results = new Map();

function card(webhook, { edit, rerender }) {
  const shown = results.get(webhook.id) ?? {};
  const result = h('output', { class: `result ${shown.state ?? ''}`, 'aria-live': 'polite' }, shown.text ?? '',
    shown.body && h('pre', { class: 'response' }, shown.body));
  const show = (text, state = '', body = '') => {
    results.set(webhook.id, { text, state, body });
    rerender();
  };
  const run = (action) => action().catch((error) => show(error.message, 'failed'));
  const test = () => run(async () => {
    show(t('sending'));
    const outcome = await call('webhooks.test', { id: webhook.id });
    show(describeResult(outcome), outcome.ok ? 'ok' : 'failed', outcome.responseBody?.slice(0, 200));
  });
  const remove = () => run(async () => {
    if (confirm(t('confirmDelete', webhook.name))) await call('webhooks.delete', { id: webhook.id });
  });
  const needsPermission = !canReach(webhook.url);
  return h('li', { class: `card${webhook.enabled ? '' : ' off'}`, 'data-id': webhook.id },
    h('h3', {}, h('span', { class: 'name' }, webhook.name), h('span', { class: 'badge' }, webhook.method),
      h('label', { class: 'switch', style: 'margin-inline-start: auto' },
        h('input', { type: 'checkbox', role: 'switch', class: 'enabled', checked: webhook.enabled, 'aria-label': t('enabledFor', webhook.name),
          onchange: ({ target: { checked } }) => run(() => call('webhooks.setEnabled', { id: webhook.id, enabled: checked, ...(checked && { held: 'deliver' }) })) }),
        t(webhook.enabled ? 'on' : 'off'))),
    urlElement(webhook.url),
    h('div', { class: 'events' }, webhook.events.map((name) => h('span', { class: 'badge' }, name))),
    healthElement(webhook, run),
    previousSecretNotes(webhook),
    needsPermission && h('p', { class: 'notice needs-permission' }, t('needsPermission'), ' ',
      h('button', { type: 'button', class: 'quiet', onclick: () => requestAccess(webhook.url) }, t('grantPermission'))),
    stats(webhook),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'test', onclick: test }, t('test')),
      h('button', { type: 'button', class: 'quiet edit', onclick: () => edit(webhook) }, t('edit')),
      h('button', { type: 'button', class: 'quiet clear-stats', onclick: () => run(() => call('stats.clear', { id: webhook.id })) }, t('clearStats')),
      h('button', { type: 'button', class: 'danger delete', onclick: remove }, t('delete'))),
    result);
}

/**
 * Replaces the list's cards; `edit(webhook)` opens the editor. Keyboard
 * focus stays on the same control of the same webhook.
 */
export function renderWebhooks(list, webhooks, handlers) {
  const focused = document.activeElement;
  const id = focused?.closest?.('li[data-id]')?.dataset.id;
  const control = focused?.classList?.[focused.classList.length - 1];
  list.replaceChildren(...webhooks.map((webhook) => card(webhook, handlers)));
  if (id && control) list.querySelector(`li[data-id="${CSS.escape(id)}"] .${CSS.escape(control)}`)?.focus();
}
