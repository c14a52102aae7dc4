/** What the demo plays, from its flags and environment. */
export interface DemoOptions {
  /** Simulated players. `--players`, default 24. */
  players: number;
  /** Sessions the players are spread over. `--sessions`, default 6. */
  sessions: number;
  /** Session instances started. `--session-instances`, default 2. */
  sessionInstances: number;
  /** How long the players play, in ms. `--seconds`, default 5. */
  playMs: number;
  /** Pause between two inputs of one player, in ms. Default 50. */
  inputIntervalMs: number;
  /** Play until SIGINT or SIGTERM, with a summary line every few seconds. */
  forever: boolean;
  /** Pause between two summary lines of `--forever`, in ms. Default 5,000. */
  summaryIntervalMs: number;
  /** pino level of the demo and its children: `LOG_LEVEL`, default warn. */
  logLevel: string;
  help: boolean;
}

/** The text of `demo.js --help`. */
export const DEMO_HELP = `usage: node dist/services/demo/demo.js [options]

Runs the game on this machine: a registry, Session and User instances as
child processes, and a swarm of simulated players, then stops them all.

  --players <n>            simulated players (default 24)
  --sessions <n>           sessions they play (default 6)
  --session-instances <n>  Session instances (default 2)
  --seconds <n>            seconds of play (default 5)
  --forever                play until Ctrl-C, with a summary every 5 s
  --help                   print this text

LOG_LEVEL (default warn) sets the log level of the demo and its children.
`;

const COUNTS = {
  '--players': { key: 'players', max: 1_000 },
  '--sessions': { key: 'sessions', max: 1_000 },
  '--session-instances': { key: 'sessionInstances', max: 16 },
  '--seconds': { key: 'seconds', max: 3_600 },
} as const;

/**
 * Reads the demo's options; the only module of the demo that reads flags
 * or the environment. Throws an Error naming the flag and its rule for a
 * bad value or an unknown flag.
 */
export function readDemoOptions(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): DemoOptions {
  const counts = { players: 24, sessions: 6, sessionInstances: 2, seconds: 5 };
  let forever = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--forever') forever = true;
    else if (flag === '--help' || flag === '-h') help = true;
    else if (flag in COUNTS) {
      const { key, max } = COUNTS[flag as keyof typeof COUNTS];
      counts[key] = count(flag, argv[++i], max);
    } else {
      throw new Error(`demo: unknown argument "${flag}"; see --help`);
    }
  }
  const { seconds, ...rest } = counts;
  return {
    ...rest,
    playMs: seconds * 1_000,
    inputIntervalMs: 50,
    forever,
    summaryIntervalMs: 5_000,
    logLevel: env.LOG_LEVEL || 'warn',
    help,
  };
}

function count(flag: string, value: string | undefined, max: number): number {
  const n = Number(value);
  if (value === undefined || !/^[0-9]+$/.test(value) || n < 1 || n > max) {
    throw new Error(
      `demo: ${flag} is "${value ?? ''}"; give a whole number from 1 to ${max}`,
    );
  }
  return n;
}
