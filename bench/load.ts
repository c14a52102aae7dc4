/**
 * The load driver: a closed loop that keeps a fixed number of calls (or
 * stream messages) in flight for a fixed time, and measures what came back.
 */
import { CALL_DEADLINE_MS } from './bench-config';
import { LatencyHistogram } from '../services/demo/latency-histogram';

/** Benchmarks read percentiles to within 1%. */
const LATENCY_PRECISION = 0.01;
import type { BenchCaller, EchoStreamSender, UnaryCall } from './system';

/** What one round measured on the calling side. */
export interface RoundMeasure {
  /** Calls (or stream messages) completed. */
  calls: number;
  /** From the first send to the last reply, in ms. */
  elapsedMs: number;
  /** Latency of each completed call. */
  latency: LatencyHistogram;
  /** CPU time of this process during the round (user + system), in µs. */
  clientCpuUs: number;
}

/**
 * Keeps `inFlight` unary calls going until `durationMs` has passed, then
 * waits for those still in flight. Each call is timed from its send to its
 * reply. Rejects on the first failed call or on an echo of the wrong size:
 * a round with errors measures nothing.
 */
export async function runUnaryRound(
  call: UnaryCall,
  payloadBytes: number,
  inFlight: number,
  durationMs: number,
): Promise<RoundMeasure> {
  const latency = new LatencyHistogram(LATENCY_PRECISION);
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const endAt = startedAt + durationMs;
  const worker = async () => {
    while (performance.now() < endAt) {
      const sentAt = performance.now();
      const echoed = await call();
      latency.record(performance.now() - sentAt);
      if (echoed !== payloadBytes) throw echoSizeError(echoed, payloadBytes);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return finish(latency, startedAt, cpuBefore);
}

/**
 * Opens one stream and keeps `inFlight` messages sent but not yet echoed
 * until `durationMs` has passed, then lets the last replies arrive and
 * half-closes. The server echoes in order, so each reply is timed against
 * the oldest message still waiting. Rejects when the stream fails, an echo
 * has the wrong size, or no reply comes for CALL_DEADLINE_MS.
 */
export function runStreamRound(
  caller: BenchCaller,
  payload: Buffer,
  inFlight: number,
  durationMs: number,
): Promise<RoundMeasure> {
  if (!caller.openStream) {
    return Promise.reject(new Error('stream round: the system has no streams'));
  }
  return new StreamRound(caller, payload, inFlight, durationMs).run();
}

/** One round on one stream; see {@link runStreamRound}. */
class StreamRound {
  private readonly latency = new LatencyHistogram(LATENCY_PRECISION);
  /** Send times of the waiting messages, oldest at `oldest`, as a ring. */
  private readonly sentAt: Float64Array;
  private oldest = 0;
  private waiting = 0;
  private settled = false;
  private readonly cpuBefore = process.cpuUsage();
  private readonly startedAt = performance.now();
  private readonly endAt: number;
  private sender?: EchoStreamSender;
  private stall?: NodeJS.Timeout;
  private resolve: (measure: RoundMeasure) => void = () => undefined;
  private reject: (error: Error) => void = () => undefined;

  constructor(
    private readonly caller: BenchCaller,
    private readonly payload: Buffer,
    private readonly inFlight: number,
    private readonly durationMs: number,
  ) {
    this.sentAt = new Float64Array(inFlight);
    this.endAt = this.startedAt + durationMs;
  }

  run(): Promise<RoundMeasure> {
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.stall = setTimeout(() => this.onStall(), CALL_DEADLINE_MS);
      this.sender = this.caller.openStream!(
        this.payload,
        {
          onReply: (echoed) => this.onReply(echoed),
          onError: (error) => this.fail(error),
        },
        this.durationMs + CALL_DEADLINE_MS,
      );
      for (let i = 0; i < this.inFlight; i++) this.send();
    });
  }

  private send(): void {
    this.sentAt[(this.oldest + this.waiting) % this.inFlight] =
      performance.now();
    this.waiting += 1;
    this.sender!.send();
  }

  private onReply(echoed: number): void {
    if (this.settled) return;
    const now = performance.now();
    this.latency.record(now - this.sentAt[this.oldest]);
    this.oldest = (this.oldest + 1) % this.inFlight;
    this.waiting -= 1;
    if (echoed !== this.payload.length) {
      return this.fail(echoSizeError(echoed, this.payload.length));
    }
    this.stall?.refresh();
    if (now < this.endAt) return this.send();
    if (this.waiting === 0) this.finish();
  }

  private finish(): void {
    this.settled = true;
    clearTimeout(this.stall);
    const measure = finish(this.latency, this.startedAt, this.cpuBefore);
    this.sender!.end().then(() => this.resolve(measure), this.reject);
  }

  private onStall(): void {
    this.fail(
      new Error(
        `stream round: no reply for ${CALL_DEADLINE_MS} ms ` +
          `with ${this.waiting} messages waiting`,
      ),
    );
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.stall);
    this.reject(error);
  }
}

function finish(
  latency: LatencyHistogram,
  startedAt: number,
  cpuBefore: NodeJS.CpuUsage,
): RoundMeasure {
  const elapsedMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    calls: latency.count,
    elapsedMs,
    latency,
    clientCpuUs: cpu.user + cpu.system,
  };
}

function echoSizeError(echoed: number, expected: number): Error {
  return new Error(
    `echo: reply payload of ${echoed} bytes, expected ${expected}`,
  );
}
