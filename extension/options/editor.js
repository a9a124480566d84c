// The add / edit form. It only collects input and shows what the core
// answers: validation errors next to their field, the rendered request
// preview, and the Test result. Credentials come masked, as the core sends
// every webhook: the secret, the URL's secret parts and secret header
// values show behind Reveal, and one never revealed is sent back as kept.
import { call } from '../shared/ext.js';
import { applyLimits, catalog, controlFor, readControl, showControl, translated } from '../shared/catalog.js';
import { h, t } from '../shared/dom.js';
import { describeResult } from '../shared/format.js';
import { parsed, requestAccess } from '../shared/permissions.js';
import { batchInput, setBatch } from './batch.js';
import { headersInput, setHeaders } from './headers.js';
import { showRotation } from './secrets.js';

const { events, presets, limits, fields } = await catalog;
const SUBSCRIBABLE = events.filter((event) => event.subscribable);
const PRESETS = new Map(presets.map((preset) => [preset.name, preset]));
const $ = (id) => document.getElementById(id);
const panel = $('editor');
const form = $('webhook-form');
// Every setting of a plain control is read and shown from the catalog
// alone, in the control of its id: options.html places some; the others
// are built in the advanced section, so a new one needs no change here.
const PLAIN = fields.webhook.filter(({ control }) => control !== 'own');
$('more-settings').prepend(...PLAIN.filter(({ name }) => !$(name)).map(controlFor));
// Every field the core can name in an error has an `<id>-error` element.
const FIELDS = [...form.querySelectorAll('.field-error')].map((p) => p.id.replace(/-error$/, ''));
const result = $('result');
let editing = null;
/** Whether the URL field shows the core's masked URL: it is then not sent, so the stored one is kept. */
let urlMasked = false;
/** The editing webhook's credentials as stored, for Reveal and Copy (asked each time: a rotation changes them). */
const revealed = () => call('webhooks.revealSecret', { id: editing.id });

const choices = SUBSCRIBABLE.map(({ name }) => h('input', { type: 'checkbox', value: name, name: 'event' }));
$('event-choices').replaceChildren(...SUBSCRIBABLE.map(({ name, sentence }, i) =>
  h('label', {}, choices[i], h('span', {}, h('code', {}, name), ' ', h('small', {}, translated(`event_${name}`, sentence))))));
$('preview-event').replaceChildren(...events.map(({ name }) => h('option', { value: name }, name)));
// A stored webhook may name a preset this build lacks (it loads turned off):
// the select shows none, and saving asks for one.
const chosenPreset = () => PRESETS.get($('preset').value) ?? presets[0];
const presetLabel = (preset) => preset.label ?? t(`preset_${preset.name}`);
$('preset').replaceChildren(...presets.map((preset) => h('option', { value: preset.name }, presetLabel(preset))));
applyLimits(limits.webhook);
const checkAll = (on) => { for (const box of choices) box.checked = on; form.dispatchEvent(new Event('input')); };
$('events-all').addEventListener('click', () => checkAll(true));
$('events-none').addEventListener('click', () => checkAll(false));

function show(text, state = '') {
  result.textContent = text;
  result.className = state;
}

function showErrors(error) {
  for (const field of FIELDS) $(`${field}-error`).textContent = error?.field === field ? error.message : '';
}

/**
 * The URL as typed, or the browser's ASCII form of it when it has letters
 * beyond ASCII (`bücher.example` → `xn--bcher-kva.example`, as the core
 * would have stored it): the core's URL parser has no Unicode tables for
 * such hosts (they were an eighth of its gzipped size) and refuses them.
 */
function urlInput() {
  const text = $('url').value;
  if (![...text].some((c) => c.codePointAt(0) > 0x7f)) return text;
  return parsed(text.trim())?.href ?? text;
}

/**
 * A plain setting as webhook input: an empty text is sent only when editing
 * (it clears the field, or is refused), an empty number never (kept as it is).
 */
function plainInput(field) {
  const value = readControl(field, $(field.name));
  return value === undefined && field.control === 'text' && editing ? $(field.name).value : value;
}

/** The form as webhook input for the message API. */
function input() {
  const plain = PLAIN.map((field) => [field.name, plainInput(field)]).filter(([, value]) => value !== undefined);
  return {
    ...(urlMasked ? {} : { url: urlInput() }),
    method: $('method').value,
    preset: $('preset').value,
    ...Object.fromEntries(chosenPreset().needs.map((field) => [field, $(field).value])),
    events: choices.filter((box) => box.checked).map((box) => box.value),
    ...headersInput(),
    ...batchInput(),
    filters: { match: $('filters-match').value, conditions: $('filters').value.split('\n') },
    ...($('secret').value.trim() ? { secret: $('secret').value } : {}),
    ...Object.fromEntries(plain),
  };
}

async function refreshPreview() {
  const preview = $('preview');
  try {
    const request = await call('webhooks.preview', { webhook: input(), id: editing?.id, event: $('preview-event').value });
    let body = request.body ?? '';
    try { body = JSON.stringify(JSON.parse(body), null, 2); } catch { /* shown as sent */ }
    preview.textContent = [`${request.method} ${request.url}`, ...request.headers.map(([n, v]) => `${n}: ${v}`), '', body].join('\n');
    $('template-error').textContent = '';
  } catch (error) {
    preview.textContent = t('previewUnavailable', error.message);
    // A template is checked as it is typed, not only on save.
    $('template-error').textContent = error.field === 'template' ? error.message : '';
  }
}

