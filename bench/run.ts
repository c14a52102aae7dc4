/**
 * `make bench`: measures every system on every case and prints one table
 * per case, then writes the figures to bench/results/latest.json.
 *
 *   BENCH_SECONDS=0.5 BENCH_ROUNDS=1 make bench        a quick try
 *   BENCH_SYSTEMS='raw grpc-js,runtime' make bench     some systems only
 *   BENCH_CASES='unary-64-32,unary-1-32' make bench     some cases only
 */
import { BENCH_CASES } from './bench-cases';
import type { BenchCase } from './bench-cases';
import { readBenchConfig } from './bench-config';
import type { BenchConfig } from './bench-config';
import { describeMachine, formatMachine } from './machine';
import { measureCase } from './measure-case';
import type { CaseTarget } from './measure-case';
import { addRatios, formatTables, writeJson } from './report';
import type { CaseResult } from './report';
import type { BenchSystem } from './system';
import { rawGrpcSystem } from './system-grpc';
import { moleculerSystem } from './system-moleculer';
import { createRuntimeSystem } from './system-runtime';

/** Every system, in the order of the rows. */
const SYSTEMS: readonly BenchSystem[] = [
  rawGrpcSystem,
  createRuntimeSystem('call-streams'),
  createRuntimeSystem('standard'),
  moleculerSystem,
];

/**
 * Starts every system's server side and a caller for each, in order;
 * stops what was started if one fails to start.
 */
async function startTargets(
  systems: readonly BenchSystem[],
): Promise<CaseTarget[]> {
  const targets: CaseTarget[] = [];
  try {
    for (const system of systems) {
      progress(`${system.name}: starting`);
      const server = await system.startServer();
      const caller = await server.createCaller().catch(async (error) => {
        await server.stop();
        throw error;
      });
      targets.push({ system: system.name, server, caller });
    }
  } catch (error: unknown) {
    await stopTargets(targets);
    throw error;
  }
  return targets;
}

/** Stops every target; a failure to stop one is reported, not thrown. */
async function stopTargets(targets: CaseTarget[]): Promise<void> {
  const report = (error: unknown) =>
    progress(`stop failed: ${error instanceof Error ? error.message : error}`);
  for (const target of targets) {
    await target.caller.close().catch(report);
    await target.server.stop().catch(report);
  }
}

function progress(line: string): void {
  process.stderr.write(`  ${line}\n`);
}

function selectSystems(config: BenchConfig): readonly BenchSystem[] {
  return selectNamed(SYSTEMS, config.systems, (s) => s.name, 'BENCH_SYSTEMS');
}

function selectCases(config: BenchConfig): readonly BenchCase[] {
  return selectNamed(BENCH_CASES, config.cases, (c) => c.id, 'BENCH_CASES');
}

/** The items named in `wanted`, or all when it is empty; throws on a name unknown. */
function selectNamed<T>(
  all: readonly T[],
  wanted: string[],
  nameOf: (item: T) => string,
  variable: string,
): readonly T[] {
  if (wanted.length === 0) return all;
  const unknown = wanted.filter((name) => !all.some((i) => nameOf(i) === name));
  if (unknown.length > 0) {
    const known = all.map((item) => `"${nameOf(item)}"`).join(', ');
    throw new Error(
      `bench config: ${variable} names unknown "${unknown.join('", "')}"; known: ${known}`,
    );
  }
  return all.filter((item) => wanted.includes(nameOf(item)));
}

/** Runs the benchmark; resolves to the process exit code. */
export async function main(): Promise<number> {
  const config = readBenchConfig();
  const systems = selectSystems(config);
  const cases = selectCases(config);
  const machine = describeMachine();
  const startedAt = new Date().toISOString();
  process.stdout.write(
    `machine: ${formatMachine(machine)}\n` +
      `rounds: ${config.rounds} × ${config.roundMs} ms after ` +
      `${config.warmupMs} ms of warm-up per case\n\n`,
  );

  const results: CaseResult[] = [];
  const targets = await startTargets(systems);
  try {
    for (const benchCase of cases) {
      results.push(
        ...(await measureCase(targets, benchCase, config, progress)),
      );
    }
  } finally {
    await stopTargets(targets);
  }
  addRatios(results);

  process.stdout.write(`\n${formatTables(cases, results)}\n`);
  writeJson(config.outputPath, {
    startedAt,
    machine,
    config,
    systems: systems.map(({ name, settings }) => ({ name, settings })),
    results,
  });
  process.stdout.write(`\nresults written to ${config.outputPath}\n`);
  return 0;
}

if (require.main === module) {
  main()
    .then((code) => process.exit(code))
    .catch((error: unknown) => {
      process.stderr.write(
        `bench: ${error instanceof Error ? error.stack : error}\n`,
      );
      process.exit(1);
    });
}
