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
