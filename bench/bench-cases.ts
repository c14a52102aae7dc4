/**
 * The cases every system is measured on: unary calls at three levels of
 * concurrency and one bidirectional stream, each with a small and a
 * page-sized payload.
 */

/** How the messages of a case travel. */
export type CaseKind = 'unary' | 'bidi';

/** One load shape. */
export interface BenchCase {
  /** Stable identifier, used in the JSON results: `unary-64-4096`. */
  readonly id: string;
  readonly kind: CaseKind;
  /**
   * Calls kept in flight (unary), or messages sent and not yet echoed on
   * the one stream (bidi).
   */
  readonly inFlight: number;
  /** Size of each request's payload, in bytes; the echo is the same size. */
  readonly payloadBytes: number;
}

/** A payload of about the size of a small command or an id. */
export const SMALL_PAYLOAD_BYTES = 32;

/** A payload of one memory page: a typical larger message. */
export const LARGE_PAYLOAD_BYTES = 4096;

const PAYLOADS = [SMALL_PAYLOAD_BYTES, LARGE_PAYLOAD_BYTES];
const UNARY_IN_FLIGHT = [1, 64, 256];
const BIDI_IN_FLIGHT = 256;

/** Every case, in the order they run and are printed. */
export const BENCH_CASES: readonly BenchCase[] = [
  ...UNARY_IN_FLIGHT.flatMap((inFlight) =>
    PAYLOADS.map((payloadBytes) => makeCase('unary', inFlight, payloadBytes)),
  ),
  ...PAYLOADS.map((payloadBytes) =>
    makeCase('bidi', BIDI_IN_FLIGHT, payloadBytes),
  ),
];

/** A human title for a case: `unary, 64 in flight, 4 KiB`. */
export function describeCase(benchCase: BenchCase): string {
  const what =
    benchCase.kind === 'unary' ? 'unary calls' : 'bidi stream, one stream';
  return `${what}, ${benchCase.inFlight} in flight, ${formatBytes(benchCase.payloadBytes)} payload`;
}

/** `32 B`, `4 KiB`. */
export function formatBytes(bytes: number): string {
  return bytes >= 1024 && bytes % 1024 === 0
    ? `${bytes / 1024} KiB`
    : `${bytes} B`;
}

/**
 * A payload of `bytes` printable ASCII bytes, so that it is the same size
 * whether a system sends it as bytes (gRPC) or as a JSON string (Moleculer).
 */
export function makePayload(bytes: number): Buffer {
  const payload = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) payload[i] = 0x61 + (i % 26);
  return payload;
}

function makeCase(
  kind: CaseKind,
  inFlight: number,
  payloadBytes: number,
): BenchCase {
  return {
    id: `${kind}-${inFlight}-${payloadBytes}`,
    kind,
    inFlight,
    payloadBytes,
  };
}
