// The About section: the version the build stamped into the manifest, and
// the privacy policy. The policy is the repository's PRIVACY.md, which the
// build copies into the package, so the page and the stores' text are one
// source. It is drawn from the Markdown subset PRIVACY.md keeps to (`#`
// and `##` headings, `- ` lists, paragraphs) with DOM nodes and text only.
import { ext } from '../shared/ext.js';
import { h, t } from '../shared/dom.js';

const HEADINGS = { '#': 'h3', '##': 'h4' };

/** PRIVACY.md's blocks as elements: headings, lists and paragraphs, all text. */
export function policyElements(markdown) {
  const elements = [];
  let list = null;
  for (const line of markdown.split('\n')) {
    const item = /^- (.+)$/.exec(line);
    if (item) {
      if (!list) elements.push((list = h('ul')));
      list.append(h('li', {}, item[1]));
      continue;
    }
    list = null;
    const heading = /^(#{1,2}) (.+)$/.exec(line);
    if (heading) elements.push(h(HEADINGS[heading[1]], {}, heading[2]));
    else if (line.trim()) elements.push(h('p', {}, line));
  }
  return elements;
}

const section = document.getElementById('about');
section.querySelector('.version').textContent = t('aboutVersion', ext.runtime.getManifest().version);
const policy = section.querySelector('.policy');
fetch(ext.runtime.getURL('PRIVACY.md'))
  .then((response) => {
    if (!response.ok) throw new Error(`PRIVACY.md: HTTP ${response.status}`);
    return response.text();
  })
  .then((markdown) => policy.replaceChildren(...policyElements(markdown)))
  .catch((error) => (section.querySelector('.field-error').textContent = String(error)));
