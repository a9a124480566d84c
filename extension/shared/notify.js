// The notifications the core asks for (`host.notify`), worded here from
// typed facts only: the kind, the webhook's name (the user's own), the
// HTTP status, the failure kind and the counts. Nothing a receiver wrote
// can reach a notification.
//
// Notification ids are the core's: `<kind>:<webhookId>:<counter>`, such as
// `failing:wh_abc:3`, or `campaignPaused::4` with no webhook. Webhook ids
// have no colon. A click reads the webhook back from the id, so nothing is
// kept between showing a notification and its click (the worker may have
// stopped in between).
import { ext } from './ext.js';
import { t } from './dom.js';
import { failureReason } from './format.js';

const ICON = 'icons/icon-128.png';

const WORDING = {
  failing: (n) => [t('notifyFailingTitle', n.webhookName), t('notifyFailingMessage', failureReason(n.failure, n.status), n.consecutiveFailures)],
  disabled: (n) => [t('notifyDisabledTitle', n.webhookName), t('notifyDisabledMessage', failureReason(n.failure, n.status), n.consecutiveFailures)],
  campaignPaused: () => [t('notifyCampaignPausedTitle'), t('notifyCampaignPausedMessage')],
  dailyLimit: (n) => [t('notifyDailyLimitTitle'), t('notifyDailyLimitMessage', n.limit)],
  recordsUnopenable: () => [t('notifyRecordsUnopenableTitle'), t('notifyRecordsUnopenableMessage')],
};

/** A webhook's notification has these buttons, by index, where the browser has buttons (Chrome). */
export const BUTTONS = ['retryFailed', 'openLog'];

// Firefox has no notification buttons and refuses the option (on some
// versions by throwing at once): after one refusal they are left out.
let buttonsRefused = false;

/** Shows the notification `n` (`{id, kind, webhookId, webhookName, status, failure, consecutiveFailures, limit}`). */
export async function showNotification(n) {
  const [title, message] = WORDING[n.kind](n);
  const options = { type: 'basic', iconUrl: ext.runtime.getURL(ICON), title, message };
  if (!n.webhookId || buttonsRefused) return ext.notifications.create(n.id, options);
  try {
    return await ext.notifications.create(n.id, { ...options, buttons: BUTTONS.map((key) => ({ title: t(key) })) });
  } catch (error) {
    console.warn('AutoHook: notification buttons refused; shown without them', error);
    buttonsRefused = true;
    return ext.notifications.create(n.id, options);
  }
}

/** The webhook notification `id` is about; '' when none. */
export const notificationWebhook = (id) => id.slice(id.indexOf(':') + 1, id.lastIndexOf(':'));

/** Clears notification `id` and opens the settings page at the log of its webhook (the plain page when it has none). */
export function openSettingsFor(id) {
  ext.notifications.clear(id);
  const webhook = notificationWebhook(id);
  if (!webhook) return ext.runtime.openOptionsPage();
  return ext.tabs.create({ url: ext.runtime.getURL(`options/options.html?webhook=${encodeURIComponent(webhook)}#log`) });
}
