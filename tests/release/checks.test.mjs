// The release checks on the built dist/ (what `./build.sh release` needs to
// pass, run by `./build.sh test` so CI keeps it true), and each check on a
// broken input, failing with the error that names what is wrong.
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintFirefox } from './addons-linter.mjs';
import { releaseNotes } from './changelog.mjs';
import { listing, locales, storeShots } from './listing.mjs';
import { JUSTIFICATIONS, cargoVersion, checkManifest, pngSize } from './manifest-check.mjs';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const version = cargoVersion();

/** A copy of dist/BROWSER in a temp dir, removed after test `t`, changed by `change(dir, manifest)`. */
function broken(t, browser, change) {
  const dir = mkdtempSync(join(tmpdir(), 'autohook-release-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(DIST, browser), dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  change(dir, manifest);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

test('the built packages pass every release check', async () => {
  assert.deepEqual(checkManifest(join(DIST, 'chrome'), { version }), []);
  assert.deepEqual(checkManifest(join(DIST, 'firefox'), { version }), []);
  const lint = await lintFirefox(join(DIST, 'autohook-firefox.zip'));
  assert.deepEqual(lint.messages, []);
  assert.deepEqual(lint.summary, { errors: 0, warnings: 0, notices: 0 });
  assert.match(releaseNotes(version), new RegExp(`^\\[${version}\\] - \\d{4}-\\d\\d-\\d\\d\\n\\n`));
  for (const locale of locales()) assert.match(listing(locale), /^Name: AutoHook\nSummary: .+\n/);
});

const BREAKAGES = [
  ['an unjustified permission', (dir, m) => m.permissions.push('tabs'), /^permissions: tabs has no justification in tests\/release\/permissions.json$/],
  ['another version', (dir, m) => (m.version = '0.9.0'), new RegExp(`^version: 0.9.0, not Cargo.toml's ${version}$`)],
  ['Manifest V2', (dir, m) => (m.manifest_version = 2), /^manifest_version: 2, not 3$/],
  ['an icon of the wrong size', (dir, m) => (m.icons['48'] = m.icons['32']), /^icons.48: icons\/icon-32.png is 32×32, not 48×48$/],
  ['a missing icon', (dir, m) => (m.action.default_icon['16'] = 'icons/none.png'), /^action.default_icon.16: icons\/none.png does not exist$/],
  ['a remote script source', (dir, m) => (m.content_security_policy.extension_pages = "script-src 'self' https://cdn.example"), /^content_security_policy.extension_pages: script-src allows https:\/\/cdn.example$/],
  ['a remote script tag', (dir) => writeFileSync(join(dir, 'options/extra.html'), '<script src="https://cdn.example/x.js"></script>'), /^options\/extra.html: loads a remote script \(https:\/\/cdn.example\/x.js\)$/],
  ['eval', (dir) => writeFileSync(join(dir, 'shared/extra.js'), 'export const run = (code) => eval(code);'), /^shared\/extra.js: eval\($/],
  ['new Function', (dir) => writeFileSync(join(dir, 'shared/extra.js'), 'export const f = new Function("return 1");'), /^shared\/extra.js: Function\($/],
  ['Function without new', (dir) => writeFileSync(join(dir, 'shared/extra.js'), 'export const f = Function("return 1");'), /^shared\/extra.js: Function\($/],
  ['a remote import', (dir) => writeFileSync(join(dir, 'shared/extra.js'), "import { x } from 'https://cdn.example/x.js';"), /^shared\/extra.js: an import from a remote URL$/],
  ['a remote side-effect import', (dir) => writeFileSync(join(dir, 'shared/extra.js'), "import 'https://cdn.example/x.js';"), /^shared\/extra.js: an import of a remote URL$/],
  ['a remote import()', (dir) => writeFileSync(join(dir, 'shared/extra.js'), 'await import("https://cdn.example/x.js");'), /^shared\/extra.js: an import\(\) of a remote URL$/],
  ['setTimeout with a string', (dir) => writeFileSync(join(dir, 'shared/extra.js'), 'setTimeout("run()", 10);'), /^shared\/extra.js: setTimeout or setInterval with code in a string$/],
  ['setInterval with a string', (dir) => writeFileSync(join(dir, 'shared/extra.js'), 'setInterval(`run()`, 10);'), /^shared\/extra.js: setTimeout or setInterval with code in a string$/],
  ['remote WebAssembly', (dir) => writeFileSync(join(dir, 'shared/extra.js'), "WebAssembly.instantiateStreaming(fetch('https://cdn.example/x.wasm'));"), /^shared\/extra.js: a fetch of a remote URL$/],
  ['a remote script-src-elem', (dir, m) => (m.content_security_policy.extension_pages = "script-src 'self'; script-src-elem 'self' https://cdn.example"), /^content_security_policy.extension_pages: script-src-elem allows https:\/\/cdn.example$/],
  ['an unsafe script-src-attr', (dir, m) => (m.content_security_policy.extension_pages = "script-src 'self'; script-src-attr 'unsafe-inline'"), /^content_security_policy.extension_pages: script-src-attr allows 'unsafe-inline'$/],
  ['eval called optionally', (dir) => writeFileSync(join(dir, 'shared/extra.js'), "globalThis.eval?.('1');"), /^shared\/extra.js: eval\($/],
  ['eval taken indirectly', (dir) => writeFileSync(join(dir, 'shared/extra.js'), "(0, eval)('1');"), /^shared\/extra.js: eval\($/],
  ['a remote import() in capitals after a comment', (dir) => writeFileSync(join(dir, 'shared/extra.js'), "await import(/* x */ 'HTTPS://cdn.example/x.js');"), /^shared\/extra.js: an import\(\) of a remote URL$/],
  ['a fetch of remote bytes', (dir) => writeFileSync(join(dir, 'shared/extra.js'), "fetch('https://cdn.example/x.wasm').then((r) => r.arrayBuffer()).then(WebAssembly.instantiate);"), /^shared\/extra.js: a fetch of a remote URL$/],
  ['a remote worker', (dir) => writeFileSync(join(dir, 'shared/extra.js'), "new Worker('https://cdn.example/w.js');"), /^shared\/extra.js: a worker from a remote URL$/],
  ['a remote script element', (dir) => writeFileSync(join(dir, 'shared/extra.js'), "document.createElement('script').src = 'https://cdn.example/x.js';"), /^shared\/extra.js: a script or frame source set to a remote URL$/],
  ['a remote SCRIPT-SRC-ELEM in capitals', (dir, m) => (m.content_security_policy.extension_pages = "script-src 'self'; SCRIPT-SRC-ELEM https://cdn.example"), /^content_security_policy.extension_pages: script-src-elem allows https:\/\/cdn.example$/],
  ['a remote worker-src', (dir, m) => (m.content_security_policy.extension_pages = "script-src 'self'; worker-src https://cdn.example"), /^content_security_policy.extension_pages: worker-src allows https:\/\/cdn.example$/],
  ['an unjustified optional permission', (dir, m) => (m.optional_permissions = ['tabs']), /^optional_permissions: tabs has no justification in tests\/release\/permissions.json$/],
  ['an unjustified content script site', (dir, m) => (m.content_scripts = [{ matches: ['https://chat.example/*'], js: ['content/picker.js'] }]), /^content_scripts\[0\].matches: https:\/\/chat.example\/\* has no justification/],
  ['an unjustified web-accessible site', (dir, m) => (m.web_accessible_resources = [{ resources: ['icons/icon-16.png'], matches: ['<all_urls>'] }]), /^web_accessible_resources\[0\].matches: <all_urls> has no justification/],
  ['a PNG cut after its IHDR', (dir) => writeFileSync(join(dir, 'icons/icon-48.png'), readFileSync(join(dir, 'icons/icon-48.png')).subarray(0, 60)), /^icons.48: icons\/icon-48.png is not a whole PNG$/],
  ['a missing background', (dir) => rmSync(join(dir, 'background/background.js')), /^background: background\/background.js does not exist$/],
  ['a description too long', (dir) => writeFileSync(join(dir, '_locales/es/messages.json'), JSON.stringify({ extName: { message: 'A' }, extDescription: { message: 'x'.repeat(133) } })), /^_locales\/es: the description is 133 characters, over 132$/],
];
for (const [what, change, error] of BREAKAGES) {
  test(`the manifest check refuses ${what}`, (t) => {
    const problems = checkManifest(broken(t, 'chrome', change), { version });
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0], error);
  });
}

test('the manifest check needs permissions.json to justify every permission', (t) => {
  const justifications = JSON.parse(readFileSync(JUSTIFICATIONS, 'utf8'));
  delete justifications['https://*/*'];
  assert.deepEqual(checkManifest(broken(t, 'firefox', () => {}), { version, justifications }),
    ['optional_host_permissions: https://*/* has no justification in tests/release/permissions.json']);
});

test('addons-linter counts a Firefox minimum older than a key it uses', async (t) => {
  const dir = broken(t, 'firefox', (_, m) => (m.browser_specific_settings.gecko.strict_min_version = '128.0'));
  const lint = await lintFirefox(dir);
  assert.ok(lint.summary.warnings > 0, JSON.stringify(lint.summary));
  assert.ok(lint.messages.some((m) => m.startsWith('warning KEY_FIREFOX_UNSUPPORTED_BY_MIN_VERSION')), lint.messages.join('\n'));
});

test('release.mjs, as ./build.sh release runs it, fails naming the addons-linter warning of a Firefox zip too old for its keys', (t) => {
  const dist = mkdtempSync(join(tmpdir(), 'autohook-dist-'));
  t.after(() => rmSync(dist, { recursive: true, force: true }));
  for (const browser of ['chrome', 'firefox']) cpSync(join(DIST, browser), join(dist, browser), { recursive: true });
  const manifestPath = join(dist, 'firefox/manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  manifest.browser_specific_settings.gecko.strict_min_version = '128.0';
  writeFileSync(manifestPath, JSON.stringify(manifest));
  execFileSync('zip', ['-qr', '../autohook-firefox.zip', '.'], { cwd: join(dist, 'firefox') });
  const release = spawnSync(process.execPath, [fileURLToPath(new URL('release.mjs', import.meta.url)), dist], { encoding: 'utf8' });
  assert.equal(release.status, 1, release.stdout + release.stderr);
  assert.match(release.stderr, /^release check: addons-linter: warning KEY_FIREFOX_UNSUPPORTED_BY_MIN_VERSION/m);
});

test('release notes need a dated section with changes for the version', () => {
  const changelog = '# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-12-07\n\n### Added\n\n- Webhooks.\n\n## [0.9.0] - 2026-11-01\n\n- Older.\n';
  assert.equal(releaseNotes('1.0.0', changelog), '[1.0.0] - 2026-12-07\n\n### Added\n\n- Webhooks.');
  assert.throws(() => releaseNotes('1.1.0', changelog), /^Error: CHANGELOG.md has no section "## \[1.1.0\] - YYYY-MM-DD" for Cargo.toml's version 1.1.0$/);
  assert.throws(() => releaseNotes('1.0.0', '## [1.0.0]\n\n- x\n'), /is not "## \[1.0.0\] - YYYY-MM-DD"/);
  assert.throws(() => releaseNotes('1.0.0', '## [1.0.0] - 2026-12-07\n\n### Added\n'), /the section for 1.0.0 lists no change/);
});

/** The smallest whole PNG pngSize reads as `width`×`height`: signature, IHDR, IEND. */
function pngOfSize(width, height) {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), ihdr, Buffer.from('0000000049454e44ae426082', 'hex')]);
}

test('a store image that is missing or of another size is named', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'autohook-shots-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const shots = () => storeShots(new URL(`file://${dir}/`));
  assert.throws(shots, /autohook-shots-\w+ has no screenshots: tests\/e2e\/release.test.mjs takes them$/);
  writeFileSync(join(dir, 'small.png'), pngOfSize(48, 48));
  assert.throws(shots, /autohook-shots-\w+ has no promo-tile.png: tests\/e2e\/release.test.mjs renders it$/);
  writeFileSync(join(dir, 'promo-tile.png'), pngOfSize(1280, 800));
  assert.throws(shots, /autohook-shots-\w+\/small.png is 48×48, not 1280×800$/);
  writeFileSync(join(dir, 'small.png'), pngOfSize(1280, 800));
  assert.throws(shots, /autohook-shots-\w+\/promo-tile.png is 1280×800, not 440×280$/);
  writeFileSync(join(dir, 'promo-tile.png'), pngOfSize(440, 280));
  assert.deepEqual(shots(), ['small.png']);
});

test('Cargo.toml without a package version and a file that is not a PNG are named', () => {
  assert.throws(() => cargoVersion('[package]\nname = "autohook"\n[dependencies]\nversion = "1"\n'), /^Error: Cargo.toml: \[package\] has no version$/);
  assert.equal(pngSize(Buffer.from('GIF89a not a png at all')), null);
  assert.throws(() => listing('fr'), /tests\/release\/listing\/fr.md is missing/);
});
