// The release checks, as `./build.sh release` runs them on DIST (dist/ by
// default): addons-linter on the Firefox zip (0 errors, warnings and
// notices), the manifest check on both browsers' folders, a listing for
// every language, and CHANGELOG.md's section for Cargo.toml's version
// (changelog.mjs prints it as the release notes). Exits 1 naming every problem.
import { join } from 'node:path';
import { lintFirefox } from './addons-linter.mjs';
import { releaseNotes } from './changelog.mjs';
import { listing, locales } from './listing.mjs';
import { cargoVersion, checkManifest } from './manifest-check.mjs';

const dist = process.argv[2] ?? 'dist';
const version = cargoVersion();
const problems = [];
const attempt = (check) => {
  try {
    return check();
  } catch (error) {
    problems.push(error.message);
  }
};

const lint = await lintFirefox(join(dist, 'autohook-firefox.zip'));
const { errors, warnings, notices } = lint.summary;
console.log(`addons-linter: ${errors} errors, ${warnings} warnings, ${notices} notices`);
problems.push(...lint.messages.map((message) => `addons-linter: ${message}`));
for (const browser of ['chrome', 'firefox']) {
  problems.push(...checkManifest(join(dist, browser), { version }).map((problem) => `${dist}/${browser}: ${problem}`));
}
console.log(`manifest check: ${problems.length - lint.messages.length} problems in ${dist}/chrome and ${dist}/firefox`);
for (const locale of locales()) attempt(() => listing(locale));
attempt(() => releaseNotes(version));

for (const problem of problems) console.error(`release check: ${problem}`);
process.exit(problems.length > 0 ? 1 : 0);
