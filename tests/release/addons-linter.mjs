// Mozilla's addons-linter (pinned in tests/e2e/package.json, run from its
// node_modules/.bin) on a Firefox package, as addons.mozilla.org runs it
// on upload. A release needs 0 errors, 0 warnings and 0 notices.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const LINTER = fileURLToPath(new URL('../e2e/node_modules/.bin/addons-linter', import.meta.url));

/** `{summary: {errors, warnings, notices}, messages}` for the zip or folder at `path`; each message "type CODE file: text". */
export async function lintFirefox(path) {
  let stdout;
  try {
    ({ stdout } = await promisify(execFile)(LINTER, ['--output', 'json', '--boring', path], { maxBuffer: 64 << 20 }));
  } catch (failure) {
    // It exits 1 when it found errors; its JSON report is still on stdout.
    if (!failure.stdout) throw new Error(`addons-linter could not run on ${path}: ${failure.message}`);
    stdout = failure.stdout;
  }
  const report = JSON.parse(stdout);
  const messages = ['errors', 'warnings', 'notices'].flatMap((kind) =>
    report[kind].map((m) => `${kind.slice(0, -1)} ${m.code} ${m.file ?? ''}: ${m.message} (${String(m.description).replace(/\s+/g, ' ')})`));
  return { summary: report.summary, messages };
}
