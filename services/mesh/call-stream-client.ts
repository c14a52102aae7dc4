import { InterceptingCall, Metadata, status } from '@grpc/grpc-js';
import type {
  Interceptor,
  InterceptorOptions,
  InterceptingListener,
  StatusObject,
} from '@grpc/grpc-js';
import type { CallReplyFrame } from '../../gen/switchboard/v1/call_stream';
import { entriesToMetadata, metadataToEntries } from './call-stream-frames';
import type { CallStreamPool, CallTicket } from './call-stream-pool';
import type { CallStreamRouter } from './call-stream-router';
import { deadlineToMs } from './call-policy';

/**
 * A grpc-js client interceptor that carries unary calls as frames on
 * call streams, through `router`. It goes after the call policy, so the
 * deadline and cancellation it sees are already decided. Streaming calls,
 * and unary calls for which no pool is usable (no instance known yet, or
 * none serving CallStream), take the standard path.
 */
export function createCallStreamInterceptor(
  router: CallStreamRouter,
): Interceptor {
  return (options, nextCall) => {
    const method = options.method_definition;
    if (method.requestStream || method.responseStream) {
      return new InterceptingCall(nextCall(options));
    }
    // grpc-js types an interceptor's result as its InterceptingCall class,
    // but only ever uses the InterceptingCallInterface it implements.
    return new FramedCall(
      options,
      nextCall,
      router,
    ) as unknown as InterceptingCall;
  };
}

/**
 * Requests larger than this, in bytes, take the standard path: see
 * FramedCall.goStandard.
 */
export const LARGE_MESSAGE_BYTES = 256 * 1024;

type Listener = Partial<InterceptingListener>;
type NextCall = Parameters<Interceptor>[1];
type AuthContext = ReturnType<InterceptingCall['getAuthContext']>;
/** What grpc-js calls on the call an interceptor returns. */
type CallSurface = Pick<
  InterceptingCall,
  | 'start'
  | 'sendMessageWithContext'
  | 'sendMessage'
  | 'startRead'
  | 'halfClose'
  | 'cancelWithStatus'
  | 'getPeer'
  | 'getAuthContext'
>;

/**
 * One unary call that either goes the standard way (`next`) or travels on
 * a pool, decided when the call starts.
 */
class FramedCall implements CallSurface {
  private next: ReturnType<NextCall> | undefined;
  private pool: CallStreamPool | undefined;
  private listener: Listener | undefined;
  private metadata: Metadata | undefined;
  private message: unknown;
  private ticket: CallTicket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  private readRequested = false;

  constructor(
    private readonly options: InterceptorOptions,
    private readonly nextCall: NextCall,
    private readonly router: CallStreamRouter,
  ) {}

  start(metadata: Metadata, listener?: Listener): void {
    const service = serviceOf(this.options.method_definition.path);
    this.pool = this.router.pick(service);
    if (!this.pool) {
      const next = this.nextCall(this.options);
      this.next = next;
      next.start(metadata, listener);
      return;
    }
    this.metadata = metadata;
    this.listener = listener;
  }

  sendMessageWithContext(context: object, message: unknown): void {
    if (this.next) this.next.sendMessageWithContext(context, message);
    else this.message = message;
  }

  sendMessage(message: unknown): void {
    this.sendMessageWithContext({}, message);
  }

  startRead(): void {
    if (this.next) this.next.startRead();
    else this.readRequested = true;
  }

  halfClose(): void {
    if (this.next) return this.next.halfClose();
    if (this.finished || !this.pool) return;
    let payload: Buffer;
    try {
      payload = this.options.method_definition.requestSerialize(this.message);
    } catch {
      return this.finish(
        status.INTERNAL,
        'call stream: the request message does not serialize',
      );
    }
    if (payload.length > LARGE_MESSAGE_BYTES) return this.goStandard();
    this.send(this.pool, payload);
  }

  /**
   * Sends the call the standard way after all. A large request gets an
   * HTTP/2 stream of its own, where flow control paces it alone, instead of
   * holding up the small frames queued behind it on a shared call stream.
   */
  private goStandard(): void {
    const next = this.nextCall(this.options);
    this.next = next;
    next.start(this.metadata ?? new Metadata(), this.listener);
    if (this.readRequested) next.startRead();
    next.sendMessageWithContext({}, this.message);
    next.halfClose();
  }

  cancelWithStatus(code: status, details: string): void {
    if (this.next) return this.next.cancelWithStatus(code, details);
    this.ticket?.cancel();
    this.finish(code, details);
  }

  getPeer(): string {
    return this.next?.getPeer() ?? this.pool?.address ?? '';
  }

  getAuthContext(): AuthContext {
    return this.next?.getAuthContext() ?? null;
  }

  private send(pool: CallStreamPool, payload: Buffer): void {
    const deadlineMs = deadlineToMs(this.options.deadline ?? Infinity);
    this.armDeadline(deadlineMs);
    this.ticket = pool.send({
      deadlineMs,
      start: {
        method: this.options.method_definition.path,
        metadata: metadataToEntries(this.metadata ?? new Metadata()),
        payload,
      },
      onReply: (frame) => this.receive(frame),
      onLost: (code, details) => this.finish(code, details),
    });
  }

  private armDeadline(deadlineMs: number): void {
    if (!Number.isFinite(deadlineMs)) return;
    const startedMs = Date.now();
    this.timer = setTimeout(
      () => {
        this.ticket?.cancel();
        this.finish(
          status.DEADLINE_EXCEEDED,
          `Deadline exceeded after ${Date.now() - startedMs} ms on a call stream`,
        );
      },
      Math.max(0, deadlineMs - startedMs),
    );
  }

  private receive(frame: CallReplyFrame): void {
    if (frame.code !== status.OK) {
      return this.finish(frame.code, frame.message, frame);
    }
    let response: unknown;
    try {
      response = this.options.method_definition.responseDeserialize(
        frame.payload,
      );
    } catch {
      return this.finish(
        status.INTERNAL,
        'call stream: the response message does not decode',
      );
    }
    this.finish(status.OK, '', frame, response);
  }

  private finish(
    code: status,
    details: string,
    frame?: CallReplyFrame,
    response?: unknown,
  ): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    const listener = this.listener;
    if (frame) {
      listener?.onReceiveMetadata?.(entriesToMetadata(frame.initialMetadata));
    }
    if (code === status.OK) listener?.onReceiveMessage?.(response);
    const outcome: StatusObject = {
      code,
      details,
      metadata: frame
        ? entriesToMetadata(frame.trailingMetadata)
        : new Metadata(),
    };
    listener?.onReceiveStatus?.(outcome);
  }
}

function serviceOf(path: string): string {
  return path.split('/')[1] ?? path;
}
