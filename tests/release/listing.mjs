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
import { PROMO_TILE } from './drawing.mjs';
import { JUSTIFICATIONS, pngSize } from './manifest-check.mjs';

const LOCALES = new URL('../../extension/_locales/', import.meta.url);
const LISTINGS = new URL('listing/', import.meta.url);
export const STORE_SHOTS = new URL('../../dist/store/', import.meta.url);
/** The size both stores take for a screenshot. */
export const STORE_SHOT_SIZE = { width: 1280, height: 800 };

/** The store images in `dir`; throws naming one that is missing or not its size (STORE_SHOT_SIZE, or PROMO_TILE's). */
export function storeShots(dir = STORE_SHOTS) {
  const names = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.png')) : [];
  const shots = names.filter((name) => name !== PROMO_TILE.name);
  if (shots.length === 0) throw new Error(`${relative('.', fileURLToPath(dir))} has no screenshots: tests/e2e/release.test.mjs takes them`);
  if (!names.includes(PROMO_TILE.name)) throw new Error(`${relative('.', fileURLToPath(dir))} has no ${PROMO_TILE.name}: tests/e2e/release.test.mjs renders it`);
  for (const name of [...shots, PROMO_TILE.name]) {
    const size = name === PROMO_TILE.name ? PROMO_TILE : STORE_SHOT_SIZE;
    const path = relative('.', fileURLToPath(new URL(name, dir)));
    const { width, height } = pngSize(readFileSync(new URL(name, dir))) ?? {};
    if (width === undefined) throw new Error(`${path} is not a whole PNG`);
    if (width !== size.width || height !== size.height) throw new Error(`${path} is ${width}×${height}, not ${size.width}×${size.height}`);
  }
  return shots;
}

// The Chrome Web Store's privacy practices form (English only there), answered
// as .github/CONTRIBUTING.md's "Releasing" reasons for Firefox's data_collection_permissions.
const PRIVACY_PRACTICES = [
  'Single purpose: send the events of the user\'s chat campaign (the messages AutoHook types into the chat tab the user picked, and its starts, stops, limits and errors) as signed webhooks to the services the user configures.',
  'Remote code: No, I am not using remote code.',
  'Data usage: Personal communications (the campaign\'s messages, sent only to the webhooks the user configures, and only with includeText on). Authentication information (the secrets and credential headers the user enters for their own webhooks: sealed on the device, used only to sign or authorize requests to those webhooks). No other category.',
  'Certified: not sold or transferred to third parties outside the approved use case; not used or transferred for purposes unrelated to the single purpose; not used or transferred to determine creditworthiness or for lending.',
  'Privacy policy: PRIVACY.md, shipped in the package and shown on the settings page under About; its public URL is filled in when publishing.',
];

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
    'Privacy practices (Chrome Web Store):',
    ...PRIVACY_PRACTICES.map((answer) => `- ${answer}`),
    '',
    `Screenshots (${STORE_SHOT_SIZE.width}×${STORE_SHOT_SIZE.height}): ${shots.map((name) => `dist/store/${name}`).join(', ')}`,
    `Small promo tile (${PROMO_TILE.width}×${PROMO_TILE.height}): dist/store/${PROMO_TILE.name}`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(listing(process.argv[2] ?? 'en'));
