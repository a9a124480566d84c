// The whole E2E suite in one process, so that all its files share one
// Chromium and one Firefox ESR (fixtures.mjs): `./build.sh test` runs this.
// `node --test tests/e2e/<file>.test.mjs` still runs one file on its own.
//
// Static imports: every file registers its tests before the first one
// runs. With one `await import` after another, the root's `after` hook that
// closes the browsers could run between two files (it runs once nothing is
// pending), and the browsers launched after it would never be closed.
import { readdirSync } from 'node:fs';
import './batch.test.mjs';
import './campaign.test.mjs';
import './credentials.test.mjs';
import './delivery.test.mjs';
import './health-ui.test.mjs';
import './health.test.mjs';
import './release.test.mjs';
import './replies.test.mjs';
import './rotation.test.mjs';
import './settings-test.test.mjs';
import './settings-ui.test.mjs';
import './transfer.test.mjs';
import './trust.test.mjs';
import './validation.test.mjs';

const IMPORTED = [
  'batch.test.mjs',
  'campaign.test.mjs',
  'credentials.test.mjs',
  'delivery.test.mjs',
  'health-ui.test.mjs',
  'health.test.mjs',
  'release.test.mjs',
  'replies.test.mjs',
  'rotation.test.mjs',
  'settings-test.test.mjs',
  'settings-ui.test.mjs',
  'transfer.test.mjs',
  'trust.test.mjs',
  'validation.test.mjs',
];
const present = readdirSync(new URL('.', import.meta.url)).filter((name) => name.endsWith('.test.mjs')).sort();
if (present.join() !== IMPORTED.join()) {
  throw new Error(`suite.mjs imports ${IMPORTED.join(', ')} but tests/e2e has ${present.join(', ')}: add the new file to both lists`);
}
