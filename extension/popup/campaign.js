// The popup's campaign panel: status and counters, the target in the
// current tab (Pick input, or the input remembered for this site), the
// controls, and the settings. Everything goes through campaign.* requests.
import { call, ext } from '../shared/ext.js';
import { applyLimits, catalog, controlFor, readControl, showControl } from '../shared/catalog.js';
import { onStateChanged, t, renderThrottled } from '../shared/dom.js';
import { requestAccess } from '../shared/permissions.js';

const $ = (id) => document.getElementById(id);
const CONTROLS = { start: 'idle', pause: 'running', resume: 'paused', stop: ['running', 'paused'] };
const { fields, limits } = await catalog;
// Every setting of a plain control is read and shown from the catalog
// alone, in the control of its id: popup.html places them; one it lacks is
// built before the schedule, so a new one needs no change here.
const PLAIN = fields.campaign.filter(({ control }) => control !== 'own');
document.querySelector('label[for="cron"]').before(...PLAIN.filter(({ name }) => !$(name)).map(controlFor));
applyLimits(limits.campaign);
const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
const pageTab = /^https?:/.test(tab?.url ?? '') ? tab : null;
let filled = false;
/** The selectors saved for this tab's site, as the last campaign.get said. */
let remembered = null;

function fill(settings) {
  // A number stored as none (no daily limit) shows as 0, which is how it is entered.
  for (const field of PLAIN) showControl(field, $(field.name), settings[field.name] ?? (field.control === 'number' ? 0 : null));
  $('cron').value = settings.schedule?.cron ?? '';
  $('stopAfterMessages').value = settings.schedule?.stopAfterMessages ?? '';
  $('stopAfterMinutes').value = settings.schedule?.stopAfterMinutes ?? '';
}

function render(campaign) {
  $('campaign-status').textContent = t(`campaign_${campaign.status}`);
  $('campaign-status').className = campaign.status;
  $('campaign-counts').textContent = t('campaignCounts', String(campaign.messagesSentToday), String(campaign.totalMessagesSent));
  const target = campaign.target;
  $('campaign-target').textContent = target ? t('campaignTarget', target.input, target.site) : t('campaignNoTarget');
  remembered = campaign.remembered ?? remembered;
  $('use-remembered').hidden = !(pageTab && remembered && target?.tabId !== pageTab.id);
  $('pick').disabled = !pageTab;
  for (const [action, states] of Object.entries(CONTROLS)) $(`campaign-${action}`).disabled = ![states].flat().includes(campaign.status);
  $('campaign-error').textContent = campaign.lastError ? t('campaignLastError', campaign.lastError) : '';
  if (!filled) fill(campaign.settings);
  filled = true;
}

async function refresh() {
  render(await call('campaign.get', { url: pageTab?.url }));
}

/** Runs a request, showing its error under its field (or the controls). */
async function attempt(request) {
  for (const slot of $('campaign-form').querySelectorAll('.field-error')) slot.replaceChildren();
  try {
    render(await request());
    $('campaign-error').textContent = '';
  } catch (error) {
    const slot = error.field && $(`${error.field}-error`);
    (slot || $('campaign-error')).textContent = error.message;
  }
}

/** The form as campaign input: every setting, an empty number as 0. */
function settingsInput() {
  const number = (id) => Number($(id).value || 0);
  return {
    ...Object.fromEntries(PLAIN.map((field) => [field.name, readControl(field, $(field.name)) ?? (field.control === 'number' ? 0 : '')])),
    schedule: { cron: $('cron').value, stopAfterMessages: number('stopAfterMessages'), stopAfterMinutes: number('stopAfterMinutes') },
  };
}

$('campaign-form').addEventListener('submit', (event) => {
  event.preventDefault();
  attempt(() => call('campaign.configure', { settings: settingsInput() }));
});
for (const action of Object.keys(CONTROLS)) {
  $(`campaign-${action}`).addEventListener('click', () => attempt(() => call(`campaign.${action}`)));
}
$('use-remembered').addEventListener('click', () => {
  attempt(() => call('campaign.setTarget', { tabId: pageTab.id, url: pageTab.url, ...remembered }));
});
$('pick').addEventListener('click', () => {
  // Asked inside the click: access to the chat's site lets later messages
  // reach the tab after a reload (the click's activeTab grant would not).
  // The pick's one-time token goes into the picker's world first: without
  // it the background refuses the picker's choice.
  const target = { tabId: pageTab.id };
  requestAccess(pageTab.url)
    .then(() => call('campaign.beginPick', { tabId: pageTab.id, url: pageTab.url }))
    .then(({ token }) => ext.scripting.executeScript({ target, args: [token], func: (value) => { globalThis.autohookPickToken = value; } }))
    .then(() => ext.scripting.executeScript({ target, files: ['content/picker.js'] }))
    .then(() => window.close())
    .catch((error) => { $('campaign-error').textContent = error.message; });
});
onStateChanged(renderThrottled(() => refresh().catch(console.error)));
await refresh();
