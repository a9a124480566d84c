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

/** "Delivered: HTTP 200 in 12 ms" or "Failed: <plain reason> in 10000 ms", from a Test or delivery result. */
export function describeResult({ ok, status, latencyMs, error, failure }) {
  const reasons = {
    permission: t('reasonPermission'),
    network: t('reasonNetwork'),
    timeout: error,
    redirect: t('reasonRedirect'),
    client_error: t('reasonClientError', status),
    server_error: t('reasonServerError', status),
  };
  const answer = ok ? `HTTP ${status}` : reasons[failure] ?? error ?? t('reasonUnknown');
  return t(ok ? 'resultDelivered' : 'resultFailed', answer, latencyMs ?? 0);
}
