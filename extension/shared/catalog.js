// The core's catalog (`catalog.get`): event kinds, presets, field limits,
// settings and error codes. Pages build their forms from it, so no event
// kind, preset, limit or plain setting is typed out in JS, HTML or the
// locales (only a setting's label is: `field_<name>`, and its optional
// `fieldHint_<name>` and `choice_<name>_<choice>`).
import { h } from './dom.js';
import { call, ext } from './ext.js';

/** The catalog, asked once per page; asked again if the background could not answer (a restart after a trap). */
export const catalog = call('catalog.get').catch(() => new Promise((resolve) => setTimeout(resolve, 500)).then(() => call('catalog.get')));

/** The localized message `key`, or `fallback` when no locale has it. */
export const translated = (key, fallback) => ext.i18n.getMessage(key) || fallback;

/**
 * Sets `min` and `max` on the number input named after each field of
 * `limits` (the catalog's `limits.webhook` or `limits.campaign`). Text
 * lengths are left to the core: a `maxlength` would cut a pasted URL or
 * secret short without a word (and counts UTF-16 units, not characters),
 * where the core refuses it with an error naming the limit.
 */
export function applyLimits(limits) {
  for (const [field, limit] of Object.entries(limits)) {
    const input = document.getElementById(field);
    if (input?.type !== 'number') continue;
    if (limit.min !== undefined) input.min = limit.min;
    if (limit.max !== undefined) input.max = limit.max;
  }
}

/**
 * A control for a setting the catalog describes (`fields.webhook` or
 * `fields.campaign`: `{name, control, choices, step}`, `control` one of
 * `text`, `number` (`step` for its arrows, if given), `numbers`, `bool`,
 * `choice`, `lines`): its input, with the id
 * of the setting's wire name, in a labelled field with its hint and its
 * `<name>-error` slot.
 */
export function controlFor({ name, control, choices = [], step }) {
  const label = translated(`field_${name}`, name);
  const hint = translated(`fieldHint_${name}`, '');
  const error = h('p', { class: 'field-error', id: `${name}-error`, role: 'alert' });
  const notes = [hint && h('p', { class: 'hint' }, hint), error];
  if (control === 'bool') return h('div', { class: 'field' }, h('label', { class: 'inline' }, h('input', { type: 'checkbox', id: name }), ' ', label), notes);
  const input = {
    choice: () => h('select', { id: name }, choices.map((choice) => h('option', { value: choice }, translated(`choice_${name}_${choice}`, choice)))),
    lines: () => h('textarea', { id: name, rows: 3 }),
    number: () => h('input', { id: name, type: 'number', step }),
    numbers: () => h('input', { id: name, inputmode: 'numeric', autocomplete: 'off' }),
  }[control]?.() ?? h('input', { id: name, autocomplete: 'off' });
  return h('div', { class: 'field' }, h('label', { for: name }, label), input, notes);
}

/**
 * A plain control's value as the message API takes it: a number, numbers,
 * a boolean, a choice, lines or text; `undefined` for an empty text or
 * number, which the page leaves out (or sends as it means).
 */
export function readControl({ control }, input) {
  const text = input.value.trim();
  switch (control) {
    case 'bool': return input.checked;
    case 'choice': return input.value;
    case 'lines': return input.value.split('\n');
    case 'number': return text ? Number(text) : undefined;
    case 'numbers': return text ? text.split(/[\s,]+/).filter(Boolean).map(Number) : undefined;
    default: return text ? input.value : undefined;
  }
}

/** Shows `value` (a setting as the background lists it; missing or `null`: empty) in a plain control. */
export function showControl({ control }, input, value) {
  if (control === 'bool') input.checked = Boolean(value);
  else if (control === 'lines') input.value = (value ?? []).join('\n');
  else if (control === 'numbers') input.value = (value ?? []).join(', ');
  else input.value = value ?? '';
}
