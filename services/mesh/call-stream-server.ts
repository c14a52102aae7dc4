import { EventEmitter } from 'node:events';
import { Metadata, status } from '@grpc/grpc-js';
import type {
  MethodDefinition,
  ServerDuplexStream,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type {
  CallReplyFrame,
  CallStart,
  CallStreamRequest,
  CallStreamResponse,
  MetadataEntry,
} from '../../gen/switchboard/v1/call_stream';
import {
  FrameBatcher,
  batchPayloadBytes,
  replyPayloadBytes,
  requestPayloadBytes,
  entriesToMetadata,
  metadataToEntries,
} from './call-stream-frames';
import { CALL_STREAM_SERVICE } from './call-stream-codec';
import { PIECE_BYTES, splitReply } from './call-stream-pieces';
import type { Logger } from './logger';
import { inItsTurn } from './turn-pacer';

type OpenCall = ServerDuplexStream<CallStreamRequest, CallStreamResponse>;
type UnaryCallback = (
  error: unknown,
  value?: unknown,
  trailer?: Metadata,
) => void;
type UnaryHandler = (call: FramedUnaryCall, callback: UnaryCallback) => void;

/** One served unary method, as the call-stream server dispatches to it. */
interface ServedMethod {
  definition: MethodDefinition<unknown, unknown>;
  handler: UnaryHandler;
}

/** A service whose handlers the call-stream server dispatches to. */
export interface CallStreamTarget {
  definition: ServiceDefinition;
  /** The handlers as the standard path serves them (wrapped by ServedCalls). */
  implementation: UntypedServiceImplementation;
}

/**
 * Serves `switchboard.v1.CallStream` for one instance: every start frame
 * runs the same handler the standard path runs, with a call object that
 * offers what a grpc-js ServerUnaryCall offers, and its outcome goes back
 * as a reply frame. Deadlines and cancel frames end the call as they would
 * end a standard call: the handler's call context aborts.
 */
export class CallStreamServer {
  private readonly methods = new Map<string, ServedMethod>();
  private readonly streams = new Set<CallStreamSession>();

  constructor(
    targets: CallStreamTarget[],
    private readonly instanceId: string,
    private readonly log: Logger,
  ) {
    for (const target of targets) this.addTarget(target);
  }

  /** The service definition to add to the instance's grpc-js server. */
  readonly definition = CALL_STREAM_SERVICE;

  /** The implementation to add beside {@link definition}. */
  implementation(): UntypedServiceImplementation {
    return { open: (call: OpenCall) => this.open(call) };
  }

  /**
   * Ends every open call stream with OK, after the replies already queued:
   * callers open no new stream to a drained instance and fall back.
   */
  close(): void {
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  private addTarget(target: CallStreamTarget): void {
    for (const [name, method] of Object.entries(target.definition)) {
      if (method.requestStream || method.responseStream) continue;
      const handler = target.implementation[name] as unknown as UnaryHandler;
      this.methods.set(method.path, { definition: method, handler });
    }
  }

  private open(call: OpenCall): void {
    const session = new CallStreamSession(call, this.methods, this.instanceId);
    this.streams.add(session);
    const forget = () => {
      session.cancelAll();
      this.streams.delete(session);
    };
    call.on('data', (request: CallStreamRequest) =>
      inItsTurn(
        request.frames.length,
        batchPayloadBytes(request.frames, requestPayloadBytes),
        () => session.receive(request),
      ),
    );
    call.on('end', () =>
      inItsTurn(0, 0, () => session.whenIdle(() => call.end())),
    );
    call.on('cancelled', forget);
    call.on('error', forget);
    call.on('close', forget);
    call.sendMetadata(new Metadata());
    this.log.debug({ peer: call.getPeer() }, 'call stream opened');
  }
}

/** A large reply being sent in pieces; `stopped` once nobody waits for it. */
interface PieceTransfer {
  stopped: boolean;
}

/** One open call stream on the server: its calls in flight and replies. */
class CallStreamSession {
  private readonly active = new Map<number, FramedUnaryCall>();
  private readonly transfers = new Map<number, PieceTransfer>();
  private readonly replies: FrameBatcher<CallReplyFrame>;
  private onIdle: (() => void) | undefined;
  private ended = false;
  private endWhenSent = false;
  /** The caller's address, as grpc-js tells it. */
  readonly peer: string;

  constructor(
    private readonly call: OpenCall,
    private readonly methods: Map<string, ServedMethod>,
    private readonly instanceId: string,
  ) {
    this.peer = call.getPeer();
    this.replies = new FrameBatcher((frames) => {
      if (!this.ended) this.call.write({ frames });
    }, replyPayloadBytes);
  }

  receive(request: CallStreamRequest): void {
    // A batch paced to a later turn may find its stream gone.
    if (this.ended) return;
    for (const frame of request.frames) {
      if (frame.kind?.$case === 'start') {
        this.start(frame.callId, frame.kind.value);
      } else if (frame.kind?.$case === 'cancel') {
        this.active.get(frame.callId)?.cancel();
        const transfer = this.transfers.get(frame.callId);
        if (transfer) transfer.stopped = true;
      }
    }
  }

  /** Runs `fn` once no call is in flight on this stream. */
  whenIdle(fn: () => void): void {
    if (this.idle) fn();
    else this.onIdle = fn;
  }

  /**
   * Ends the stream with OK once the queued replies are sent, and the
   * large replies being sent in pieces are whole.
   */
  end(): void {
    this.replies.flushNow();
    if (this.transfers.size > 0) {
      this.endWhenSent = true;
      return;
    }
    this.endWhenSent = false;
    this.ended = true;
    this.call.end();
  }

  /** The stream is gone: every call on it is cancelled. */
  cancelAll(): void {
    this.ended = true;
    for (const call of this.active.values()) call.cancel();
    this.active.clear();
    this.transfers.clear();
  }

  private get idle(): boolean {
    return this.active.size === 0 && this.transfers.size === 0;
  }

  private start(callId: number, start: CallStart): void {
    const served = this.methods.get(start.method);
    if (!served) {
      const instance = `instance "${this.instanceId}"`;
      return this.reply(callId, {
        code: status.UNIMPLEMENTED,
        message: `call stream: method "${start.method}" is not served by ${instance}`,
      });
    }
    let request: unknown;
    try {
      request = served.definition.requestDeserialize(start.payload);
    } catch {
      return this.reply(callId, {
        code: status.INVALID_ARGUMENT,
        message: `call stream: the request of ${start.method} does not decode`,
      });
    }
    this.dispatch(callId, start, served, request);
  }

  private dispatch(
    callId: number,
    start: CallStart,
    served: ServedMethod,
    request: unknown,
  ): void {
    const deadlineMs =
      start.deadlineMs > 0 ? Date.now() + start.deadlineMs : Infinity;
    const call = new FramedUnaryCall(
      request,
      start.metadata,
      deadlineMs,
      start.method,
      this,
      callId,
    );
    this.active.set(callId, call);
    served.handler(call, (error, value, trailer) => {
      if (!call.isDone) {
        call.complete(outcomeOf(served.definition, error, value, trailer));
      }
    });
  }

  /** The call `callId` ended: its outcome is sent, unless it was cancelled. */
  finish(callId: number, outcome: Outcome | undefined): void {
    this.active.delete(callId);
    if (outcome) this.reply(callId, outcome);
    this.checkIdle();
  }

  private checkIdle(): void {
    if (!this.idle) return;
    if (this.endWhenSent) return this.end();
    if (this.onIdle) {
      this.replies.flushNow();
      this.onIdle();
    }
  }

  private reply(callId: number, outcome: Outcome): void {
    if (this.ended) return;
    const frame: CallReplyFrame = {
      callId,
      code: outcome.code,
      message: outcome.message,
      initialMetadata: outcome.initial ?? [],
      trailingMetadata: outcome.trailing ?? [],
      payload: outcome.payload ?? EMPTY,
      more: false,
    };
    if (frame.payload.length > PIECE_BYTES) this.sendInPieces(frame);
    else this.replies.push(frame);
  }

  /**
   * Sends a large reply a piece per message, the next piece once the one
   * before has left for the socket. Batches of small replies written
   * meanwhile go out between the pieces, so they wait for one piece at
   * most, not for the whole reply.
   */
  private sendInPieces(frame: CallReplyFrame): void {
    const pieces = splitReply(frame);
    const transfer: PieceTransfer = { stopped: false };
    this.transfers.set(frame.callId, transfer);
    const done = () => {
      if (this.transfers.delete(frame.callId)) this.checkIdle();
    };
    const send = (index: number) => {
      if (transfer.stopped || this.ended) return done();
      const last = index === pieces.length - 1;
      this.call.write({ frames: [pieces[index]] }, (error?: Error | null) => {
        if (error || last) done();
        else send(index + 1);
      });
    };
    send(0);
  }
}

const EMPTY = Buffer.alloc(0);

/** How a call ended, as a reply frame says it. */
interface Outcome {
  code: number;
  message: string;
  initial?: CallReplyFrame['initialMetadata'];
  trailing?: CallReplyFrame['trailingMetadata'];
  payload?: Buffer;
}

function outcomeOf(
  method: MethodDefinition<unknown, unknown>,
  error: unknown,
  value: unknown,
  trailer: Metadata | undefined,
): Outcome {
  if (error) {
    const e = error as { code?: number; details?: string; message?: string };
    const metadata = (error as { metadata?: unknown }).metadata;
    return {
      code: typeof e.code === 'number' ? e.code : status.UNKNOWN,
      message: e.details ?? e.message ?? '',
      trailing:
        metadata instanceof Metadata ? metadataToEntries(metadata) : undefined,
    };
  }
  try {
    // The caller checks the size against its own receive limit, as a
    // standard caller does: the instance sends what the handler answered.
    const payload = method.responseSerialize(value);
    const trailing = trailer ? metadataToEntries(trailer) : undefined;
    return { code: status.OK, message: '', payload, trailing };
  } catch {
    return {
      code: status.INTERNAL,
      message: `call stream: the response of ${method.path} does not serialize`,
    };
  }
}

/**
 * What a handler sees of a unary call that came as a frame: the surface of
 * a grpc-js ServerUnaryCall that handlers and ServedCalls use. It ends
 * once, by the handler's callback or a cancellation. Its deadline is kept
 * by ServedCalls, which wraps every handler: when it passes, the wrapper
 * answers DEADLINE_EXCEEDED through the callback, as on the standard path.
 */
class FramedUnaryCall extends EventEmitter {
  cancelled = false;
  private done = false;
  private initial: CallReplyFrame['initialMetadata'] | undefined;
  private metadataMade: Metadata | undefined;
  private deadlineMade: Date | undefined;

  /**
   * `deadlineMs` is absolute (ms since the epoch; Infinity when none);
   * ServedCalls reads it as it is, saving a Date per call.
   */
  constructor(
    readonly request: unknown,
    private readonly entries: MetadataEntry[],
    readonly deadlineMs: number,
    private readonly path: string,
    private readonly session: CallStreamSession,
    private readonly callId: number,
  ) {
    super();
  }

  /** The request metadata, made on first use: most handlers never read it. */
  get metadata(): Metadata {
    this.metadataMade ??= entriesToMetadata(this.entries);
    return this.metadataMade;
  }

  /** Whether the call has ended, answered or cancelled. */
  get isDone(): boolean {
    return this.done;
  }

  getDeadline(): Date | number {
    if (!Number.isFinite(this.deadlineMs)) return Infinity;
    this.deadlineMade ??= new Date(this.deadlineMs);
    return this.deadlineMade;
  }

  getPath(): string {
    return this.path;
  }

  getPeer(): string {
    return this.session.peer;
  }

  getHost(): string {
    return '';
  }

  sendMetadata(metadata: Metadata): void {
    this.initial ??= metadataToEntries(metadata);
  }

  /** The handler answered; the answer goes back unless the call is over. */
  complete(outcome: Outcome): void {
    if (this.done) return;
    this.done = true;
    outcome.initial = this.initial;
    this.session.finish(this.callId, outcome);
  }

  /**
   * Ends the call without a reply: the caller has already finished it (a
   * cancel frame), or the stream is gone. The handler's context aborts.
   */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.cancelled = true;
    this.session.finish(this.callId, undefined);
    this.emit('cancelled', 'cancelled');
  }
}
