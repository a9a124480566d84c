// Export and import of the settings (settings.export / settings.import).
// Export downloads the core's file; import reads a file, asks the core what
// it would change (a dry run, which also checks the passphrase), shows
// that, and applies it only when the user confirms. The core decides
// everything; this page only asks and shows.
import { call } from '../shared/ext.js';
import { h, t } from '../shared/dom.js';

const $ = (id) => document.getElementById(id);
const section = $('transfer');
const error = section.querySelector('.field-error');
const done = section.querySelector('.transfer-done');
/** The file being imported: its text and whether its secrets are encrypted. */
let chosen = null;

function report(message = '', failure = '') {
  done.textContent = message;
  error.textContent = failure;
}

/** Today's local date as YYYY-MM-DD, for the file's name. */
function today() {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 10);
}

$('export-secrets').addEventListener('change', () => {
  $('export-passphrase').hidden = !$('export-secrets').checked;
});

$('export').addEventListener('click', async () => {
  const includeSecrets = $('export-secrets').checked;
  try {
    const file = await call('settings.export', { includeSecrets, passphrase: includeSecrets ? $('export-passphrase').value : undefined });
    const url = URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: 'application/json' }));
    h('a', { href: url, download: `autohook-settings-${today()}.json` }).click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    report(t('exportDone'));
  } catch (failure) {
    report('', failure.message);
  }
});

$('import').addEventListener('click', () => $('import-file').click());

$('import-file').addEventListener('change', async () => {
  const [file] = $('import-file').files;
  $('import-file').value = '';
  if (!file) return;
  const text = await file.text();
  let encrypted = false;
  try {
    encrypted = Boolean(JSON.parse(text)?.secrets);
  } catch {
    // Not JSON: the core says so when asked.
  }
  chosen = { text, encrypted };
  $('import-name').textContent = file.name;
  $('import-passphrase').hidden = !encrypted;
  $('import-passphrase').value = '';
  $('import-review').hidden = false;
  report();
  resetSummary();
  if (!encrypted) await check();
});

function request(dryRun) {
  const mode = section.querySelector('input[name="import-mode"]:checked').value;
  const passphrase = chosen.encrypted ? $('import-passphrase').value : undefined;
  return call('settings.import', { data: chosen.text, passphrase, mode, dryRun });
}

function resetSummary() {
  $('import-summary').replaceChildren();
  $('import-apply').disabled = true;
}

/** One line per kind of change the import makes. */
function describe(summary) {
  const lines = [];
  for (const kind of ['created', 'updated', 'removed', 'unchanged', 'withoutSecrets']) {
    if (summary[kind].length) lines.push(h('li', { 'data-kind': kind }, t(`import_${kind}`, summary[kind].join(', '))));
  }
  // Per webhook: what changes where its credentials would go, and what to enter again.
  for (const { webhook, changes, reenter } of summary.credentialsDropped) {
    lines.push(h('li', { 'data-kind': 'credentialsDropped' }, t('import_credentialsDropped', webhook, changes.join(', '), reenter.join(', '))));
  }
  if (summary.campaign) lines.push(h('li', { 'data-kind': 'campaign' }, t('import_campaign')));
  if (summary.settings) lines.push(h('li', { 'data-kind': 'settings' }, t('import_settings')));
  return lines.length ? lines : [h('li', {}, t('import_nothing'))];
}

async function check() {
  resetSummary();
  try {
    $('import-summary').replaceChildren(...describe(await request(true)));
    $('import-apply').disabled = false;
    report();
  } catch (failure) {
    report('', failure.message);
  }
}

$('import-check').addEventListener('click', check);
$('import-passphrase').addEventListener('input', resetSummary);
// A new mode needs a new summary; a file with secrets waits for its passphrase and Check.
for (const radio of section.querySelectorAll('input[name="import-mode"]')) {
  radio.addEventListener('change', () => (chosen?.encrypted ? resetSummary() : check()));
}

$('import-apply').addEventListener('click', async () => {
  $('import-apply').disabled = true;
  try {
    await request(false);
    chosen = null;
    $('import-review').hidden = true;
    report(t('importDone'));
  } catch (failure) {
    report('', failure.message);
  }
});

$('import-cancel').addEventListener('click', () => {
  chosen = null;
  $('import-review').hidden = true;
  report();
});
