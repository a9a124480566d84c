// "Pick input": the user clicks the chat's message box, then its send button
// (or presses Enter to send with the Enter key). The choice goes to the
// background as CSS selectors (campaign.setTarget, the one request a content
// script may make), which remembers them for this site. A likely input is
// suggested first. Esc cancels. Injected by the popup; classic script.
// Only the user's own clicks and keys count (the page can fake events, not
// make them trusted), and the choice carries the one-time token of the pick
// the popup started, which it leaves in this isolated world just before.
//
// The page is hostile: it can name elements so that they replace `document`'s
// own methods (`<form name="querySelector">`) or a global of ours, and define
// custom elements. So every `document` method comes from its prototype (this
// isolated world's, which the page cannot reach), the picker's host is a
// plain div, our state is symbol-keyed or an own property, and only the top
// frame takes part.
(() => {
  if (window.top !== window) return;
  // Own properties first: Chromium has no `browser`, and `<div id="browser">` would answer
  // for it there. Firefox's `browser` is not an own property, but its wrappers hide named elements.
  const own = (name) => Object.getOwnPropertyDescriptor(globalThis, name)?.value;
  const ext = own('browser') ?? own('chrome') ?? globalThis.browser;
  const t = (key, ...subs) => ext.i18n.getMessage(key, subs) || key;
  const PICKER = Symbol.for('autohook.picker');
  globalThis[PICKER]?.cancel();
  // An own property the popup set in this world, not an element the page named so.
  const token = Object.getOwnPropertyDescriptor(globalThis, 'autohookPickToken')?.value;
  delete globalThis.autohookPickToken;
  const create = (tag) => Document.prototype.createElement.call(document, tag);
  const queryAll = (selector) => Document.prototype.querySelectorAll.call(document, selector);
  const root = Object.getOwnPropertyDescriptor(Document.prototype, 'documentElement').get.call(document);
  const listen = (type, listener) => EventTarget.prototype.addEventListener.call(document, type, listener, true);
  const unlisten = (type, listener) => EventTarget.prototype.removeEventListener.call(document, type, listener, true);
  // A <form>'s named controls shadow its own properties (`<input name="id">`,
  // `<input name="parentElement">`), and a form may be the box or on the path
  // to it: element properties and methods come from their prototypes too.
  const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
  const [parentOf, childrenOf, tagOf] = [getter(Node.prototype, 'parentElement'), getter(Element.prototype, 'children'), getter(Element.prototype, 'localName')];
  const attribute = (el, name) => Element.prototype.getAttribute.call(el, name);
  const closest = (el, selector) => Element.prototype.closest.call(el, selector);
  const rect = (el) => Element.prototype.getBoundingClientRect.call(el);

  const EDITABLE = 'textarea, input:not([type]), input[type=text], input[type=search], [contenteditable=""], [contenteditable=true]';
  // Not a custom element: the page could define that name and run its own code on it.
  const host = create('div');
  const shadow = host.attachShadow({ mode: 'closed' });
  const style = create('style');
  style.textContent = `
    .bar { position: fixed; inset: 8px 8px auto; z-index: 2147483647; padding: 10px 14px; border-radius: 8px;
      font: 14px system-ui, sans-serif; background: #1d2433; color: #fff; box-shadow: 0 4px 16px #0006; }
    .box { position: fixed; z-index: 2147483646; pointer-events: none; border: 2px solid #4b8df8;
      background: #4b8df833; border-radius: 4px; transition: all 60ms; }
    .box.suggested { border-style: dashed; }`;
  const bar = Object.assign(create('div'), { className: 'bar', role: 'status' });
  const box = Object.assign(create('div'), { className: 'box' });
  shadow.append(style, bar, box);
  root.append(host);

  let step = 'input';
  let input = null;
  const suggested = suggest();

  function suggest() {
    const visible = [...queryAll(EDITABLE)].filter((el) => Element.prototype.getClientRects.call(el).length && !Element.prototype.matches.call(el, ':disabled'));
    // Chat boxes sit low on the page and are wide: prefer the lowest, then the widest.
    const [best] = visible.sort((a, b) => rect(b).bottom - rect(a).bottom || rect(b).width - rect(a).width);
    return best ?? null;
  }

  function outline(el, isSuggestion = false) {
    box.hidden = !el;
    if (!el) return;
    const r = rect(el);
    Object.assign(box.style, { left: `${r.left - 2}px`, top: `${r.top - 2}px`, width: `${r.width}px`, height: `${r.height}px` });
    box.classList.toggle('suggested', isSuggestion);
  }

  function unique(selector) {
    try { return queryAll(selector).length === 1; } catch { return false; }
  }

  /** A short selector that finds `el` alone: an id, a telling attribute, or a path. */
  function selectorFor(el) {
    const tag = tagOf.call(el);
    const id = attribute(el, 'id');
    const own = [id && `#${CSS.escape(id)}`,
      ...['name', 'aria-label', 'data-testid', 'placeholder'].map((a) => attribute(el, a) !== null && `${tag}[${a}="${CSS.escape(attribute(el, a))}"]`)];
    const found = own.find((s) => s && unique(s));
    if (found) return found;
    const parts = [];
    for (let node = el, parent = parentOf.call(el); parent; node = parent, parent = parentOf.call(node)) {
      const nodeId = attribute(node, 'id');
      if (nodeId && unique(`#${CSS.escape(nodeId)}`)) { parts.unshift(`#${CSS.escape(nodeId)}`); break; }
      const name = tagOf.call(node);
      const same = [...childrenOf.call(parent)].filter((c) => tagOf.call(c) === name);
      parts.unshift(same.length > 1 ? `${name}:nth-of-type(${same.indexOf(node) + 1})` : name);
    }
    return parts.join(' > ');
  }

  function show(key) {
    bar.textContent = t(key);
  }

  async function finish(button) {
    step = 'done';
    const target = { type: 'campaign.setTarget', token, input: selectorFor(input), button: button ? selectorFor(button) : null };
    const answer = await ext.runtime.sendMessage(target).catch((error) => ({ ok: false, error }));
    bar.textContent = answer?.ok ? t('pickerSaved') : t('pickerFailed', answer?.error?.message ?? String(answer?.error));
    outline(null);
    setTimeout(cancel, 2500);
  }

  function onMove(event) {
    if (!event.isTrusted || step === 'done' || event.target === host) return;
    const el = step === 'input' ? closest(event.target, EDITABLE) : event.target;
    outline(el ?? (step === 'input' ? suggested : null), !el);
  }

  function onClick(event) {
    if (!event.isTrusted || step === 'done' || event.target === host) return;
    event.preventDefault();
    event.stopPropagation();
    if (step === 'input') {
      input = closest(event.target, EDITABLE);
      if (!input) return show('pickerNotInput');
      step = 'button';
      return show('pickerButton');
    }
    finish(closest(event.target, 'button, [role=button], input[type=submit], input[type=button]') ?? event.target);
  }

  function onKey(event) {
    if (!event.isTrusted || step === 'done') return;
    if (event.key === 'Escape') return cancel();
    if (event.key !== 'Enter') return;
    event.preventDefault();
    event.stopPropagation();
    if (step === 'input' && suggested) {
      input = suggested;
      step = 'button';
      show('pickerButton');
    } else if (step === 'button') {
      finish(null);
    }
  }

  function cancel() {
    for (const [type, listener] of listeners) unlisten(type, listener);
    host.remove();
    delete globalThis[PICKER];
  }

  const listeners = [['mousemove', onMove], ['click', onClick], ['keydown', onKey]];
  for (const [type, listener] of listeners) listen(type, listener);
  globalThis[PICKER] = { cancel };
  show(suggested ? 'pickerInputSuggested' : 'pickerInput');
  outline(suggested, true);
})();
