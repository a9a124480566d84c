// Stored records the background could not read and set aside (a truncated
// write, another build's format): listed so the user knows what was lost,
// each with a Delete button. Hidden while there are none. Sealed records
// that did not open (the sealing key is gone) also raise the page's banner,
// which says what to do.
import { call } from '../shared/ext.js';
import { h, t } from '../shared/dom.js';

/** Redraws the list of set-aside records into `section`, and the lost-key `banner`. */
export async function renderUnreadable(section, banner) {
  const records = await call('storage.unreadable');
  section.hidden = records.length === 0;
  banner.hidden = !records.some((record) => record.unopenable);
  const rows = records.map((record) =>
    h(
      'li',
      { class: 'unreadable', 'data-name': record.name },
      h('strong', {}, record.origin),
      h('span', {}, t('unreadableReason', record.reason, record.bytes)),
      h('code', {}, record.preview),
      h('button', { type: 'button', class: 'quiet', onclick: () => call('storage.deleteUnreadable', { name: record.name }) }, t('unreadableDelete')),
    ),
  );
  section.querySelector('ul').replaceChildren(...rows);
}
