// AutoHook's one drawing, tests/release/icon.svg, rendered in a Chromium
// page: the manifest's icons (render-icons.mjs, committed) and the Chrome
// Web Store's small promo tile (tests/e2e/release.test.mjs, into dist/store/).
import { readFileSync } from 'node:fs';

const SVG = readFileSync(new URL('icon.svg', import.meta.url), 'utf8');
/** The Chrome Web Store's small promo tile. */
export const PROMO_TILE = { name: 'promo-tile.png', width: 440, height: 280 };
// The store's 128 px icon is 96 px of drawing in 16 px of transparent padding.
const STORE_ICON = { size: 128, art: 96 };

/** Draws the icon `art` px wide at (`x`, `y`) on a transparent page `width`×`height` and saves it as `path`. */
async function draw(page, { width, height, art, x, y, path, label = '' }) {
  await page.setViewport({ width, height, deviceScaleFactor: 1 });
  await page.setContent(`<body style="margin:0;background:transparent">${SVG}</body>`);
  await page.$eval('svg', (drawing, [px, left, top, text]) => {
    drawing.setAttribute('width', px);
    drawing.setAttribute('height', px);
    Object.assign(drawing.style, { display: 'block', position: 'absolute', left: `${left}px`, top: `${top}px` });
    // Below 32 px the drawing hides its details and thickens the hook.
    if (px < 32) drawing.classList.add('small');
    if (!text) return;
    document.body.style.background = '#f4f6fd';
    const name = Object.assign(document.createElement('div'), { textContent: text });
    Object.assign(name.style, { position: 'absolute', left: `${left + px + 24}px`, top: `${top + px / 2 - 30}px`, font: 'bold 48px sans-serif', color: '#1d2b6b' });
    document.body.append(name);
  }, [art, x, y, label]);
  await page.screenshot({ path, omitBackground: !label, clip: { x: 0, y: 0, width, height } });
}

/** The icon at `size` px as `path`. */
export function renderIcon(page, size, path) {
  const art = size === STORE_ICON.size ? STORE_ICON.art : size;
  return draw(page, { width: size, height: size, art, x: (size - art) / 2, y: (size - art) / 2, path });
}

/** The promo tile as `path`: the icon and `name` on a light background. */
export function renderPromoTile(page, name, path) {
  const { width, height } = PROMO_TILE;
  return draw(page, { width, height, art: 128, x: 40, y: (height - 128) / 2, path, label: name });
}
