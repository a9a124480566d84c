// A webhook's health on its card, as the core reports it: healthy, failing
// (since when, how many failed deliveries in a row, the last reason) or
// disabled (when, and why); an auto-disabled webhook offers to turn on
// delivering or discarding the events it held meanwhile.
import { call } from '../shared/ext.js';
import { h, t } from '../shared/dom.js';
import { timeElement } from '../shared/format.js';

/** Turns webhook `id` on; what it held is delivered or discarded (`held`). */
const turnOn = (id, held) => call('webhooks.setEnabled', { id, enabled: true, held });

/** The health of `webhook`; `run(action)` shows an action's failure on the card. */
export function healthElement(webhook, run) {
  const { id, name, disabledReason, health } = webhook;
  const { state, consecutiveFailures, failingSince, lastReason, disabledAt, autoDisabled, held } = health;
  const discard = async () => confirm(t('confirmDiscardHeld', held, name)) && (await turnOn(id, 'discard'));
  return h('div', { class: `health ${state}` },
    h('p', { class: 'row' },
      h('span', { class: `badge health-state ${state}` }, t(`health_${state}`)),
      state === 'failing' && [
        h('span', {}, t('healthSince'), ' ', timeElement(failingSince)),
        h('span', { class: 'failures-in-a-row' }, t('healthFailuresInARow', consecutiveFailures)),
        lastReason && h('span', { class: 'last-reason' }, t('healthLastReason', lastReason))],
      state === 'disabled' && disabledAt && timeElement(disabledAt)),
    // Why it is off, in the core's words (with the count and the last reason when it was AutoHook).
    disabledReason && h('p', { class: 'notice' }, t('turnedOffBecause', disabledReason)),
    autoDisabled && h('div', { class: 'row' },
      h('button', { type: 'button', class: 'deliver-held', onclick: () => run(() => turnOn(id, 'deliver')) }, t('turnOnDeliverHeld', held)),
      h('button', { type: 'button', class: 'quiet discard-held', onclick: () => run(discard) }, t('turnOnDiscardHeld'))));
}
