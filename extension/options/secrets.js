// Secret rotation on the settings page: the editor's "Rotate secret" (a new
// secret signs at once; the old one stays valid beside it for the overlap,
// so receivers can switch without a failed verification) and the card's
// note of each previous secret still valid. The new secret is shown once,
// from the answer: the background lists only when previous secrets expire.
import { call } from '../shared/ext.js';
import { h, t } from '../shared/dom.js';

/** How long the replaced secret stays valid: a day, the core's default. */
const OVERLAP_HOURS = 24;
const $ = (id) => document.getElementById(id);
let rotating = null;

/** Offers rotation for `webhook` while the editor shows it (none for a new one). */
export function showRotation(webhook) {
  if (webhook?.id !== rotating?.id) $('secret-rotated').replaceChildren();
  rotating = webhook;
  $('secret-rotation').hidden = !webhook;
}

/** One line per previous secret still valid, saying until when. */
export function previousSecretNotes(webhook) {
  const valid = (webhook.previousSecrets ?? []).filter(({ expiresAt }) => expiresAt > Date.now());
  return valid.map(({ expiresAt }) => h('p', { class: 'hint previous-secret' },
    t('previousSecretValidUntil', new Date(expiresAt).toLocaleString())));
}

function showNewSecret(secret) {
  const copied = h('span', { class: 'ok', 'aria-live': 'polite' });
  const copy = async () => {
    await navigator.clipboard.writeText(secret);
    copied.textContent = t('secretCopied');
  };
  $('secret-rotated').replaceChildren(t('secretRotated'), ' ', h('code', { class: 'new-secret' }, secret), ' ',
    h('button', { type: 'button', class: 'quiet', onclick: copy }, t('secretCopy')), ' ', copied);
}

$('secret-rotate').addEventListener('click', async () => {
  if (!rotating || !confirm(t('confirmRotateSecret', rotating.name, OVERLAP_HOURS))) return;
  try {
    const { secret } = await call('webhooks.rotateSecret', { id: rotating.id, overlapHours: OVERLAP_HOURS });
    // A revealed old secret left in the field would replace the new one on
    // Save, which revokes the overlap.
    $('secret').value = '';
    $('secret').type = 'password';
    $('secret').dispatchEvent(new Event('input', { bubbles: true }));
    showNewSecret(secret);
  } catch (error) {
    $('secret-rotated').replaceChildren(h('span', { class: 'failed' }, error.message));
  }
});
