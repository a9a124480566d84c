// The release notes: CHANGELOG.md's section for a version (Keep a
// Changelog: `## [1.0.0] - 2026-12-07`, up to the next `## ` heading).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CHANGELOG = new URL('../../CHANGELOG.md', import.meta.url);

/** The body of `version`'s section in `text`; throws naming the version if there is none, or it is empty or undated. */
export function releaseNotes(version, text = readFileSync(CHANGELOG, 'utf8')) {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`## [${version}]`));
  if (start < 0) throw new Error(`CHANGELOG.md has no section "## [${version}] - YYYY-MM-DD" for Cargo.toml's version ${version}`);
  if (!/^## \[[^\]]+\] - \d{4}-\d\d-\d\d$/.test(lines[start])) throw new Error(`CHANGELOG.md: "${lines[start]}" is not "## [${version}] - YYYY-MM-DD"`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  const notes = lines.slice(start + 1, end < 0 ? undefined : end).join('\n').trim();
  if (!/^- /m.test(notes)) throw new Error(`CHANGELOG.md: the section for ${version} lists no change`);
  return `${lines[start].slice(3)}\n\n${notes}`;
}

// `node tests/release/changelog.mjs 1.0.0` prints that version's notes (./build.sh release).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(`Release notes for AutoHook ${releaseNotes(process.argv[2])}`);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
