// Building the UI without innerHTML: every string goes in as text, so a
// webhook named `<img src=x onerror=alert(1)>` shows as exactly that.
import { ext } from './ext.js';
import { throttled } from './throttle.js';

/** The localized message `key` with `subs` for $1, $2…; the key itself if missing. */
export function t(key, ...subs) {
  return ext.i18n.getMessage(key, subs.map(String)) || key;
}

/**
 * An element: `props` become listeners (`onclick`), properties (`checked`,
 * `hidden`, `value`) or attributes; children are nodes or text.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (typeof value !== 'string' && name in element) element[name] = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

/** Fills `data-i18n` text and `data-i18n-attr="attr:key,…"` attributes. */
export function localize(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of element.dataset.i18nAttr.split(',')) {
      const [attribute, key] = pair.split(':');
      element.setAttribute(attribute, t(key));
    }
  }
  document.documentElement.lang = ext.i18n.getUILanguage();
}

/**
 * `render` as a page redraws on state changes: in an animation frame, at
 * most every 300 ms and never two at once (./throttle.js's `throttled`).
 */
export const renderThrottled = (render) => throttled(() => new Promise(requestAnimationFrame).then(render), 300);

/** Runs `listener` whenever the background says its state changed. */
export function onStateChanged(listener) {
  ext.runtime.onMessage.addListener((message) => {
    if (message?.type === 'changed') listener();
    return false;
  });
}
