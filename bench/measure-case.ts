/**
 * Measures one system on one case: a warm-up, then rounds, each bracketed
 * by readings of the server side's CPU.
 */
import type { BenchCase } from './bench-cases';
import { makePayload } from './bench-cases';
import type { BenchConfig } from './bench-config';
import { runStreamRound, runUnaryRound } from './load';
import type { RoundMeasure } from './load';
import type { CaseResult } from './report';
import { medianFigures, summarizeRound } from './round-summary';
import type { RoundFigures } from './round-summary';
import type { BenchCaller, BenchServer } from './system';

/** Where {@link measureCase} runs, and where it reports progress. */
export interface CaseTarget {
  system: string;
  server: BenchServer;
  caller: BenchCaller;
  /** Called after each round with a one-line summary. */
  progress(line: string): void;
}

/** Whether `caller` can run `benchCase` (a bidi case needs streams). */
export function supportsCase(
  caller: BenchCaller,
  benchCase: BenchCase,
): boolean {
  return benchCase.kind === 'unary' || caller.openStream !== undefined;
}

/**
 * Warms up for `config.warmupMs`, then runs `config.rounds` rounds of
 * `config.roundMs` and reports every round and their medians. Rejects on
 * the first failed round.
 */
export async function measureCase(
  target: CaseTarget,
  benchCase: BenchCase,
  config: BenchConfig,
): Promise<CaseResult> {
  const runRound = roundRunner(target.caller, benchCase);
  if (config.warmupMs > 0) await runRound(config.warmupMs);

  const rounds: RoundFigures[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    const serverBefore = await target.server.cpuUsageUs();
    const measure = await runRound(config.roundMs);
    const serverCpuUs = (await target.server.cpuUsageUs()) - serverBefore;
    const figures = summarizeRound(measure, serverCpuUs);
    rounds.push(figures);
    target.progress(
      `${target.system} · ${benchCase.id} · round ${round}/${config.rounds}: ` +
        `${figures.callsPerSecond.toFixed(0)} calls/s, ` +
        `p99 ${figures.p99Ms.toFixed(2)} ms`,
    );
  }
  return {
    case: benchCase,
    system: target.system,
    rounds,
    median: medianFigures(rounds),
  };
}

function roundRunner(
  caller: BenchCaller,
  benchCase: BenchCase,
): (durationMs: number) => Promise<RoundMeasure> {
  const payload = makePayload(benchCase.payloadBytes);
  if (benchCase.kind === 'bidi') {
    return (durationMs) =>
      runStreamRound(caller, payload, benchCase.inFlight, durationMs);
  }
  const call = caller.unary(payload);
  return (durationMs) =>
    runUnaryRound(call, payload.length, benchCase.inFlight, durationMs);
}
