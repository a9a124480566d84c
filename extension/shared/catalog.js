// The core's catalog (`catalog.get`): event kinds, presets, field limits
// and error codes. Pages build their forms from it, so no event kind,
// preset or limit is typed out in JS, HTML or the locales.
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
