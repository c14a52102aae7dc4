import { EventEmitter } from 'node:events';
import http2 from 'node:http2';
import type {
  ClientHttp2Session,
  ClientHttp2Stream,
  IncomingHttpHeaders,
} from 'node:http2';
import { Metadata, status } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';
import type {
  CallStreamRequest,
  CallStreamResponse,
} from '../../gen/switchboard/v1/call_stream';
import {
  decodeCallStreamResponse,
  encodeCallStreamRequest,
} from './call-stream-codec';
import { GrpcMessageReader, frameGrpcMessage } from './grpc-message-reader';
import type { Logger } from './logger';

const OPEN_PATH = '/switchboard.v1.CallStream/Open';

/** How a caller dials the call streams of one instance. */
export interface CallStreamDialOptions {
  /** HTTP/2 receive window of the connection and of each stream, in bytes. */
  windowBytes: number;
  /** The largest message a stream receives, in bytes. */
  maxMessageBytes: number;
  /** Time between keepalive pings, in ms. */
  keepaliveTimeMs: number;
  /** How long a ping may go unanswered before the connection is dropped. */
  keepaliveTimeoutMs: number;
  /** Where connection lifecycle events go (debug, and a warning on a drop). */
  log: Logger;
}

/**
 * The caller's side of `switchboard.v1.CallStream.Open`, spoken over
 * `node:http2` directly: one HTTP/2 connection to an instance, with the
 * call streams a pool opens on it. Instances serve the method with
 * grpc-js like any other, so any gRPC client may open it too; the runtime
 * skips grpc-js's client stack (its retry, load balancing and filter
 * layers) on this hot path, which measured 5–10% of the p50 of a call at
 * one call in flight (issue 4's notes).
 *
 * The connection is opened on first use and again after it closes or the
 * instance sends GOAWAY; pings every `keepaliveTimeMs` drop it when the
 * instance stops answering, which ends its streams with UNAVAILABLE.
 */
export class CallStreamDialer {
  private session: ClientHttp2Session | undefined;
  private keepalive: NodeJS.Timeout | undefined;

  constructor(
    private readonly address: string,
    private readonly options: CallStreamDialOptions,
  ) {}

  /** Opens a call stream, on the current connection or a new one. */
  open(): CallStreamChannel {
    return new CallStreamChannel(this.connection(), this.options);
  }

  /** Closes the connection; its streams end. */
  close(): void {
    this.stopKeepalive();
    this.session?.destroy();
    this.session = undefined;
  }

  private connection(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) {
      return this.session;
    }
    const { windowBytes } = this.options;
    const session = http2.connect(`http://${this.address}`, {
      settings: { initialWindowSize: windowBytes },
    });
    session.once('remoteSettings', () =>
      session.setLocalWindowSize(windowBytes),
    );
    const { log } = this.options;
    const address = this.address;
    session.once('connect', () =>
      log.debug({ address }, 'call-stream connection opened'),
    );
    // Errors end the session's streams, which report them as their status.
    session.on('error', (error: Error) =>
      log.debug({ address, err: error }, 'call-stream connection failed'),
    );
    const forget = () => {
      if (this.session !== session) return;
      this.session = undefined;
      this.stopKeepalive();
      log.debug({ address }, 'call-stream connection closed');
    };
    session.on('close', forget);
    // Streams open keep going; new ones go to a new connection.
    session.on('goaway', forget);
    // Like grpc-js's connections: open streams do not keep a process alive.
    session.unref();
    this.session = session;
    this.startKeepalive(session);
    return session;
  }

  private startKeepalive(session: ClientHttp2Session): void {
    const { keepaliveTimeMs, keepaliveTimeoutMs, log } = this.options;
    const drop = () => {
      log.warn(
        { address: this.address, keepaliveTimeoutMs },
        'call-stream connection dropped: keepalive ping unanswered',
      );
      session.destroy();
    };
    this.keepalive = setInterval(() => {
      const timeout = setTimeout(drop, keepaliveTimeoutMs);
      timeout.unref();
      try {
        const sent = session.ping((error) => {
          clearTimeout(timeout);
          if (error) session.destroy();
        });
        // False: a ping is still unanswered, and its own timeout runs.
        if (!sent) clearTimeout(timeout);
      } catch {
        // The session is closing; its 'close' stops these pings.
        clearTimeout(timeout);
      }
    }, keepaliveTimeMs);
    this.keepalive.unref();
  }

  private stopKeepalive(): void {
    clearInterval(this.keepalive);
    this.keepalive = undefined;
  }
}

