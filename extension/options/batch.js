// The editor's Batch control: both numbers empty is `batch: null` (one
// request per event); the core checks the numbers and names `batch` in its
// error.
const $ = (id) => document.getElementById(id);
const events = $('batchMaxEvents');
const wait = $('batchMaxWaitSeconds');

/** The control as the webhook's `batch` input. */
export function batchInput() {
  if (!events.value.trim() && !wait.value.trim()) return { batch: null };
  return { batch: { maxEvents: Number(events.value), maxWaitSeconds: Number(wait.value) } };
}

/** Fills the control from a webhook's `batch` (null: off), with the catalog's limits. */
export function setBatch(batch, limits) {
  events.min = limits.maxEvents.min;
  events.max = limits.maxEvents.max;
  wait.min = limits.maxWaitSeconds.min;
  wait.max = limits.maxWaitSeconds.max;
  events.value = batch?.maxEvents ?? '';
  wait.value = batch?.maxWaitSeconds ?? '';
}
