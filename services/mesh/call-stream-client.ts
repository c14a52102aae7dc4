import { EventEmitter } from 'node:events';
import { Metadata, status } from '@grpc/grpc-js';
import type {
  CallOptions,
  MethodDefinition,
  ServiceDefinition,
  ServiceError,
  StatusObject,
} from '@grpc/grpc-js';
import type { CallReplyFrame } from '../../gen/switchboard/v1/call_stream';
import { cancelWithParent, decideCall } from './call-policy';
import type { CallDecision, CallPolicyOptions } from './call-policy';
import { MAX_CALL_ATTEMPTS } from './call-retry';
import { entriesToMetadata, metadataToEntries } from './call-stream-frames';
import { PIECE_BYTES } from './call-stream-pieces';
import type {
  CallStreamPool,
  CallTicket,
  StreamedCall,
} from './call-stream-pool';
import type { CallStreamRouter } from './call-stream-router';
import { serviceOfPath } from './names';

/**
 * Requests larger than this, in bytes, take the standard path: a large
 * request gets an HTTP/2 stream of its own, where flow control paces it
 * alone, instead of holding up the small frames behind it on a shared
 * call stream. (Large responses come back in pieces of this size.)
 */
export const LARGE_MESSAGE_BYTES = PIECE_BYTES;

type UnaryCallback = (error: ServiceError | null, value?: unknown) => void;

/** Where a method's calls go, and whether a lost one may be sent again. */
interface Route {
  router: CallStreamRouter;
  service: string;
  /** The method is marked NO_SIDE_EFFECTS or IDEMPOTENT. */
  retryable: boolean;
}
type UnaryMethod = (request: unknown, ...rest: unknown[]) => unknown;

/**
 * Makes the unary methods of a typed client carry their calls on call
 * streams. Each method keeps its signature and its call object (cancel,
 * getPeer, the `metadata` and `status` events); the deadline and the
 * cancellation with the served call come from the call policy, as on the
 * standard path. A call goes the standard way (the client's own method,
 * with its interceptors) when no pool of the service is usable yet or its
 * request is large. Streaming methods are left as they are.
 *
 * The calls skip grpc-js's client stack: a unary call costs several times
 * less CPU this way, which is the point of the transport.
 */
export function carryOnCallStreams(
  client: object,
  definition: ServiceDefinition,
  router: CallStreamRouter,
  policy: CallPolicyOptions,
  isIdempotent: (methodPath: string) => boolean,
): void {
  const methods = client as Record<string, UnaryMethod>;
  for (const [name, method] of Object.entries(definition)) {
    if (method.requestStream || method.responseStream) continue;
    const standard = methods[name].bind(client);
    const route: Route = {
      router,
      service: serviceOfPath(method.path),
      retryable: isIdempotent(method.path),
    };
    const carried: UnaryMethod = (request, ...rest) => {
      const pool = router.pick(route.service);
      if (!pool) return standard(request, ...rest);
      const payload = method.requestSerialize(request);
      if (payload.length > LARGE_MESSAGE_BYTES) {
        return standard(request, ...rest);
      }
      const { metadata, options, callback } = unaryArguments(rest);
      const decision = decideCall(options.deadline, policy);
      const start = {
        method: method.path,
        metadata: metadata ? metadataToEntries(metadata) : [],
        payload,
      };
      return new StreamedUnaryCall(method, decision, callback, route).send(
        pool,
        start,
      );
    };
    methods[name] = carried;
    const original = (method as { originalName?: string }).originalName;
    if (original && original !== name) methods[original] = carried;
  }
}

/** The arguments of a grpc-js unary method after the request. */
function unaryArguments(rest: unknown[]): {
  metadata: Metadata | undefined;
  options: Partial<CallOptions>;
  callback: UnaryCallback;
} {
  const [a, b, c] = rest;
  if (typeof a === 'function') {
    return { metadata: undefined, options: {}, callback: a as UnaryCallback };
  }
  if (typeof b === 'function') {
    return a instanceof Metadata
      ? { metadata: a, options: {}, callback: b as UnaryCallback }
      : {
          metadata: undefined,
          options: (a ?? {}) as Partial<CallOptions>,
          callback: b as UnaryCallback,
        };
  }
  return {
    metadata: a as Metadata | undefined,
    options: (b ?? {}) as Partial<CallOptions>,
    callback: c as UnaryCallback,
  };
}

