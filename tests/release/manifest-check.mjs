// The store-side checks of a built extension folder (dist/chrome or
// dist/firefox) that addons-linter does not make for Chrome: every
// permission justified, every icon present at its size, no remote code,
// a CSP that allows only the package's own scripts and Wasm, MV3 and
// Cargo's version. Each problem is one line naming its file or field.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const JUSTIFICATIONS = new URL('permissions.json', import.meta.url);
const CARGO_TOML = new URL('../../Cargo.toml', import.meta.url);
const CSP_SOURCES = new Set(["'self'", "'wasm-unsafe-eval'", "'none'"]);
// The Chrome Web Store's limit for the manifest's description.
const MAX_DESCRIPTION = 132;
// The directives that say where code may come from (names are case-insensitive).
const CSP_SCRIPT_DIRECTIVES = ['script-src', 'script-src-elem', 'script-src-attr', 'worker-src', 'object-src', 'default-src'];
// A written-out URL of another origin, after any comments (`import(/* x */ 'https://...')`).
const REMOTE = String.raw`(\s|\/\*.*?\*\/)*['"\x60](https?:)?\/\/`;
const REMOTE_CODE = [
  // Called, called optionally (`eval?.(`) or taken indirectly (`(0, eval)`).
  [/\beval\s*(\?\.\s*)?[()]/, 'eval('],
  // With or without `new`; not right after a quote: the wasm-bindgen glue
  // describes a value as `Function(${name})` in a template string.
  [/(?<![\w$'"`])Function\s*\(/, 'Function('],
  [new RegExp(String.raw`\bimport\s*\(${REMOTE}`, 'i'), 'an import() of a remote URL'],
  [new RegExp(String.raw`\b(import|export)\b[^;'"\x60]*\bfrom${REMOTE}`, 'i'), 'an import from a remote URL'],
  [new RegExp(String.raw`\bimport${REMOTE}`, 'i'), 'an import of a remote URL'],
  [new RegExp(String.raw`\bimportScripts\s*\(${REMOTE}`, 'i'), 'importScripts of a remote URL'],
  [/\bset(Timeout|Interval)\s*\(\s*['"`]/, 'setTimeout or setInterval with code in a string'],
  // Code, bytes (WebAssembly) or a worker from a written-out remote URL:
  // the shell fetches only its own files.
  [new RegExp(String.raw`\bfetch\s*\(${REMOTE}`, 'i'), 'a fetch of a remote URL'],
  [new RegExp(String.raw`\bnew\s+(Shared)?Worker\s*\(${REMOTE}`, 'i'), 'a worker from a remote URL'],
  [new RegExp(String.raw`\.src\s*=${REMOTE}`, 'i'), 'a script or frame source set to a remote URL'],
];
// Where a manifest names permissions or the sites it runs on: each needs a justification.
const PERMISSION_FIELDS = ['permissions', 'optional_permissions', 'host_permissions', 'optional_host_permissions'];

/** AutoHook's version as Cargo.toml's [package] declares it (read here on its own, to check what build.sh stamped). */
export function cargoVersion(text = readFileSync(CARGO_TOML, 'utf8')) {
  const version = /^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m.exec(text)?.[1];
  if (!version) throw new Error('Cargo.toml: [package] has no version');
  return version;
}

/** Width and height from a PNG's IHDR, or null if `bytes` is not a whole PNG (from its signature to its IEND chunk). */
export function pngSize(bytes) {
  const signature = '89504e470d0a1a0a';
  const end = '0000000049454e44ae426082';
  if (bytes.length < 45 || bytes.subarray(0, 8).toString('hex') !== signature || bytes.toString('latin1', 12, 16) !== 'IHDR') return null;
  if (bytes.subarray(-12).toString('hex') !== end) return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

function checkIcons(dir, field, icons, problems) {
  for (const [size, path] of Object.entries(icons ?? {})) {
    const file = join(dir, path);
    if (!existsSync(file)) {
      problems.push(`${field}.${size}: ${path} does not exist`);
      continue;
    }
    const found = pngSize(readFileSync(file));
    if (!found) problems.push(`${field}.${size}: ${path} is not a whole PNG`);
    else if (found.width !== Number(size) || found.height !== Number(size)) {
      problems.push(`${field}.${size}: ${path} is ${found.width}×${found.height}, not ${size}×${size}`);
    }
  }
}

function checkCsp(csp, problems) {
  for (const [context, policy] of Object.entries(csp ?? {})) {
    const directives = policy.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name.toLowerCase(), ...sources]);
    if (!directives.some(([name]) => name === 'script-src')) problems.push(`content_security_policy.${context}: no script-src`);
    for (const [name, ...sources] of directives.filter(([directive]) => CSP_SCRIPT_DIRECTIVES.includes(directive))) {
      for (const source of sources) if (!CSP_SOURCES.has(source)) problems.push(`content_security_policy.${context}: ${name} allows ${source}`);
    }
  }
}

function checkCode(dir, problems) {
  for (const file of files(dir)) {
    const name = relative(dir, file);
    if (file.endsWith('.html')) {
      for (const [, src] of readFileSync(file, 'utf8').matchAll(/<script\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)/gi)) {
        if (/^(https?:)?\/\//i.test(src)) problems.push(`${name}: loads a remote script (${src})`);
      }
    } else if (/\.m?js$/.test(file)) {
      const code = readFileSync(file, 'utf8');
      for (const [pattern, what] of REMOTE_CODE) if (pattern.test(code)) problems.push(`${name}: ${what}`);
    }
  }
}

function checkText(dir, manifest, problems) {
  const locales = join(dir, '_locales');
  // The message each localized field names (`__MSG_extName__`), read once.
  const keys = Object.fromEntries(['name', 'description'].map((field) => [field, /^__MSG_(\w+)__$/.exec(manifest[field] ?? '')?.[1]]));
  for (const locale of existsSync(locales) ? readdirSync(locales) : []) {
    const messages = JSON.parse(readFileSync(join(locales, locale, 'messages.json'), 'utf8'));
    for (const [field, key] of Object.entries(keys)) {
      if (key && !messages[key]) problems.push(`_locales/${locale}/messages.json: no ${key} for the manifest's ${field}`);
    }
    const description = messages[keys.description]?.message ?? '';
    if (description.length > MAX_DESCRIPTION) problems.push(`_locales/${locale}: the description is ${description.length} characters, over ${MAX_DESCRIPTION}`);
  }
}

/**
 * The problems of the extension in `dir` (its manifest.json and files):
 * an empty list when it is fit for the stores. `version` is Cargo's;
 * `justifications` maps each permission and host pattern to why it is needed.
 */
export function checkManifest(dir, { version, justifications = JSON.parse(readFileSync(JUSTIFICATIONS, 'utf8')) }) {
  const problems = [];
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  if (manifest.manifest_version !== 3) problems.push(`manifest_version: ${manifest.manifest_version}, not 3`);
  if (manifest.version !== version) problems.push(`version: ${manifest.version}, not Cargo.toml's ${version}`);
  const asked = [
    ...PERMISSION_FIELDS.flatMap((field) => (manifest[field] ?? []).map((permission) => [field, permission])),
    ...['content_scripts', 'web_accessible_resources'].flatMap((field) =>
      (manifest[field] ?? []).flatMap((entry, i) => (entry.matches ?? []).map((pattern) => [`${field}[${i}].matches`, pattern])),
    ),
  ];
  for (const [field, permission] of asked) {
    if (!justifications[permission]?.trim()) problems.push(`${field}: ${permission} has no justification in tests/release/permissions.json`);
  }
  checkIcons(dir, 'icons', manifest.icons, problems);
  checkIcons(dir, 'action.default_icon', manifest.action?.default_icon, problems);
  for (const script of [manifest.background?.service_worker, ...(manifest.background?.scripts ?? [])].filter(Boolean)) {
    if (!existsSync(join(dir, script))) problems.push(`background: ${script} does not exist`);
  }
  checkCsp(manifest.content_security_policy, problems);
  checkCode(dir, problems);
  checkText(dir, manifest, problems);
  return problems;
}
