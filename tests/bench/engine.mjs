// The engine's own cost per event, natively: instructions counted by
// callgrind over tests/bench/burst.rs (built by `./build.sh bench`), the
// same whatever else the machine does, so one run is the measurement.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { n } from './common.mjs';
import { goal } from './goals.mjs';

const BURST = fileURLToPath(new URL('../../target/release/examples/burst', import.meta.url));

/** The Markdown section and its goal's figure. */
export function engineSection() {
  const run = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', BURST], { encoding: 'utf8' });
  const events = Number(/^(\d+) events$/m.exec(run.stdout ?? '')?.[1]);
  const instructions = Number(/I\s+refs:\s+([\d,]+)/.exec(run.stderr ?? '')?.[1].replaceAll(',', ''));
  const result = events && instructions
    ? `| ${n(events)} | ${n(instructions)} | **${n(instructions / events)}** |`
    : `| not measured: ${run.error?.message ?? run.stderr?.trim().split('\n').at(-1)} | | |`;
  return {
    figures: { engineInstructions: { value: instructions / events } },
    text: `## The engine's instructions per event (native, callgrind; goal ${goal('engineInstructions')})

\`tests/bench/burst.rs\`: one signed webhook, 3 × 1,000 events emitted through
the message API handler, each request built, signed, logged and answered
200, changes taken every 4 responses; the engine and its JSON only, no
browser. Instructions are the same from run to run, so one run suffices.

| Events | Instructions | Per event |
|---|---|---|
${result}
`,
  };
}
