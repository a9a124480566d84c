// The settings page's thin slice: one webhook (URL and secret) and a Test
// button. Validation, signing and delivery happen in the background.
import { call } from '../shared/ext.js';
import { permissionsReady, requestAccess } from '../shared/permissions.js';

const form = document.getElementById('webhook-form');
const result = document.getElementById('result');
const fields = { url: form.elements.url, secret: form.elements.secret };
const testButton = document.getElementById('test');

// Until the granted origins are known, a click could not tell whether to prompt.
testButton.disabled = true;
permissionsReady.finally(() => { testButton.disabled = false; });

// `./build.sh run` opens this page with the local receiver's URL and a secret.
const suggested = new URLSearchParams(location.search);
fields.url.value = suggested.get('suggest') ?? '';
fields.secret.value = suggested.get('secret') ?? '';

function show(text, state) {
  result.textContent = text;
  result.className = state;
}

function showFieldError(error) {
  for (const name of Object.keys(fields)) {
    document.getElementById(`${name}-error`).textContent = error?.field === name ? error.message : '';
  }
}

async function saveAndTest(granted) {
  const webhook = { url: fields.url.value, secret: fields.secret.value };
  const [existing] = await call('webhooks.list');
  const saved = existing
    ? await call('webhooks.update', { id: existing.id, changes: webhook })
    : await call('webhooks.create', { webhook });
  showFieldError(null);
  if (!(await granted)) {
    show(`Saved, but the browser was not allowed to reach ${new URL(saved.url).host}.`, 'failed');
    return;
  }
  show('Sending…', '');
  const test = await call('webhooks.test', { id: saved.id });
  const answer = test.status ? `HTTP ${test.status}` : test.error;
  show(`${test.ok ? 'Delivered' : 'Failed'}: ${answer} in ${test.latencyMs} ms`, test.ok ? 'ok' : 'failed');
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const granted = requestAccess(fields.url.value);
  saveAndTest(granted).catch((error) => {
    showFieldError(error);
    show(error.field ? '' : error.message, 'failed');
  });
});
