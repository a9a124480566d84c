// The log's bulk actions, for the webhook its filter shows (or every
// webhook): Redeliver all failed, once the user has confirmed how many,
// and Cancel pending.
import { call } from '../shared/ext.js';
import { t } from '../shared/dom.js';
import { logScope } from './log.js';

const result = document.getElementById('log-result');

function say(text, state = '') {
  result.textContent = text;
  result.className = state;
}

async function redeliverFailed() {
  const { fields, name } = logScope();
  const { count } = await call('deliveries.redeliverFailed', { ...fields, dryRun: true });
  if (count === 0) return say(t('noFailedToRedeliver', name));
  if (!confirm(t('confirmRedeliverFailed', count, name))) return say('');
  say(t('redeliveredFailed', (await call('deliveries.redeliverFailed', fields)).count), 'ok');
}

async function cancelPending() {
  const { fields, name } = logScope();
  if (!confirm(t('confirmCancelPending', name))) return say('');
  say(t('cancelledPending', (await call('deliveries.cancelPending', fields)).count), 'ok');
}

const guarded = (action) => () => action().catch((error) => say(error.message, 'failed'));
document.getElementById('redeliver-failed').addEventListener('click', guarded(redeliverFailed));
document.getElementById('cancel-pending').addEventListener('click', guarded(cancelPending));
