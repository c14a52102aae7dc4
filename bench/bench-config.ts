/**
 * Everything the benchmark reads from the environment, read here and only
 * here, with the defaults that keep `make bench` within a few minutes on a
 * 2-core machine.
 */

/** How `make bench` runs; see {@link readBenchConfig}. */
export interface BenchConfig {
  /** Measured time of one round, in ms (`BENCH_SECONDS`, default 2). */
  roundMs: number;
  /** Rounds per case and system; the median is reported (`BENCH_ROUNDS`, default 3). */
  rounds: number;
  /**
   * Unmeasured load before the first round of each case, in ms
   * (`BENCH_WARMUP_SECONDS`, default 1).
   */
  warmupMs: number;
  /**
   * Names of the systems to run (`BENCH_SYSTEMS`, comma separated);
   * empty runs every system.
   */
  systems: string[];
  /**
   * Ids of the cases to run (`BENCH_CASES`, comma separated, such as
   * `unary-64-32`); empty runs every case.
   */
  cases: string[];
  /** Where the JSON results go (`BENCH_OUTPUT`, default bench/results/latest.json). */
  outputPath: string;
}

/** Longest any single call or stream message may take before a round fails, in ms. */
export const CALL_DEADLINE_MS = 10_000;

/** Longest a spawned process may take to say it is ready, in ms. */
export const STARTUP_TIMEOUT_MS = 15_000;

/** Longest a spawned process may take to exit after SIGTERM, in ms. */
export const STOP_TIMEOUT_MS = 5_000;

const LIMITS = {
  seconds: { min: 0.1, max: 60 },
  rounds: { min: 1, max: 20 },
  warmupSeconds: { min: 0, max: 30 },
};

/**
 * Reads the benchmark's settings from `env`. Throws on a value that is not
 * a number within its bounds, naming the variable, the value and the bounds.
 */
export function readBenchConfig(
  env: NodeJS.ProcessEnv = process.env,
): BenchConfig {
  const seconds = readNumber(env, 'BENCH_SECONDS', 2, LIMITS.seconds);
  const rounds = readNumber(env, 'BENCH_ROUNDS', 3, LIMITS.rounds);
  const warmup = readNumber(
    env,
    'BENCH_WARMUP_SECONDS',
    1,
    LIMITS.warmupSeconds,
  );
  if (!Number.isInteger(rounds)) {
    throw new Error(`bench config: BENCH_ROUNDS "${rounds}" is not an integer`);
  }
  return {
    roundMs: Math.round(seconds * 1000),
    rounds,
    warmupMs: Math.round(warmup * 1000),
    systems: readList(env.BENCH_SYSTEMS),
    cases: readList(env.BENCH_CASES),
    outputPath: env.BENCH_OUTPUT ?? 'bench/results/latest.json',
  };
}

function readList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

function readNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  limits: { min: number; max: number },
): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < limits.min || value > limits.max) {
    throw new Error(
      `bench config: ${name} "${text}" is not a number ` +
        `from ${limits.min} to ${limits.max}`,
    );
  }
  return value;
}
