// Issue #28's goals, declared once: each section prints its goal beside its
// figure from here, and run.mjs sums every figure up against its goal in
// one table at the top of BENCHMARKS.md. Once met, a goal is a budget: a
// change that moves a figure past it says so in its commit, with the numbers
// (.github/CONTRIBUTING.md, "Benchmarks").
import { n } from './common.mjs';

/** Each goal: what is measured, whether the figure must be at least or at most `limit`, and how to print it. */
export const GOALS = {
  throughputWorker: { what: 'Throughput raised in the worker ÷ the durable loop', atLeast: 0.9, unit: '×', digits: 2 },
  throughputPage: { what: 'Throughput sent from a page ÷ the durable loop', atLeast: 0.8, unit: '×', digits: 2 },
  coldStart: { what: 'Cold start, worker stopped ÷ the durable ceiling', atMost: 1.5, unit: '×', digits: 2 },
  memoryIdle: { what: 'Memory idle − a bare extension idle (PSS)', atMost: 8, unit: ' MB', digits: 1 },
  memoryPeak: { what: 'Memory peak during 3 bursts − a bare extension idle (PSS)', atMost: 60, unit: ' MB', digits: 1 },
  memorySettled: { what: 'Memory settled after the bursts − a bare extension idle (PSS)', atMost: 20, unit: ' MB', digits: 1 },
  wasmGzipped: { what: 'Wasm module gzipped (level 9)', atMost: 280_000, unit: ' bytes', digits: 0 },
  engineInstructions: { what: "The engine's instructions per event (callgrind)", atMost: 150_000, unit: '', digits: 0 },
};

/** A figure of goal `key`, as the tables print it. */
export const figure = (key, value) => `${n(value, GOALS[key].digits)}${GOALS[key].unit}`;

/** Goal `key` as the sections' headings say it: "≥ 0.9×". */
export function goal(key) {
  const { atLeast, atMost } = GOALS[key];
  return atLeast === undefined ? `≤ ${figure(key, atMost)}` : `≥ ${figure(key, atLeast)}`;
}

/** Whether `value` meets goal `key`. */
export function met(key, value) {
  const { atLeast, atMost } = GOALS[key];
  return atLeast === undefined ? value <= atMost : value >= atLeast;
}

/**
 * The summary table: every goal, its figure from `figures` (goal key →
 * { value, note }) and whether it is met; a goal no section measured in
 * this run says so.
 */
export function goalsSection(figures) {
  const rows = Object.entries(GOALS).map(([key, { what }]) => {
    const measured = figures[key];
    if (measured === undefined || !Number.isFinite(measured.value)) return `| ${what} | ${goal(key)} | not measured | |`;
    const note = measured.note ? ` (${measured.note})` : '';
    return `| ${what} | ${goal(key)} | ${figure(key, measured.value)}${note} | ${met(key, measured.value) ? 'met' : '**not met**'} |`;
  });
  const keys = Object.keys(GOALS);
  const count = keys.filter((key) => figures[key] && met(key, figures[key].value)).length;
  const unmeasured = keys.filter((key) => !Number.isFinite(figures[key]?.value)).length;
  return `## Goals (issue #28): ${count} of ${keys.length} met${unmeasured ? `, ${unmeasured} not measured in this run` : ''}

Each figure is the median of the rounds its section shows, sides alternating,
except the Wasm size and the instruction count, which do not move from run
to run.

| Goal | Budget | Figure | |
|---|---|---|---|
${rows.join('\n')}
`;
}
