/** Options of {@link createBackoff}; all durations in milliseconds. */
export interface BackoffOptions {
  /** The first delay. Default 100. */
  initialMs?: number;
  /** No delay grows past this. Default 1,000. */
  maxMs?: number;
  /** Growth factor between tries. Default 2. */
  multiplier?: number;
  /** Share of each delay drawn at random, from 0 to 1. Default 0.5. */
  jitter?: number;
}

/** Delays between the tries of one retried action. */
export interface Backoff {
  /** The delay before the next try; each call grows the next one. */
  next(): number;
  /** Starts over from the first delay, after a success. */
  reset(): void;
}

/**
 * Exponential backoff with jitter and a cap: delays grow by `multiplier`
 * up to `maxMs`, and each is shortened by a random share up to `jitter`,
 * so that many instances that lost the same registry do not come back in
 * step.
 */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const initialMs = options.initialMs ?? 100;
  const maxMs = options.maxMs ?? 1_000;
  const multiplier = options.multiplier ?? 2;
  const jitter = options.jitter ?? 0.5;
  let currentMs = initialMs;
  return {
    next() {
      const delay = currentMs * (1 - jitter * Math.random());
      currentMs = Math.min(maxMs, currentMs * multiplier);
      return Math.round(delay);
    },
    reset() {
      currentMs = initialMs;
    },
  };
}

/** Waits `ms`, or less if `signal` aborts first; never holds the process. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
