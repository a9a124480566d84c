// Where the README's screenshots go. `./build.sh screenshots` points
// AUTOHOOK_README_SHOTS at tests/screenshots/, the committed pictures the
// README shows; every other run writes them under target/screenshots/,
// which git ignores, so `./build.sh test` leaves the tree as it found it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = process.env.AUTOHOOK_README_SHOTS ?? fileURLToPath(new URL('../../target/screenshots/', import.meta.url));

/** The path to save the README screenshot `name` to (its folder made). */
export function readmeShot(name) {
  mkdirSync(DIR, { recursive: true });
  return join(DIR, name);
}
