// The notification switches: one per kind the core notifies about, as
// `notifications.get` lists them, each saved as it is flipped.
import { call } from '../shared/ext.js';
import { h, t } from '../shared/dom.js';

const section = document.getElementById('notifications');
const error = section.querySelector('.field-error');
const switches = new Map();

async function save(kind, on) {
  try {
    show(await call('notifications.set', { [kind]: on }));
    error.textContent = '';
  } catch (failure) {
    error.textContent = failure.message;
    await renderNotifications();
  }
}

/** Sets each kind's switch, adding the switches the first time. */
function show(settings) {
  for (const [kind, on] of Object.entries(settings)) {
    if (!switches.has(kind)) {
      const input = h('input', { type: 'checkbox', role: 'switch', 'data-kind': kind, onchange: () => save(kind, input.checked) });
      switches.set(kind, input);
      section.querySelector('.switches').append(h('label', { class: 'switch' }, input, ' ', h('span', {}, t(`notify_${kind}`))));
    }
    switches.get(kind).checked = on;
  }
}

/** Re-reads which kinds notify. */
export async function renderNotifications() {
  show(await call('notifications.get'));
}
