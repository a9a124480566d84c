// `./build.sh bench`: measures AutoHook in headless Chromium and writes
// tests/bench/BENCHMARKS.md. Run it with nothing else on the machine; every
// comparison is a ratio measured in one run (tests/bench/common.mjs).
import { writeFileSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { DIST } from '../e2e/browsers.mjs';
import { eventually } from '../e2e/api.mjs';
import { openBench, ROUNDS, SECRET, median, n } from './common.mjs';
import { measureThroughput, throughputSection } from './throughput.mjs';
import { measureFanOut, fanOutSection } from './fanout.mjs';
import { storageRates, hmacRates, microSections } from './micro.mjs';

const only = process.argv[2]; // e.g. `node tests/bench/run.mjs throughput`: one section, printed, nothing written
const bench = await openBench();
const { receiver, chromium, page, call, arrived } = bench;

/** Milliseconds from emitting an event to its request arriving, with the worker running or just stopped. */
async function emitToWire(stopFirst, round) {
  const path = `/latency/${stopFirst ? 'cold' : 'warm'}/${round}`;
  const hook = await call('webhooks.create', { webhook: { url: receiver.url(path), secret: SECRET, events: ['error'] } });
  if (stopFirst) await chromium.stopWorker(page);
  const started = Date.now();
  await page.evaluate(() => chrome.runtime.sendMessage({ type: 'events.emit', event: 'error', data: { error: 'bench' } }));
  const [delivery] = await receiver.waitFor(() => arrived(path) === 1).then((all) => all.filter((d) => d.path === path));
  await eventually(async () => (await call('deliveries.list', { state: 'pending' })).length === 0);
  await call('webhooks.delete', { id: hook.id });
  return delivery.receivedAt - started;
}

async function latencySection() {
  const latency = [];
  for (let round = 0; round < ROUNDS; round++) {
    const warm = await emitToWire(false, round);
    const cold = await emitToWire(true, round);
    latency.push({ warm, cold, ratio: cold / Math.max(warm, 1) });
  }
  return `## Emit to first request on the wire: stopped vs running service worker

From the page's \`events.emit\` to the receiver seeing the request; "stopped"
means the worker was stopped over CDP first, so it includes starting the
worker, instantiating the Wasm module and loading state.

| Round | Running (ms) | Stopped (ms) | Ratio |
|---|---|---|---|
${latency.map((r, i) => `| ${i + 1} | ${r.warm} | ${r.cold} | ${n(r.ratio, 1)}× |`).join('\n')}
| **median** | ${median(latency.map((r) => r.warm))} | ${median(latency.map((r) => r.cold))} | |
`;
}

function sizeSection() {
  const wasm = readFileSync(`${DIST}chrome/pkg/autohook_bg.wasm`);
  return `## Wasm size

| | Bytes |
|---|---|
| \`autohook_bg.wasm\` | ${n(wasm.length)} |
| gzipped (level 9) | ${n(gzipSync(wasm, { level: 9 }).length)} |
`;
}

const sections = {
  throughput: async () => throughputSection(await measureThroughput(bench)),
  fanout: async () => fanOutSection(await measureFanOut(bench)),
  micro: async () => {
    const [logged] = await call('deliveries.list', { limit: 1 });
    return microSections(await storageRates(bench, logged), await hmacRates(bench));
  },
  latency: latencySection,
  size: sizeSection,
};
const written = [];
for (const [name, measure] of Object.entries(sections)) if (!only || only === name) written.push(await measure());
await bench.close();

const browser = execFileSync(process.env.CHROMIUM ?? '/usr/bin/chromium', ['--version']).toString().trim();
const report = `# AutoHook benchmarks

Written by \`./build.sh bench\` on ${new Date().toISOString().slice(0, 16)}Z, ${browser}, headless,
loopback receiver (node:http), on a 2-core machine. Each row is one round;
rounds alternate the sides compared so drift hits both. Compare ratios, not times.

${written.join('\n')}`;
if (!only) writeFileSync(new URL('./BENCHMARKS.md', import.meta.url), report);
console.log(report);
