// Bursts collapsed into a few calls: a burst of deliveries changes state
// dozens of times a second, and acting on each change (a broadcast from the
// background, a redraw of a page) cost more CPU than the deliveries.

/**
 * A function that calls `fn` (which may return a promise) when asked, but
 * never two at once and at most once every `everyMs`. A call while one waits
 * or runs brings one more after it, so the last change is always acted on.
 */
export function throttled(fn, everyMs) {
  let state = 'idle';
  let again = false;
  let last = -Infinity;
  const run = async () => {
    state = 'running';
    last = Date.now();
    try {
      await fn();
    } finally {
      state = 'idle';
      if (again) schedule();
    }
  };
  const schedule = () => {
    state = 'scheduled';
    again = false;
    setTimeout(run, Math.max(0, last + everyMs - Date.now()));
  };
  return () => {
    if (state === 'idle') schedule();
    else if (state === 'running') again = true;
  };
}
