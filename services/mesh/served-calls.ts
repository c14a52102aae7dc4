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
      const done = this.begin();
      const cancellation = new LazyAbort();
      const deadlineMs = deadlineToMs(call.getDeadline());
      let timer: NodeJS.Timeout | undefined;
      const finish = once(() => {
        clearTimeout(timer);
        done();
      });
      const respond = callback
        ? this.guardCallback(method, callback, finish)
        : undefined;
      timer = atDeadline(deadlineMs, () => {
        // The call ends before its handler hears of it, so a handler that
        // answers when its context aborts cannot turn a passed deadline
        // into OK.
        respond?.(deadlineExceeded(method.path));
        cancellation.abort();
      });
      call.on('cancelled', () => {
        cancellation.abort();
        finish();
      });
      const args: Parameters<AnyHandler> = respond ? [call, respond] : [call];
      if (!callback) watchStreamEnd(call, finish);
      const context: CallContext = {
        deadlineMs,
        method: method.path,
        get signal() {
          return cancellation.signal;
        },
      };
      runInCallContext(context, () => this.invoke(method, handler, args, call));
    };
  }

  private invoke(
    method: MethodDefinition<unknown, unknown>,
    handler: AnyHandler,
    args: Parameters<AnyHandler>,
    call: ServerSurfaceCall,
  ): void {
    const fail = (error: unknown) => {
      const outgoing = this.toCallerError(method, error);
      if (args[1]) args[1](outgoing);
      else call.emit('error', outgoing);
    };
    try {
      const result = handler(...args);
      if (result instanceof Promise) result.catch(fail);
    } catch (error: unknown) {
      fail(error);
    }
  }

  private guardCallback(
    method: MethodDefinition<unknown, unknown>,
    callback: Callback,
    finish: () => void,
  ): Callback {
    let answered = false;
    return (error, ...rest) => {
      if (answered) return;
      answered = true;
      finish();
      if (error) callback(this.toCallerError(method, error));
      else callback(null, ...rest);
    };
  }

  private toCallerError(
    method: MethodDefinition<unknown, unknown>,
    error: unknown,
  ) {
    if (isStatusError(error)) return error;
    this.log.error({ err: error, method: method.path }, 'handler failed');
    return createStatusError(
      status.UNKNOWN,
      `${method.path}: the handler failed unexpectedly; see the instance's log`,
    );
  }

  private begin(): () => void {
    this.inFlight += 1;
    return () => {
      this.inFlight -= 1;
      if (this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    };
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

/** Runs `fn` when `deadlineMs` passes; nothing when there is none. */
function atDeadline(
  deadlineMs: number,
  fn: () => void,
): NodeJS.Timeout | undefined {
  if (!Number.isFinite(deadlineMs)) return undefined;
  const timer = setTimeout(fn, Math.max(0, deadlineMs - Date.now()));
  timer.unref();
  return timer;
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

function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}