/**
 * One unary call on a call stream, with the surface of grpc-js's
 * ClientUnaryCall: `cancel()`, `getPeer()`, and the `metadata` and
 * `status` events, emitted only when someone listens.
 */
class StreamedUnaryCall extends EventEmitter {
  private ticket: CallTicket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private untie: () => void = () => undefined;
  private pool: CallStreamPool | undefined;
  private attempts = 1;
  private finished = false;
  private sending = false;

  constructor(
    private readonly method: MethodDefinition<unknown, unknown>,
    private readonly decision: CallDecision,
    private readonly callback: UnaryCallback,
    private readonly route: Route,
  ) {
    super();
  }

  send(pool: CallStreamPool, start: StreamedCall['start']): this {
    this.sending = true;
    this.armDeadline();
    this.dispatch(pool, start);
    this.untie = cancelWithParent(this.decision, (details) =>
      this.cancelWith(status.CANCELLED, details),
    );
    this.sending = false;
    return this;
  }

  private dispatch(pool: CallStreamPool, start: StreamedCall['start']): void {
    this.pool = pool;
    this.ticket = pool.send({
      deadlineMs: this.decision.deadlineMs,
      start,
      onReply: (frame) => this.receive(frame),
      onLost: (code, details) => this.lost(start, code, details),
    });
  }

  /**
   * The stream carrying the call is gone. A call to an idempotent method is
   * sent again, on another instance, if one is usable, the deadline has not
   * passed and MAX_CALL_ATTEMPTS allows; any other call fails with the
   * stream's status, since its handler may have run.
   */
  private lost(
    start: StreamedCall['start'],
    code: status,
    details: string,
  ): void {
    const { router, service, retryable } = this.route;
    const again = retryable && this.attempts < MAX_CALL_ATTEMPTS;
    if (again && Date.now() < this.decision.deadlineMs) {
      const next = router.pick(service, this.pool);
      if (next) {
        this.attempts += 1;
        return this.dispatch(next, start);
      }
    }
    this.finish(code, details);
  }

  /** Cancels the call, as grpc-js does: CANCELLED, "Cancelled on client". */
  cancel(): void {
    this.cancelWith(status.CANCELLED, 'Cancelled on client');
  }

  getPeer(): string {
    return this.pool?.address ?? '';
  }

  private cancelWith(code: status, details: string): void {
    if (this.finished) return;
    this.ticket?.cancel();
    this.finish(code, details);
  }

  private armDeadline(): void {
    const { deadlineMs } = this.decision;
    if (!Number.isFinite(deadlineMs)) return;
    const startedMs = Date.now();
    this.timer = setTimeout(
      () =>
        this.cancelWith(
          status.DEADLINE_EXCEEDED,
          `Deadline exceeded after ${Date.now() - startedMs} ms on a call stream`,
        ),
      Math.max(0, deadlineMs - startedMs),
    );
  }

  private receive(frame: CallReplyFrame): void {
    if (frame.code !== status.OK) {
      return this.finish(frame.code, frame.message, frame);
    }
    let response: unknown;
    try {
      response = this.method.responseDeserialize(frame.payload);
    } catch {
      return this.finish(
        status.INTERNAL,
        'call stream: the response message does not decode',
      );
    }
    this.finish(status.OK, '', frame, response);
  }

  /** Ends the call once: metadata, then the callback, then the status. */
  private finish(
    code: status,
    details: string,
    frame?: CallReplyFrame,
    response?: unknown,
  ): void {
    if (this.finished) return;
    if (this.sending) {
      // Like grpc-js, never answer before the method has returned the call.
      process.nextTick(() => this.finish(code, details, frame, response));
      return;
    }
    this.finished = true;
    clearTimeout(this.timer);
    this.untie();
    if (frame && this.listenerCount('metadata') > 0) {
      this.emit('metadata', entriesToMetadata(frame.initialMetadata));
    }
    const trailing = () =>
      frame ? entriesToMetadata(frame.trailingMetadata) : new Metadata();
    if (code === status.OK) {
      this.callback(null, response);
    } else {
      this.callback(statusError({ code, details, metadata: trailing() }));
    }
    if (this.listenerCount('status') > 0) {
      this.emit('status', { code, details, metadata: trailing() });
    }
  }
}

/** The error grpc-js hands a unary callback for a failed call. */
function statusError(outcome: StatusObject): ServiceError {
  const message = `${outcome.code} ${status[outcome.code]}: ${outcome.details}`;
  return Object.assign(new Error(message), outcome);
}
