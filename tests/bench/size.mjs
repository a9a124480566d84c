// Where the Wasm module's bytes are, for BENCHMARKS.md: the shipped module's
// size (raw and gzipped) by section, and its code by crate, read from the
// `name` section of the same module built with names (the shipped one has
// none). A function counts toward the crate that defines it, so generic code
// (serde_json's deserializer for AutoHook's structs, a sort of deliveries)
// is its defining crate's; the last column shows how much of each crate's
// code is such instantiations for AutoHook's own types.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { n } from './common.mjs';
import { goal } from './goals.mjs';

const SECTIONS = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'data count'];

/** The module's sections as `{ id, name, size, body }`, size including the header. */
function sections(bytes) {
  const reader = { bytes, at: 8 };
  const out = [];
  while (reader.at < bytes.length) {
    const start = reader.at;
    const id = bytes[reader.at++];
    const length = leb(reader);
    const body = bytes.subarray(reader.at, reader.at + length);
    reader.at += length;
    const name = id === 0 ? text({ bytes: body, at: 0 }) : SECTIONS[id];
    out.push({ id, name, size: reader.at - start, body });
  }
  return out;
}

function leb(reader) {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = reader.bytes[reader.at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return value;
  }
}

function text(reader) {
  const length = leb(reader);
  reader.at += length;
  return reader.bytes.subarray(reader.at - length, reader.at).toString();
}

/** Function index → name, from the `name` section's function names. */
function functionNames(body) {
  const reader = { bytes: body, at: 0 };
  text(reader); // "name"
  const names = new Map();
  while (reader.at < body.length) {
    const kind = body[reader.at++];
    const end = leb(reader) + reader.at;
    if (kind === 1) {
      for (let count = leb(reader); count > 0; count--) names.set(leb(reader), text(reader));
    }
    reader.at = end;
  }
  return names;
}

/** How many functions the module imports: code bodies are numbered after them. */
function importedFunctions(body) {
  const reader = { bytes: body, at: 0 };
  let functions = 0;
  for (let count = leb(reader); count > 0; count--) {
    text(reader);
    text(reader);
    const kind = body[reader.at++];
    if (kind === 0) {
      leb(reader);
      functions++;
    } else if (kind === 1 || kind === 2) {
      if (kind === 1) reader.at++; // reference type
      const limits = body[reader.at++];
      leb(reader);
      if (limits & 1) leb(reader);
    } else {
      reader.at += 2; // global: type and mutability; tag: attribute and type
      if (kind === 4) leb(reader);
    }
  }
  return functions;
}

/** The sizes of the code section's function bodies, in order. */
function bodySizes(body) {
  const reader = { bytes: body, at: 0 };
  const sizes = [];
  for (let count = leb(reader); count > 0; count--) {
    const size = leb(reader);
    sizes.push(size);
    reader.at += size;
  }
  return sizes;
}

/** The crate a demangled Rust name belongs to (`crate[hash]::…`, its first path). */
function crateOf(name) {
  const path = /([A-Za-z_][A-Za-z0-9_]*)\[[0-9a-f]+\]::/.exec(name ?? '');
  if (path) return path[1];
  if (/^<(str|\[|char|[iuf]\d+|bool)/.test(name ?? '')) return 'core, alloc (primitives)';
  return 'wasm-bindgen glue, builtins';
}

/** Code bytes per crate: `[crate, bytes, bytes instantiated for AutoHook's types]`, largest first. */
function codeByCrate(module) {
  const byId = Object.fromEntries(module.map((s) => [s.name, s]));
  const names = functionNames(byId.name.body);
  const first = byId.import ? importedFunctions(byId.import.body) : 0;
  const crates = new Map();
  bodySizes(byId.code.body).forEach((size, i) => {
    const name = names.get(first + i);
    const crate = crateOf(name);
    const row = crates.get(crate) ?? [crate, 0, 0];
    row[1] += size;
    if (crate !== 'autohook' && name?.includes('autohook[')) row[2] += size;
    crates.set(crate, row);
  });
  return [...crates.values()].sort((a, b) => b[1] - a[1]);
}

/** The Markdown section and its goal's figure: `shippedPath` is the module in dist/, `namedPath` the same code with its names. */
export function sizeSection(shippedPath, namedPath, rows = 15) {
  const shipped = readFileSync(shippedPath);
  const module = sections(shipped);
  const crates = codeByCrate(sections(readFileSync(namedPath)));
  const top = crates.slice(0, rows);
  const rest = crates.slice(rows);
  const sum = (list, i) => list.reduce((total, row) => total + row[i], 0);
  if (rest.length) top.push([`${rest.length} others`, sum(rest, 1), sum(rest, 2)]);
  const size = (name) => module.filter((s) => s.name === name).reduce((total, s) => total + s.size, 0);
  const other = shipped.length - size('code') - size('data');
  const gzipped = gzipSync(shipped, { level: 9 }).length;
  return {
    figures: { wasmGzipped: { value: gzipped, note: `${n(shipped.length)} raw` } },
    text: `## Wasm size (goal: ${goal('wasmGzipped')} gzipped)

| \`autohook_bg.wasm\` | Bytes |
|---|---|
| total | ${n(shipped.length)} |
| gzipped (level 9) | ${n(gzipped)} |
| code section | ${n(size('code'))} |
| data section (strings, Unicode and other tables) | ${n(size('data'))} |
| everything else (${module
    .map((s) => s.name)
    .filter((name) => name !== 'code' && name !== 'data')
    .join(', ')}) | ${n(other)} |

Code by crate (function bodies, from the \`name\` section of the same build
with names kept; generic code counts toward the crate that defines it):

| Crate | Code bytes | of which for AutoHook's types |
|---|---|---|
${top.map(([crate, bytes, ours]) => `| ${crate} | ${n(bytes)} | ${ours ? n(ours) : ''} |`).join('\n')}
| **all code** | ${n(sum(crates, 1))} | ${n(sum(crates, 2))} |
`,
  };
}

// `node tests/bench/size.mjs SHIPPED NAMED` prints the section.
if (import.meta.url === `file://${process.argv[1]}`) console.log(sizeSection(process.argv[2], process.argv[3]).text);
