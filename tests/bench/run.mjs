// `./build.sh bench`: measures AutoHook in headless Chromium and writes
// tests/bench/BENCHMARKS.md. Run it with nothing else on the machine; every
// comparison is a ratio measured in one run (tests/bench/common.mjs).
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { DIST } from '../e2e/browsers.mjs';
import { openBench, ROUNDS } from './common.mjs';
import { measureThroughput, throughputSection } from './throughput.mjs';
import { measureFanOut, fanOutSection } from './fanout.mjs';
import { storageRates, hmacRates, microSections } from './micro.mjs';
import { coldStart, coldStartSection } from './coldstart.mjs';
import { measureMemory, memorySection } from './memory.mjs';
import { engineSection } from './engine.mjs';
import { sizeSection } from './size.mjs';
import { goalsSection } from './goals.mjs';

const only = process.argv[2]; // e.g. `node tests/bench/run.mjs throughput,coldstart`: those sections, printed, nothing written
// The 1-minute load average as the bench starts and ends (its own browser
// counts in the second): other work on these 2 cores moves every time and
// most ratios, and a report should say how busy the machine was.
const loadBefore = loadavg()[0];
// The browser with AutoHook's settings page the sections share, opened by
// the first that needs it.
let bench;
const shared = async () => (bench ??= await openBench());

/** A logged delivery's list entry: the throughput rounds' last, or (run alone) one Test's. */
async function loggedDelivery({ receiver, call }) {
  const logged = await call('deliveries.list', { limit: 1 });
  if (logged.length) return logged;
  const webhook = await call('webhooks.create', { webhook: { url: receiver.url('/micro') } });
  await call('webhooks.test', { id: webhook.id });
  return call('deliveries.list', { limit: 1 });
}

// Each section's Markdown, and the figures of the goals it measures (goals.mjs).
const sections = {
  throughput: async () => throughputSection(await measureThroughput(await shared())),
  fanout: async () => ({ text: fanOutSection(await measureFanOut(await shared())) }),
  // Before micro, whose page holds the module: see coldStartSection.
  coldstart: async () => {
    const { chromium, receiver, page, call } = await shared();
    return coldStartSection(await coldStart({ chromium, receiver, page, call, rounds: ROUNDS + 2 }));
  },
  micro: async () => {
    const opened = await shared();
    const [logged] = await loggedDelivery(opened);
    return { text: microSections(await storageRates(opened, logged), await hmacRates(opened)) };
  },
  // Browsers of its own, each alone: PSS divides shared pages among every process mapping them.
  memory: async () => {
    await bench?.close();
    bench = undefined;
    return memorySection(await measureMemory());
  },
  size: () => sizeSection(`${DIST}chrome/pkg/autohook_bg.wasm`, new URL('../../target/pkg/named/autohook_bg.wasm', import.meta.url)),
  engine: engineSection,
};
const written = [];
for (const [name, measure] of Object.entries(sections)) if (!only || only.split(',').includes(name)) written.push(await measure());
await bench?.close();
const figures = Object.assign({}, ...written.map((section) => section.figures));

const browser = execFileSync(process.env.CHROMIUM ?? '/usr/bin/chromium', ['--version']).toString().trim();
const report = `# AutoHook benchmarks

Written by \`./build.sh bench\` on ${new Date().toISOString().slice(0, 16)}Z, ${browser}, headless,
loopback receiver (node:http), on a ${cpus().length}-core machine, load average
${loadBefore.toFixed(1)} at the start and ${loadavg()[0].toFixed(1)} at the end (1 min, the bench's own browser
included). Each row is one round;
rounds alternate the sides compared so drift hits both. Compare ratios, not times.

${goalsSection(figures)}
${written.map((section) => section.text).join('\n')}`;
if (!only) writeFileSync(new URL('./BENCHMARKS.md', import.meta.url), report);
console.log(report);
