// A small chat page served on loopback for campaign tests: a message box,
// a send button, and a list of what was sent. Enter or the button sends.
import { createServer } from 'node:http';

// A hostile chat page adds these: elements named so that they replace
// `document`'s own methods and AutoHook's globals, and its own definition of
// the custom element name the picker once used. Its message box has no id,
// and its form has controls named after the element properties a selector
// is built from, so the picker's walk up from the box meets them.
const HOSTILE = `
  <form name="querySelector"></form><form name="querySelectorAll"></form>
  <img name="createElement" alt=""><img name="documentElement" alt=""><img name="getSelection" alt=""><img name="execCommand" alt="">
  <div id="autohookSend"></div><div id="autohookPicker"></div><div id="autohookPickToken"></div><div id="browser"></div>
  <script>customElements.define('autohook-picker', class extends HTMLElement { connectedCallback() { this.remove(); } });</script>`;
const HOSTILE_FORM = ['id', 'parentElement', 'children', 'localName', 'getAttribute', 'hasAttribute', 'closest', 'dispatchEvent']
  .map((name) => `<input type="hidden" name="${name}">`).join('');

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test chat</title></head>
<body><!--hostile-->
  <h1>Test chat</h1>
  <ul id="log"></ul>
  <form id="compose" onsubmit="return false"><!--hostile-form-->
    <input id="search" type="search" placeholder="Search" style="position:absolute;top:0">
    <textarea id="msg" rows="2" cols="40"></textarea>
    <button id="send" type="button">Send</button>
  </form>
  <script>
    // The prototype's: a hostile page names a form querySelector.
    const box = Document.prototype.querySelector.call(document, '#compose textarea');
    function post() {
      if (!box.value) return;
      // The prototype's: a hostile page names an image createElement.
      const item = Document.prototype.createElement.call(document, 'li');
      item.textContent = box.value;
      document.getElementById('log').append(item);
      box.value = '';
    }
    document.getElementById('send').addEventListener('click', post);
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); post(); }
    });
  </script>
</body></html>`;

/**
 * Serves the chat page until `t` ends, `hostile` as above if asked; returns
 * its URL, on 127.0.0.1. The same server answers as localhost too (Chromium
 * falls back to 127.0.0.1), which is another origin: a chat tab that "moved
 * to another site".
 */
export async function startChat(t, { hostile = false } = {}) {
  const page = hostile
    ? PAGE.replace('<!--hostile-->', HOSTILE).replace('<!--hostile-form-->', HOSTILE_FORM).replace('<textarea id="msg" ', '<textarea ')
    : PAGE;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Chromium keeps sockets open (idle, or preconnected for a next request)
  // while it runs, and the browser outlives the test: close them too.
  t.after(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${server.address().port}/room`;
}

/** The selector of the chat page's message box, as the picker makes it. */
export const messageBox = (hostile) => (hostile ? '#compose > textarea' : '#msg');

/** The messages the chat page shows, oldest first. */
export const chatMessages = (chatPage) => chatPage.$$eval('#log li', (items) => items.map((li) => li.textContent));
