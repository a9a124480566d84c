// Types one campaign message into the chat the user picked and sends it,
// then reports back. Injected by the background before each message (a
// classic script, so it guards against being set up twice in one page).
// It only types and clicks: what to send and when is decided in Rust.
// One check is here because only here it cannot race: the page must still be
// on the site the chat was picked on, or nothing is typed.
//
// The page is hostile: it can name elements so that they replace `document`'s
// own methods (`<form name="querySelector">`) or a global of ours
// (`<div id="autohookSend">`). So every DOM method comes from its prototype
// (this isolated world's, which the page cannot reach), our state is
// symbol-keyed, and only the top frame takes part.
(() => {
  const SEND = Symbol.for('autohook.send');
  if (globalThis[SEND] || window.top !== window) return;
  // Own properties first: Chromium has no `browser`, and `<div id="browser">` would answer
  // for it there. Firefox's `browser` is not an own property, but its wrappers hide named elements.
  const own = (name) => Object.getOwnPropertyDescriptor(globalThis, name)?.value;
  const ext = own('browser') ?? own('chrome') ?? globalThis.browser;
  const querySelector = (selector) => Document.prototype.querySelector.call(document, selector);
  // A <form>'s named controls shadow its own properties (`<input name="dispatchEvent">`),
  // so element properties and methods come from their prototypes too.
  const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
  const isContentEditable = getter(HTMLElement.prototype, 'isContentEditable');
  const dispatch = (target, event) => EventTarget.prototype.dispatchEvent.call(target, event);

  /** Puts `text` into a textarea, input or contenteditable as typing would. */
  function type(input, text) {
    HTMLElement.prototype.focus.call(input);
    if (isContentEditable.call(input)) {
      Selection.prototype.selectAllChildren.call(Document.prototype.getSelection.call(document), input);
      // insertText fires the input events editors such as Slack's listen to.
      if (!Document.prototype.execCommand.call(document, 'insertText', false, text)) {
        Object.getOwnPropertyDescriptor(Node.prototype, 'textContent').set.call(input, text);
      }
      return;
    }
    // The prototype's setter, so frameworks that track `value` see the change.
    const proto = Object.getPrototypeOf(input);
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(input, text);
    dispatch(input, new Event('input', { bubbles: true }));
  }

  function pressEnter(input) {
    const init = { key: 'Enter', code: 'Enter', keyCode: 13, which: 13, bubbles: true, cancelable: true };
    const handled = !dispatch(input, new KeyboardEvent('keydown', init));
    dispatch(input, new KeyboardEvent('keypress', init));
    dispatch(input, new KeyboardEvent('keyup', init));
    // A plain form submits on Enter only for real key presses: do it for it.
    const form = input instanceof HTMLInputElement || input instanceof HTMLTextAreaElement ? input.form : null;
    if (!handled && form) HTMLFormElement.prototype.requestSubmit.call(form);
  }

  const send = ({ site, text, input: inputSelector, button: buttonSelector, sendBy }) => {
    // The tab may have left the chat since the background chose it: report where it is instead.
    if (location.origin !== site) return { ok: false, wrongSite: location.origin };
    const input = querySelector(inputSelector);
    if (!input) return { ok: false, error: 'Failed to find message input' };
    const button = sendBy === 'button' ? querySelector(buttonSelector) : null;
    if (sendBy === 'button' && !button) return { ok: false, error: 'Failed to find send button' };
    type(input, text);
    if (button) HTMLElement.prototype.click.call(button);
    else pressEnter(input);
    return { ok: true };
  };

  ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (message?.type !== 'autohook.send' || sender.id !== ext.runtime.id) return false;
    try {
      sendResponse(send(message));
    } catch (error) {
      sendResponse({ ok: false, error: `Sending failed: ${error.message}` });
    }
    return false;
  });
  // Only once the listener is in place: a later injection must not skip a setup that failed.
  globalThis[SEND] = true;
})();
