// How numbers, times, URLs and delivery results read in the UI.
import { ext } from './ext.js';
import { h, t } from './dom.js';

const UNITS = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000], ['second', 1000]];

/** "3 minutes ago", in the browser's language. */
export function relativeTime(ms, now = Date.now()) {
  const format = new Intl.RelativeTimeFormat(ext.i18n.getUILanguage(), { numeric: 'auto' });
  const elapsed = ms - now;
  const [unit, size] = UNITS.find(([, size]) => Math.abs(elapsed) >= size) ?? UNITS.at(-1);
  return format.format(Math.round(elapsed / size), unit);
}

/** A <time> showing relative time, with the exact time on hover. */
export function timeElement(ms) {
  if (!ms) return h('span', {}, t('never'));
  const exact = new Date(ms);
  return h('time', { datetime: exact.toISOString(), title: exact.toLocaleString() }, relativeTime(ms));
}

/** The URL with its host emphasised. */
export function urlElement(text) {
  try {
    const url = new URL(text);
    const rest = text.slice(url.origin.length);
    return h('span', { class: 'url' }, `${url.protocol}//`, h('strong', {}, url.host), rest);
  } catch {
    return h('span', { class: 'url' }, text);
  }
}

/** The colour class for a delivery state: ok, bad, or none while undecided. */
export function stateClass(state) {
  return { delivered: 'ok', failed: 'bad' }[state] ?? '';
}

const REASONS = {
  permission: 'reasonPermission',
  network: 'reasonNetwork',
  timeout: 'reasonTimeout',
  redirect: 'reasonRedirect',
  client_error: 'reasonClientError',
  server_error: 'reasonServerError',
};

/**
 * Why an attempt failed, in AutoHook's words, from its typed `failure` and
 * HTTP `status` alone: nothing the receiver wrote can get into it (the
 * notifications rely on that).
 */
export function failureReason(failure, status) {
  return REASONS[failure] ? t(REASONS[failure], status) : t('reasonUnknown');
}

/** "Delivered: HTTP 200 in 12 ms" or "Failed: <plain reason> in 10000 ms", from a Test or delivery result. */
export function describeResult({ ok, status, latencyMs, error, failure }) {
  // A timeout's own message says how long it waited; an unknown failure has only its message.
  const detailed = failure === 'timeout' || !REASONS[failure] ? error : null;
  const answer = ok ? `HTTP ${status}` : detailed ?? failureReason(failure, status);
  return t(ok ? 'resultDelivered' : 'resultFailed', answer, latencyMs ?? 0);
}
