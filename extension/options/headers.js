// Custom headers in the editor: rows of name, value and a Secret switch, or
// the same as JSON text. Switching modes converts between them; the core
// validates either, and decides what is secret. A secret value the core did
// not send (it never does) shows empty behind Reveal, and goes back without
// a value, which keeps the stored one. The headers that never carry a
// credential come from the catalog: their switch is off and fixed.
import { catalog } from '../shared/catalog.js';
import { h, t } from '../shared/dom.js';

const { neverSecretHeaders } = await catalog;
const NEVER_SECRET = new Set(neverSecretHeaders.map((name) => name.toLowerCase()));
const rows = document.getElementById('header-rows');
const addButton = document.getElementById('add-header');
const jsonMode = document.getElementById('headers-as-json');
const jsonText = document.getElementById('headers-json');
const revealButton = document.getElementById('headers-reveal');
document.getElementById('headers-hint').textContent = t('headersSecretHint', neverSecretHeaders.join(', '));
/** The stored secret values, by name, when the page may ask for them: `null` for a new webhook. */
let load = null;
let revealed = false;

const neverSecret = (name) => NEVER_SECRET.has(name.trim().toLowerCase());
const changed = () => rows.dispatchEvent(new Event('input', { bubbles: true }));

/** Shows a row's value in clear where it is not secret or the headers are revealed. */
function showRow(row) {
  const name = row.querySelector('.header-name').value;
  const secret = row.querySelector('.header-secret');
  const fixed = neverSecret(name);
  if (fixed) secret.checked = false;
  else if (secret.disabled) secret.checked = true;
  secret.disabled = fixed;
  row.querySelector('.header-value').type = secret.checked && !revealed ? 'password' : 'text';
}

/** A row; `stored` when its value stayed in the background (a secret the page was not given). */
function addRow({ name = '', value = '', secret = true, stored = false } = {}) {
  const row = h('div', { class: 'header-row' },
    h('input', { class: 'header-name', value: name, 'aria-label': t('headerName'), placeholder: 'X-Team', autocomplete: 'off', oninput: () => showRow(row) }),
    h('input', { class: 'header-value', value, 'aria-label': t('headerValue'), autocomplete: 'off', placeholder: stored ? t('headerStoredValue') : '' }),
    h('label', { class: 'inline header-switch' },
      h('input', { type: 'checkbox', class: 'header-secret', checked: secret, onchange: () => showRow(row) }), ' ', t('headerSecret')),
    h('button', { type: 'button', class: 'quiet', 'aria-label': t('removeHeader'), onclick: () => { row.remove(); changed(); } }, '×'));
  row.dataset.stored = stored ? 'true' : '';
  rows.append(row);
  showRow(row);
}

/**
 * The rows as the message API takes them: a value, `{value, secret: false}`
 * for one switched off, or `{secret}` without a value to keep the stored one.
 */
function fromRows() {
  const headers = {};
  for (const row of rows.children) {
    const name = row.querySelector('.header-name').value.trim();
    const value = row.querySelector('.header-value').value;
    const secret = row.querySelector('.header-secret').checked;
    if (!name) continue;
    if (row.dataset.stored && !value) headers[name] = { secret };
    else headers[name] = secret || neverSecret(name) ? value : { value, secret: false };
  }
  return headers;
}

/** Rows from the message API's object (the JSON mode's text). */
function toRows(headers) {
  rows.replaceChildren();
  for (const [name, entry] of Object.entries(headers)) {
    const { value, secret = !neverSecret(name) } = typeof entry === 'object' && entry !== null ? entry : { value: entry };
    addRow({ name, value: value ?? '', secret, stored: value === undefined });
  }
}

function showMode() {
  rows.hidden = jsonMode.checked;
  addButton.hidden = jsonMode.checked;
  jsonText.hidden = !jsonMode.checked;
}

function showRevealed() {
  revealButton.setAttribute('aria-pressed', String(revealed));
  for (const row of rows.children) showRow(row);
}

/**
 * Shows `headers` (a webhook's `[{name, value, secret}]`, `value` null for a
 * secret one) as rows, masked; `reveal()` gives the stored secret values by
 * name (`null` for a new webhook, which has none).
 */
export function setHeaders(headers = [], reveal = null) {
  load = reveal;
  revealed = false;
  rows.replaceChildren();
  jsonMode.checked = false;
  for (const { name, value, secret } of headers) addRow({ name, value: value ?? '', secret, stored: value === null });
  showMode();
  showRevealed();
}

/** The headers as the message API takes them: `{headers}` or `{headersJson}`. */
export function headersInput() {
  return jsonMode.checked ? { headersJson: jsonText.value } : { headers: fromRows() };
}

addButton.addEventListener('click', () => addRow());
revealButton.addEventListener('click', async () => {
  const stored = [...rows.children].filter((row) => row.dataset.stored);
  if (!revealed && stored.length && load) {
    const values = await load();
    for (const row of stored) {
      const name = row.querySelector('.header-name').value.trim().toLowerCase();
      const found = Object.entries(values).find(([stored]) => stored.toLowerCase() === name);
      if (found && !row.querySelector('.header-value').value) row.querySelector('.header-value').value = found[1];
      row.dataset.stored = '';
      row.querySelector('.header-value').placeholder = '';
    }
  }
  revealed = !revealed;
  showRevealed();
});
jsonMode.addEventListener('change', () => {
  if (jsonMode.checked) {
    jsonText.value = JSON.stringify(fromRows(), null, 2);
  } else {
    // Text that does not parse stays in JSON mode: the core says where it is wrong.
    try {
      toRows(JSON.parse(jsonText.value || '{}'));
    } catch {
      jsonMode.checked = true;
    }
  }
  showMode();
});
