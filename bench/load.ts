/**
 * The load driver: a closed loop that keeps a fixed number of calls (or
 * stream messages) in flight for a fixed time, and measures what came back.
 */
import { CALL_DEADLINE_MS } from './bench-config';
import { LatencyHistogram } from './latency-histogram';
import type { BenchCaller, UnaryCall } from './system';

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
  const latency = new LatencyHistogram();
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
  const openStream = caller.openStream;
  if (!openStream) {
    return Promise.reject(new Error('stream round: the system has no streams'));
  }
  return new Promise((resolve, reject) => {
    const latency = new LatencyHistogram();
    const sentAt = new Float64Array(inFlight);
    let oldest = 0;
    let waiting = 0;
    let settled = false;
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    const endAt = startedAt + durationMs;
    const stall = setTimeout(onStall, CALL_DEADLINE_MS);

    const sender = openStream.call(
      caller,
      payload,
      { onReply, onError: fail },
      durationMs + CALL_DEADLINE_MS,
    );
    for (let i = 0; i < inFlight; i++) send();

    function send() {
      sentAt[(oldest + waiting) % inFlight] = performance.now();
      waiting += 1;
      sender.send();
    }
    function onReply(echoed: number) {
      if (settled) return;
      const now = performance.now();
      latency.record(now - sentAt[oldest]);
      oldest = (oldest + 1) % inFlight;
      waiting -= 1;
      if (echoed !== payload.length) {
        return fail(echoSizeError(echoed, payload.length));
      }
      stall.refresh();
      if (now < endAt) return send();
      if (waiting === 0) done();
    }
    function done() {
      settled = true;
      clearTimeout(stall);
      const measure = finish(latency, startedAt, cpuBefore);
      sender.end().then(() => resolve(measure), reject);
    }
    function onStall() {
      fail(
        new Error(
          `stream round: no reply for ${CALL_DEADLINE_MS} ms ` +
            `with ${waiting} messages waiting`,
        ),
      );
    }
    function fail(error: Error) {
      if (settled) return;
      settled = true;
      clearTimeout(stall);
      reject(error);
    }
  });
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
