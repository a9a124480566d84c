// The core's catalog (`catalog.get`): event kinds, presets, field limits
// and error codes. Pages build their forms from it, so no event kind,
// preset or limit is typed out in JS, HTML or the locales.
import { call, ext } from './ext.js';

/** The catalog, asked once per page. */
export const catalog = call('catalog.get');

/** The localized message `key`, or `fallback` when no locale has it. */
export const translated = (key, fallback) => ext.i18n.getMessage(key) || fallback;

/**
 * Sets `maxlength`, and on number inputs `min` and `max`, on the element
 * named after each field of `limits` (the catalog's `limits.webhook` or
 * `limits.campaign`). A list's per-item limit (`maxItems`) is left to the core.
 */
export function applyLimits(limits) {
  for (const [field, limit] of Object.entries(limits)) {
    const input = document.getElementById(field);
    if (!input) continue;
    if (limit.maxChars && !limit.maxItems) input.maxLength = limit.maxChars;
    if (input.type !== 'number') continue;
    if (limit.min !== undefined) input.min = limit.min;
    if (limit.max !== undefined) input.max = limit.max;
  }
}
