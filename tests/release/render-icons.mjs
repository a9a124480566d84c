// Renders tests/release/icon.svg to the PNGs extension/manifest.json's
// `icons` lists (16, 32, 48 and 128 px), in headless Chromium (puppeteer-core, from tests/e2e), on a transparent
// background. Run it after changing the drawing and commit the PNGs:
//
//   node tests/release/render-icons.mjs
//
// Below 32 px the drawing gets class="small" (its style hides the detail
// group and thickens the hook), so one source stays crisp at 16 px; at 128
// px it is 96 px inside 16 px of transparent padding, as the Chrome Web
// Store asks (drawing.mjs).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { renderIcon } from './drawing.mjs';

// The test tooling's one node_modules (tests/e2e), as eslint.config.mjs does.
const puppeteer = createRequire(new URL('../e2e/package.json', import.meta.url))('puppeteer-core');

const EXTENSION = new URL('../../extension/', import.meta.url);
const { icons } = JSON.parse(await readFile(new URL('manifest.json', EXTENSION), 'utf8'));

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--force-color-profile=srgb'],
});
try {
  const page = await browser.newPage();
  for (const [size, path] of Object.entries(icons).map(([size, path]) => [Number(size), fileURLToPath(new URL(path, EXTENSION))])) {
    await renderIcon(page, size, path);
    console.log(`wrote ${path}`);
  }
} finally {
  await browser.close();
}
