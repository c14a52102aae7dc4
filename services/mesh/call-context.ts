import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a handler's outgoing calls inherit from the call it serves: the
 * deadline and the cancellation. The runtime sets it around every handler
 * it serves, so a handler that calls further passes nothing along.
 */
export interface CallContext {
  /** Absolute deadline, ms since the epoch; Infinity when none. */
  deadlineMs: number;
  /** Aborts when the served call is cancelled or its deadline passes. */
  signal: AbortSignal;
  /** The method being served, `/pkg.Service/Method`. */
  method: string;
}

const storage = new AsyncLocalStorage<CallContext>();

/** Runs `fn` with `context` as the current call context. */
export function runInCallContext<T>(context: CallContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the call being served, if code runs inside a handler. */
export function currentCallContext(): CallContext | undefined {
  return storage.getStore();
}

/**
 * A cancellation whose AbortSignal is made only when someone asks for it:
 * most handlers never do, and an AbortController per served call is a
 * measurable share of what a call costs.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private aborted = false;

  /** The signal, made on first use; already aborted if the call ended. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }

  /** Aborts the signal, now or when it is made; idempotent. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.controller?.abort();
  }
}
