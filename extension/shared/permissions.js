// Host access to webhook origins. Browsers only show a permission prompt
// from inside a user's click, synchronously, so the pages keep what is
// already granted in memory and ask only when an origin is missing (Firefox
// would otherwise prompt again for an origin it already has).
import { ext } from './ext.js';

const granted = new Set();
// canReach's answers by URL: the background asks before every attempt, and
// parsing the URL against each pattern showed in a burst's profile.
const answers = new Map();
const MAX_ANSWERS = 64;

async function refresh() {
  const { origins = [] } = await ext.permissions.getAll();
  granted.clear();
  answers.clear();
  for (const origin of origins) granted.add(origin);
}

/** Resolves once the granted origins are known; call when the page opens. */
export const permissionsReady = refresh();
const listeners = [];
const refreshAndNotify = () => refresh().then(() => listeners.forEach((listener) => listener()));
ext.permissions.onAdded?.addListener(refreshAndNotify);
ext.permissions.onRemoved?.addListener(refreshAndNotify);

/** Calls `listener` after the granted origins changed and are known again. */
export function onAccessChanged(listener) {
  listeners.push(listener);
}

/** Whether match pattern `pattern` covers `url` (ports are not part of patterns). */
function covers(pattern, url) {
  if (pattern === '<all_urls>') return true;
  const match = /^(\*|https?):\/\/([^/]+)\//.exec(pattern);
  if (!match) return false;
  const [, scheme, host] = match;
  const schemeOk = scheme === '*' ? ['http:', 'https:'].includes(url.protocol) : url.protocol === `${scheme}:`;
  const hostOk = host === '*' || url.hostname === host
    || (host.startsWith('*.') && (url.hostname === host.slice(2) || url.hostname.endsWith(host.slice(1))));
  return schemeOk && hostOk;
}

/**
 * Whether the extension may reach `url` (a string); call after permissionsReady.
 * A URL the browser cannot parse (the core's parser may accept one it does
 * not, e.g. an invalid xn-- label) cannot be reached: an exception here
 * would leave the core's attempt unanswered, holding an in-flight slot.
 */
export function canReach(text) {
  let answer = answers.get(text);
  if (answer === undefined) {
    const url = parsed(text);
    answer = url !== null && [...granted].some((pattern) => covers(pattern, url));
    if (answers.size >= MAX_ANSWERS) answers.clear();
    answers.set(text, answer);
  }
  return answer;
}

/** The URL `text` parses as, or null. */
export function parsed(text) {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** The host-permission pattern for a URL's origin, e.g. `https://h.test/*`. */
export function originPattern(url) {
  return `${new URL(url).origin}/*`;
}

/**
 * Makes sure the background may reach `url`, prompting only if needed.
 * Must be called synchronously from a click handler. Resolves to whether
 * access is granted; a text that is not a URL resolves true (the core
 * reports what is wrong with it when the webhook is saved).
 */
export function requestAccess(text) {
  if (parsed(text) === null) return Promise.resolve(true);
  if (canReach(text)) return Promise.resolve(true);
  return ext.permissions.request({ origins: [originPattern(text)] });
}
