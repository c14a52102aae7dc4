/**
 * Measures systems on one case: each warms up, then the systems take turns
 * round by round, so that a change in the machine's background load during
 * the case falls on every system alike. Each round is bracketed by
 * readings of the server side's CPU.
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

/** A started system, ready to be measured. */
export interface CaseTarget {
  system: string;
  server: BenchServer;
  caller: BenchCaller;
}

/** Whether `caller` can run `benchCase` (a bidi case needs streams). */
export function supportsCase(
  caller: BenchCaller,
  benchCase: BenchCase,
): boolean {
  return benchCase.kind === 'unary' || caller.openStream !== undefined;
}

/**
 * Warms every target up for `config.warmupMs`, then runs `config.rounds`
 * rounds of `config.roundMs` on each target in turn, and reports every
 * round and their medians, one result per target. Targets that cannot run
 * the case are left out. Rejects on the first failed round. `progress`
 * receives a one-line summary after each round.
 */
export async function measureCase(
  targets: CaseTarget[],
  benchCase: BenchCase,
  config: BenchConfig,
  progress: (line: string) => void,
): Promise<CaseResult[]> {
  const runs = targets
    .filter((target) => supportsCase(target.caller, benchCase))
    .map((target) => ({
      target,
      runRound: roundRunner(target.caller, benchCase),
      rounds: [] as RoundFigures[],
    }));
  if (config.warmupMs > 0) {
    for (const run of runs) await run.runRound(config.warmupMs);
  }

  for (let round = 1; round <= config.rounds; round++) {
    for (const run of runs) {
      const figures = await measureRound(run.target, run.runRound, config);
      run.rounds.push(figures);
      progress(
        `${run.target.system} · ${benchCase.id} · ` +
          `round ${round}/${config.rounds}: ` +
          `${figures.callsPerSecond.toFixed(0)} calls/s, ` +
          `p99 ${figures.p99Ms.toFixed(2)} ms`,
      );
    }
  }
  return runs.map((run) => ({
    case: benchCase,
    system: run.target.system,
    rounds: run.rounds,
    median: medianFigures(run.rounds),
  }));
}

async function measureRound(
  target: CaseTarget,
  runRound: (durationMs: number) => Promise<RoundMeasure>,
  config: BenchConfig,
): Promise<RoundFigures> {
  const serverBefore = await target.server.cpuUsageUs();
  const measure = await runRound(config.roundMs);
  const serverCpuUs = (await target.server.cpuUsageUs()) - serverBefore;
  return summarizeRound(measure, serverCpuUs);
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
