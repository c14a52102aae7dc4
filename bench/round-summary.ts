/**
 * The figures of one round, and their medians over rounds: what tables and
 * the JSON results report.
 */
import type { RoundMeasure } from './load';

/** The figures of one round; CPU is per completed call. */
export interface RoundFigures {
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Client and server CPU together, in µs per call. */
  cpuUsPerCall: number;
  clientCpuUsPerCall: number;
  serverCpuUsPerCall: number;
  calls: number;
  elapsedMs: number;
}

/** Turns what a round measured, and the server's CPU in it, into figures. */
export function summarizeRound(
  measure: RoundMeasure,
  serverCpuUs: number,
): RoundFigures {
  const calls = Math.max(measure.calls, 1);
  const clientCpuUsPerCall = measure.clientCpuUs / calls;
  const serverCpuUsPerCall = serverCpuUs / calls;
  return {
    callsPerSecond: (measure.calls * 1000) / measure.elapsedMs,
    p50Ms: measure.latency.percentile(0.5),
    p99Ms: measure.latency.percentile(0.99),
    cpuUsPerCall: clientCpuUsPerCall + serverCpuUsPerCall,
    clientCpuUsPerCall,
    serverCpuUsPerCall,
    calls: measure.calls,
    elapsedMs: measure.elapsedMs,
  };
}

/**
 * The median of each figure over `rounds`, figure by figure: the median
 * calls/s and the median p99 may come from different rounds.
 */
export function medianFigures(rounds: RoundFigures[]): RoundFigures {
  const pick = (key: keyof RoundFigures) =>
    median(rounds.map((round) => round[key]));
  return {
    callsPerSecond: pick('callsPerSecond'),
    p50Ms: pick('p50Ms'),
    p99Ms: pick('p99Ms'),
    cpuUsPerCall: pick('cpuUsPerCall'),
    clientCpuUsPerCall: pick('clientCpuUsPerCall'),
    serverCpuUsPerCall: pick('serverCpuUsPerCall'),
    calls: pick('calls'),
    elapsedMs: pick('elapsedMs'),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}
