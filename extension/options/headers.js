// Custom headers in the editor: key/value rows, or the same as JSON text.
// Switching modes converts between them; the core validates either.
import { h, t } from '../shared/dom.js';

const rows = document.getElementById('header-rows');
const addButton = document.getElementById('add-header');
const jsonMode = document.getElementById('headers-as-json');
const jsonText = document.getElementById('headers-json');

function addRow(name = '', value = '') {
  const row = h('div', { class: 'header-row' },
    h('input', { class: 'header-name', value: name, 'aria-label': t('headerName'), placeholder: 'X-Team', autocomplete: 'off' }),
    h('input', { class: 'header-value', value, 'aria-label': t('headerValue'), autocomplete: 'off' }),
    h('button', { type: 'button', class: 'quiet', 'aria-label': t('removeHeader'), onclick: () => { row.remove(); rows.dispatchEvent(new Event('input', { bubbles: true })); } }, '×'));
  rows.append(row);
}

function fromRows() {
  const headers = {};
  for (const row of rows.children) {
    const name = row.querySelector('.header-name').value.trim();
    if (name) headers[name] = row.querySelector('.header-value').value;
  }
  return headers;
}

function showMode() {
  rows.hidden = jsonMode.checked;
  addButton.hidden = jsonMode.checked;
  jsonText.hidden = !jsonMode.checked;
}

/** Shows `headers` (an object of strings) as rows. */
export function setHeaders(headers = {}) {
  rows.replaceChildren();
  jsonMode.checked = false;
  for (const [name, value] of Object.entries(headers)) addRow(name, value);
  showMode();
}

/** The headers as the message API takes them: `{headers}` or `{headersJson}`. */
export function headersInput() {
  return jsonMode.checked ? { headersJson: jsonText.value } : { headers: fromRows() };
}

addButton.addEventListener('click', () => addRow());
jsonMode.addEventListener('change', () => {
  if (jsonMode.checked) {
    jsonText.value = JSON.stringify(fromRows(), null, 2);
  } else {
    // Text that does not parse stays in JSON mode: the core says where it is wrong.
    try {
      setHeaders(JSON.parse(jsonText.value || '{}'));
    } catch {
      jsonMode.checked = true;
    }
  }
  showMode();
});
