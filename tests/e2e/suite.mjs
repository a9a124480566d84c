// The whole E2E suite in one process, so that all its files share one
// Chromium and one Firefox ESR (fixtures.mjs): `./build.sh test` runs this.
// `node --test tests/e2e/<file>.test.mjs` still runs one file on its own.
import { readdirSync } from 'node:fs';

const files = readdirSync(new URL('.', import.meta.url)).filter((name) => name.endsWith('.test.mjs')).sort();
for (const file of files) await import(`./${file}`);