/**
 * One CallStream.Open stream, with the events a pool listens to:
 * `metadata` once the instance answered, `data` for each batch of reply
 * frames, and `status` once, when the stream is over.
 */
export class CallStreamChannel extends EventEmitter {
  private readonly stream: ClientHttp2Stream;
  private readonly reader: GrpcMessageReader;
  private outcome: StatusObject | undefined;

  constructor(session: ClientHttp2Session, options: CallStreamDialOptions) {
    super();
    this.reader = new GrpcMessageReader(
      options.maxMessageBytes,
      (message) => this.receive(message),
      (details) => this.fail(status.RESOURCE_EXHAUSTED, details),
    );
    this.stream = session.request({
      ':method': 'POST',
      ':path': OPEN_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    this.stream.on('response', (headers) => this.answered(headers));
    this.stream.on('data', (chunk: Buffer) => this.reader.push(chunk));
    this.stream.on('trailers', (trailers) => {
      this.outcome ??= statusOf(trailers);
    });
    // The stream's end, with or without trailers, reports the status.
    this.stream.on('error', () => undefined);
    this.stream.on('close', () => this.emit('status', this.finalStatus()));
  }

  /** Sends a batch of request frames. */
  write(request: CallStreamRequest): void {
    if (this.stream.closed || this.stream.destroyed) return;
    this.stream.write(frameGrpcMessage(encodeCallStreamRequest(request)));
  }

  /** Half-closes the stream: the instance answers what it has and ends. */
  end(): void {
    if (!this.stream.closed && !this.stream.writableEnded) this.stream.end();
  }

  /** Ends the stream at once, as a cancelled gRPC call. */
  cancel(): void {
    this.fail(status.CANCELLED, 'call stream: cancelled by the caller');
  }

  private answered(headers: IncomingHttpHeaders): void {
    const httpStatus = Number(headers[':status']);
    if (headers['grpc-status'] !== undefined) {
      // Trailers only: the instance refused the stream (UNIMPLEMENTED when
      // it does not serve CallStream).
      this.outcome = statusOf(headers);
    } else if (httpStatus !== 200) {
      this.fail(
        status.UNKNOWN,
        `call stream: the instance answered HTTP status ${httpStatus}`,
      );
    } else {
      this.emit('metadata', new Metadata());
    }
  }

  private receive(message: Buffer): void {
    let response: CallStreamResponse;
    try {
      response = decodeCallStreamResponse(message);
    } catch {
      return this.fail(
        status.INTERNAL,
        'call stream: a reply batch from the instance does not decode',
      );
    }
    this.emit('data', response);
  }

  private fail(code: status, details: string): void {
    this.outcome ??= { code, details, metadata: new Metadata() };
    if (!this.stream.destroyed) {
      this.stream.close(http2.constants.NGHTTP2_CANCEL);
    }
  }

  private finalStatus(): StatusObject {
    if (this.outcome) return this.outcome;
    const code = this.stream.rstCode;
    return {
      code: status.UNAVAILABLE,
      details:
        code !== undefined && code !== http2.constants.NGHTTP2_NO_ERROR
          ? `Connection dropped (HTTP/2 code ${code})`
          : 'Connection dropped',
      metadata: new Metadata(),
    };
  }
}

function statusOf(headers: IncomingHttpHeaders): StatusObject {
  const code = Number(headers['grpc-status']);
  return {
    code: Number.isInteger(code) ? code : status.UNKNOWN,
    details: decodeMessage(headers['grpc-message']),
    metadata: new Metadata(),
  };
}

/** A grpc-message header is percent-encoded; a malformed one is kept as is. */
function decodeMessage(value: string | string[] | undefined): string {
  if (typeof value !== 'string') return '';
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
