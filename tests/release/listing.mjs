// The store listing for one language, put together from its parts, each
// declared once: the name and short description are the extension's own
// (_locales: extName, extDescription), the long description is
// listing/<locale>.md, the permission justifications permissions.json,
// the screenshots are what the E2E suite takes into dist/store/ (build output:
// their pixels change with every run).
//
//   node tests/release/listing.mjs es     prints the Spanish listing
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JUSTIFICATIONS, pngSize } from './manifest-check.mjs';

const LOCALES = new URL('../../extension/_locales/', import.meta.url);
const LISTINGS = new URL('listing/', import.meta.url);
export const STORE_SHOTS = new URL('../../dist/store/', import.meta.url);
/** The size both stores take for a screenshot. */
export const STORE_SHOT_SIZE = { width: 1280, height: 800 };

/** The store screenshots in `dir`; throws naming one that is missing or not STORE_SHOT_SIZE. */
export function storeShots(dir = STORE_SHOTS) {
  const names = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.png')) : [];
  if (names.length === 0) throw new Error(`${relative('.', fileURLToPath(dir))} has no screenshots: tests/e2e/release.test.mjs takes them`);
  for (const name of names) {
    const path = relative('.', fileURLToPath(new URL(name, dir)));
    const { width, height } = pngSize(readFileSync(new URL(name, dir))) ?? {};
    if (width === undefined) throw new Error(`${path} is not a whole PNG`);
    if (width !== STORE_SHOT_SIZE.width || height !== STORE_SHOT_SIZE.height) {
      throw new Error(`${path} is ${width}×${height}, not ${STORE_SHOT_SIZE.width}×${STORE_SHOT_SIZE.height}`);
    }
  }
  return names;
}

/** The languages the extension has; each must have a listing. */
export const locales = () => readdirSync(LOCALES);

/** The listing of `locale` as text; throws naming the file that is missing. */
export function listing(locale) {
  const file = new URL(`${locale}.md`, LISTINGS);
  if (!existsSync(file)) throw new Error(`tests/release/listing/${locale}.md is missing: every language in extension/_locales needs a listing`);
  const messages = JSON.parse(readFileSync(new URL(`${locale}/messages.json`, LOCALES), 'utf8'));
  const justifications = JSON.parse(readFileSync(JUSTIFICATIONS, 'utf8'));
  const shots = storeShots();
  return [
    `Name: ${messages.extName.message}`,
    `Summary: ${messages.extDescription.message}`,
    '',
    'Description:',
    readFileSync(file, 'utf8').trim(),
    '',
    'Permission justifications:',
    ...Object.entries(justifications).map(([permission, why]) => `- ${permission}: ${why}`),
    '',
    'Privacy policy: PRIVACY.md (also in the extension, settings page, About)',
    `Screenshots (${STORE_SHOT_SIZE.width}×${STORE_SHOT_SIZE.height}): ${shots.map((name) => `dist/store/${name}`).join(', ')}`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(listing(process.argv[2] ?? 'en'));