/** The service's limits, as the catalog gives them, and any note of its own. */
function presetNote(preset) {
  const each = preset.limits.map(({ field, max, unit }) => t('limitUpTo', field, t(`unit_${unit}`, max.toLocaleString())));
  const payload = t('unit_bytes', limits.webhook.payload.maxBytes.toLocaleString());
  const limitsNote = each.length ? t(preset.sendsEnvelope ? 'presetEnvelopeLimits' : 'presetCutLimits', presetLabel(preset), each.join(', '), payload) : '';
  return [limitsNote, translated(`presetNote_${preset.name}`, '')].filter(Boolean).join(' ');
}

/** The fields the chosen preset needs (Telegram's chat id, the custom template), and its note. */
function showPresetFields() {
  const preset = chosenPreset();
  for (const field of form.querySelectorAll('[data-preset-field]')) field.hidden = !preset.needs.includes(field.dataset.presetField);
  $('preset-note').textContent = presetNote(preset);
}

function warnPlainHttp() {
  let url = null;
  try { url = new URL($('url').value); } catch { /* not a URL yet */ }
  const loopback = url && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  $('url-warning').hidden = !(url?.protocol === 'http:' && !loopback);
}

/** Opens the form for `webhook` (or a new one, pre-filled with `prefill`). */
export function openEditor(webhook = null, prefill = {}) {
  editing = webhook;
  const source = webhook ?? { method: 'POST', events: SUBSCRIBABLE.map(({ name }) => name), preset: presets[0].name, headers: [], ...prefill };
  $('editor-title').textContent = t(webhook ? 'editWebhook' : 'newWebhook');
  $('url').value = source.url ?? '';
  showUrlMasked(Boolean(webhook?.urlHasSecrets));
  $('method').value = source.method;
  $('preset').value = source.preset;
  $('chatId').value = source.chatId ?? '';
  $('template').value = source.template ?? '';
  showPresetFields();
  for (const box of choices) box.checked = source.events.includes(box.value);
  setHeaders(source.headers, webhook && (async () => (await revealed()).headers));
  setBatch(webhook?.batch, limits.webhook.batch);
  $('filters-match').value = webhook?.filters?.match ?? 'all';
  $('filters').value = webhook?.filters?.conditions.join('\n') ?? '';
  $('secret').value = prefill.secret ?? '';
  $('secret').type = 'password';
  $('secret-hint').textContent = webhook?.hasSecret ? t('secretStored') : t('secretHint');
  showRotation(webhook);
  for (const field of PLAIN) showControl(field, $(field.name), webhook?.[field.name]);
  showErrors(null);
  show('');
  panel.hidden = false;
  warnPlainHttp();
  refreshPreview();
}

/** A masked URL is read-only until revealed: its masks must never be saved as its text. */
function showUrlMasked(masked) {
  urlMasked = masked;
  $('url').readOnly = masked;
  $('url-reveal').hidden = !masked;
  $('url-hint').hidden = !masked;
}

async function save(granted) {
  const changes = input();
  const saved = editing
    ? await call('webhooks.update', { id: editing.id, changes })
    : await call('webhooks.create', { webhook: changes });
  showErrors(null);
  editing = saved;
  showRotation(saved);
  $('editor-title').textContent = t('editWebhook');
  if (!(await granted)) show(t('savedWithoutPermission', new URL(saved.url).host), 'failed');
  return saved;
}

function onSave(withTest) {
  // The permission prompt must start inside the click, before anything awaits.
  const granted = requestAccess($('url').value);
  (async () => {
    const saved = await save(granted);
    if (!withTest) {
      panel.hidden = true;
      return;
    }
    show(t('sending'));
    const outcome = await call('webhooks.test', { id: saved.id });
    show(describeResult(outcome), outcome.ok ? 'ok' : 'failed');
  })().catch((error) => {
    showErrors(error);
    show(error.field ? '' : error.message, 'failed');
  });
}

form.addEventListener('submit', (event) => { event.preventDefault(); onSave(false); });
$('test').addEventListener('click', () => onSave(true));
$('cancel').addEventListener('click', () => { panel.hidden = true; });
let pending = 0;
form.addEventListener('input', (event) => {
  // An edited field's old error no longer applies; the next save says anew.
  const error = document.getElementById(`${event.target.id}-error`);
  if (error) error.textContent = '';
  warnPlainHttp();
  clearTimeout(pending);
  pending = setTimeout(refreshPreview, 150);
});
$('preview-event').addEventListener('change', refreshPreview);
$('preset').addEventListener('change', showPresetFields);
$('secret-generate').addEventListener('click', async () => {
  $('secret').value = (await call('secrets.generate')).secret;
  $('secret').type = 'text';
  refreshPreview();
});
$('url-reveal').addEventListener('click', async () => {
  $('url').value = (await revealed()).url;
  showUrlMasked(false);
  $('url').focus();
});
$('secret-reveal').addEventListener('click', async () => {
  if (!$('secret').value && editing?.hasSecret) $('secret').value = (await revealed()).secret ?? '';
  const reveal = $('secret').type === 'password';
  $('secret').type = reveal ? 'text' : 'password';
  $('secret-reveal').setAttribute('aria-pressed', String(reveal));
});
$('secret-copy').addEventListener('click', async () => {
  if (!$('secret').value && editing?.hasSecret) $('secret').value = (await revealed()).secret ?? '';
  await navigator.clipboard.writeText($('secret').value);
  show(t('secretCopied'), 'ok');
});
