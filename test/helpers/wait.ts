/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** How long to keep trying before failing, in ms. Default 5,000. */
  timeoutMs?: number;
  /** Pause between two tries, in ms. Default 20. */
  intervalMs?: number;
  /**
   * What is awaited, for the failure message: `instance "a" resolved`. A
   * function is called at the failure, so it can tell the state then.
   */
  description?: string | (() => string);
}

/**
 * Polls `predicate` until it returns a truthy value, and resolves to that
 * value. A predicate that throws counts as a falsy try, so that a call to a
 * server still starting can be polled as is. Fails after `timeoutMs` with
 * the description and the last error thrown, if any; never polls forever.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 5_000, intervalMs = 20 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error: unknown) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  const { description = 'condition' } = options;
  const what = typeof description === 'function' ? description() : description;
  const cause =
    lastError instanceof Error ? `; last error: ${lastError.message}` : '';
  throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms${cause}`);
}

/** Resolves after `ms` milliseconds; the timer never holds the process. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Resolves or rejects as `promise` does, or rejects after `timeoutMs` with
 * an error naming `description`: a bound for awaiting one event.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  description = 'operation',
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`withTimeout: ${description} took over ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
