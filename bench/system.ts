/**
 * What the harness needs of a system under test. Adding a system is one
 * adapter: how to start its server side in other processes, and how to
 * make calls to it from this one.
 */

/** A system under test: one row of every table. */
export interface BenchSystem {
  /** The row's name in tables and results: `raw grpc-js`. */
  readonly name: string;
  /** Settings worth recording next to the figures (channel options…). */
  readonly settings: Record<string, unknown>;
  /**
   * Starts the system's server side in processes of its own on 127.0.0.1
   * and resolves once it takes calls.
   */
  startServer(): Promise<BenchServer>;
}

/** The running server side of a system. */
export interface BenchServer {
  /** Connects a caller in this process; resolves once it can call. */
  createCaller(): Promise<BenchCaller>;
  /**
   * CPU time used so far by the server side's processes (user + system),
   * in µs. Only differences between two readings mean anything.
   */
  cpuUsageUs(): Promise<number>;
  /** Stops every process {@link BenchSystem.startServer} started. */
  stop(): Promise<void>;
}

/**
 * Sends one request prepared once for a case and resolves to the size in
 * bytes of the echoed payload. Rejects when the call fails.
 */
export type UnaryCall = () => Promise<number>;

/** Callbacks of an open echo stream. */
export interface EchoStreamListener {
  /** One reply arrived, carrying `payloadBytes` bytes. */
  onReply(payloadBytes: number): void;
  /** The stream failed; no more replies will arrive. */
  onError(error: Error): void;
}

/** The sending half of an open echo stream. */
export interface EchoStreamSender {
  /** Sends the case's prepared request once more. */
  send(): void;
  /** Half-closes the stream and resolves once the server has ended it. */
  end(): Promise<void>;
}

/** Makes calls to a running {@link BenchServer}. */
export interface BenchCaller {
  /** Prepares `payload` once and returns a function making one call with it. */
  unary(payload: Buffer): UnaryCall;
  /**
   * Opens one bidirectional echo stream of `payload` requests. Absent when
   * the system has no comparable stream, in which case its bidi rows are
   * left out.
   */
  openStream?(
    payload: Buffer,
    listener: EchoStreamListener,
    deadlineMs: number,
  ): EchoStreamSender;
  /** Closes connections; calls after it fail. */
  close(): Promise<void>;
}
