import { status } from '@grpc/grpc-js';
import type {
  Deadline,
  MethodDefinition,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { deadlineToMs } from './call-policy';
import { LazyAbort, runInCallContext } from './call-context';
import type { CallContext } from './call-context';
import type { Logger } from './logger';
import { createStatusError, isStatusError } from './status-error';

type Callback = (error: unknown, value?: unknown, ...rest: unknown[]) => void;

/** What every kind of served call offers, as far as this module needs. */
interface ServerSurfaceCall {
  /**
   * The absolute deadline in ms, for calls that know it as a number (call
   * streams), which saves reading it from a Date.
   */
  readonly deadlineMs?: number;
  getDeadline(): Deadline;
  on(event: string, listener: () => void): unknown;
  emit(event: string, ...args: unknown[]): boolean;
}

type AnyHandler = (call: ServerSurfaceCall, callback?: Callback) => unknown;

/**
 * Tracks the calls an instance serves: it refuses new calls once draining,
 * counts calls in flight, gives each handler its call context (deadline and
 * cancellation, inherited by the calls it makes), and turns an unexpected
 * exception into UNKNOWN for the caller while logging the original.
 */
export class ServedCalls {
  private inFlight = 0;
  private refusing = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly log: Logger,
    private readonly instanceId: string,
  ) {}

  /** Calls being served now. */
  get count(): number {
    return this.inFlight;
  }

  /** From now on, new calls fail with UNAVAILABLE; calls in flight go on. */
  refuseNewCalls(): void {
    this.refusing = true;
  }

  /** Resolves when no call is in flight, or after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Wraps every handler of `implementation` for `definition`. */
  wrap(
    definition: ServiceDefinition,
    implementation: UntypedServiceImplementation,
  ): UntypedServiceImplementation {
    const wrapped: UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(definition)) {
      const handler = implementation[name] as AnyHandler | undefined;
      if (!handler) {
        throw new Error(`serve: no handler for ${method.path}`);
      }
      wrapped[name] = this.wrapHandler(method, handler.bind(implementation));
    }
    return wrapped;
  }

  private wrapHandler(
    method: MethodDefinition<unknown, unknown>,
    handler: AnyHandler,
  ): AnyHandler {
    const hasCallback = !method.responseStream;
    return (call: ServerSurfaceCall, maybeCallback?: Callback) => {
      const callback = hasCallback ? (maybeCallback as Callback) : undefined;
      if (this.refusing) {
        return refuse(call, callback, this.instanceId);
      }
      this.begin();
      const served = new ServedCall(this, method, call, callback);
      runInCallContext(served, () => served.invoke(handler));
    };
  }

  /** One call fewer in flight; wakes whoever waits for none. */
  ended(): void {
    this.inFlight -= 1;
    if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /**
   * What the caller hears of an error thrown or returned by a handler: a
   * status error as it is, anything else as UNKNOWN, logged here.
   */
  toCallerError(method: MethodDefinition<unknown, unknown>, error: unknown) {
    if (isStatusError(error)) return error;
    this.log.error({ err: error, method: method.path }, 'handler failed');
    return createStatusError(
      status.UNKNOWN,
      `${method.path}: the handler failed unexpectedly; see the instance's log`,
    );
  }

  private begin(): void {
    this.inFlight += 1;
  }
}

/**
 * One call being served, and the context its handler runs in: it answers
 * once (by the handler, or DEADLINE_EXCEEDED when the deadline passes
 * first), aborts its signal when the call is cancelled or its deadline
 * passes, and counts itself out of the calls in flight once over. One
 * object per call, rather than a closure per concern: a served call is the
 * hot path, and what it allocates shows in the collector's share.
 */
class ServedCall implements CallContext {
  readonly deadlineMs: number;
  private readonly cancellation = new LazyAbort();
  private readonly respond: Callback | undefined;
  private timer: NodeJS.Timeout | undefined;
  private answered = false;
  private over = false;

  constructor(
    private readonly owner: ServedCalls,
    private readonly definition: MethodDefinition<unknown, unknown>,
    private readonly call: ServerSurfaceCall,
    private readonly callback: Callback | undefined,
  ) {
    this.deadlineMs = call.deadlineMs ?? deadlineToMs(call.getDeadline());
    if (callback) {
      this.respond = (error, value, trailer, flags) =>
        this.answer(error, value, trailer, flags);
    }
    this.timer = atDeadline(this.deadlineMs, this);
    call.on('cancelled', () => {
      this.cancellation.abort();
      this.finish();
    });
    if (!callback) watchStreamEnd(call, () => this.finish());
  }

  get method(): string {
    return this.definition.path;
  }

  get signal(): AbortSignal {
    return this.cancellation.signal;
  }

  /** Runs the handler; an exception or a rejected promise fails the call. */
  invoke(handler: AnyHandler): void {
    try {
      const result = this.respond
        ? handler(this.call, this.respond)
        : handler(this.call);
      if (result instanceof Promise) result.catch((e) => this.fail(e));
    } catch (error: unknown) {
      this.fail(error);
    }
  }

  /** The deadline passed (called by the timer). */
  expire(): void {
    // The call ends before its handler hears of it, so a handler that
    // answers when its context aborts cannot turn a passed deadline
    // into OK.
    this.respond?.(deadlineExceeded(this.definition.path));
    this.cancellation.abort();
  }

  private answer(
    error: unknown,
    value: unknown,
    trailer: unknown,
    flags: unknown,
  ): void {
    if (this.answered) return;
    this.answered = true;
    this.finish();
    const callback = this.callback as Callback;
    if (error) callback(this.owner.toCallerError(this.definition, error));
    else callback(null, value, trailer, flags);
  }

  private fail(error: unknown): void {
    const outgoing = this.owner.toCallerError(this.definition, error);
    if (this.respond) this.respond(outgoing);
    else this.call.emit('error', outgoing);
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    clearTimeout(this.timer);
    this.owner.ended();
  }
}

function refuse(
  call: ServerSurfaceCall,
  callback: Callback | undefined,
  instanceId: string,
): void {
  const error = createStatusError(
    status.UNAVAILABLE,
    `serve: instance "${instanceId}" is draining and takes no new calls; retry on another instance`,
  );
  if (callback) callback(error);
  else call.emit('error', error);
}

/** Expires `call` when `deadlineMs` passes; nothing when there is none. */
function atDeadline(
  deadlineMs: number,
  call: ServedCall,
): NodeJS.Timeout | undefined {
  if (!Number.isFinite(deadlineMs)) return undefined;
  const timer = setTimeout(expire, Math.max(0, deadlineMs - Date.now()), call);
  timer.unref();
  return timer;
}

function expire(call: ServedCall): void {
  call.expire();
}

function deadlineExceeded(path: string) {
  return createStatusError(
    status.DEADLINE_EXCEEDED,
    `${path}: deadline exceeded while the handler ran`,
  );
}

/** A streaming call is over when its response side ends or it errors. */
function watchStreamEnd(call: ServerSurfaceCall, finish: () => void): void {
  for (const event of ['finish', 'close', 'error']) call.on(event, finish);
}
