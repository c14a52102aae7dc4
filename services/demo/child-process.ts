import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Options of {@link startChild}. */
export interface ChildOptions {
  /** Short name, in error messages: `session-1`. */
  name: string;
  /** The script and its arguments, run by this process's node. */
  args: string[];
  /** Environment variables added to this process's own. */
  env?: NodeJS.ProcessEnv;
  /** The line the child prints once it serves; group 1 is its address. */
  readyLine: RegExp;
  /** How long to wait for the ready line, in ms. */
  startTimeoutMs: number;
  /** Every other line the child writes, as written, in order. */
  print?(line: string): void;
}

/** How a child process ended: its exit code, or the signal that ended it. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process started by {@link startChild}. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  /** The address from the ready line. */
  readonly address: string;
  /** The ready line itself. */
  readonly readyLine: string;
  /** Settles when the child exits. */
  readonly exited: Promise<ChildExit>;
  /**
   * Sends SIGTERM and resolves to how the child ended once it exited.
   * After `timeoutMs` it sends SIGKILL and rejects: a child that does not
   * drain in time is a failure of the demo, not something to wait out.
   */
  stop(timeoutMs: number): Promise<ChildExit>;
  /** Sends SIGKILL and resolves once the child has exited. */
  kill(): Promise<ChildExit>;
}

/** startChild failed; `exit` says how, when the child exited first. */
export class ChildStartError extends Error {
  override readonly name = 'ChildStartError';

  constructor(
    message: string,
    readonly exit: ChildExit | undefined,
  ) {
    super(message);
  }
}

const running = new Set<ChildProcess>();

// Children run in their own process group, so that a Ctrl-C in the
// terminal reaches the demo alone and the demo stops them in order. The
// price: they would outlive a demo that dies, so any exit of the demo kills
// those still running. Only SIGKILL of the demo escapes this.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `node ...args` and resolves once the child prints its ready line.
 * Rejects with the child's last lines if it exits first or stays silent
 * for `startTimeoutMs`; the child is killed then.
 */
export async function startChild(options: ChildOptions): Promise<Child> {
  const child = spawn(process.execPath, options.args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const ready = await awaitReady(child, exited, options);
  return {
    name: options.name,
    pid: child.pid ?? -1,
    address: ready[1],
    readyLine: ready[0],
    exited,
    stop: (timeoutMs) => stopChild(child, exited, options.name, timeoutMs),
    kill: () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

function awaitReady(
  child: ChildProcess,
  exited: Promise<ChildExit>,
  options: ChildOptions,
): Promise<RegExpExecArray> {
  const recent: string[] = [];
  let onReady: (match: RegExpExecArray) => void = () => undefined;
  const forward = (line: string) => {
    const match = options.readyLine.exec(line);
    if (match) return onReady(match);
    recent.push(line);
    if (recent.length > 20) recent.shift();
    options.print?.(line);
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', forward);
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string, exit?: ChildExit) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      const tail = recent.length
        ? `; its last lines:\n${recent.join('\n')}`
        : '';
      reject(new ChildStartError(`${options.name}: ${why}${tail}`, exit));
    };
    const timer = setTimeout(
      () => fail(`no ready line within ${options.startTimeoutMs} ms`),
      options.startTimeoutMs,
    );
    onReady = (match) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(match);
    };
    void exited.then((exit) =>
      fail(`${describeExit(exit)} before serving`, exit),
    );
  });
}

/**
 * Sends SIGTERM and resolves to how `child` exited; after `timeoutMs` it
 * sends SIGKILL and rejects with an error naming `name`, so that a child
 * that hangs on stop fails loudly instead of leaking. Resolves at once when
 * the child has already exited.
 */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<ChildExit>,
  name: string,
  timeoutMs: number,
): Promise<ChildExit> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), timeoutMs);
  });
  const outcome = await Promise.race([exited, hung]);
  clearTimeout(timer);
  if (outcome !== 'hung') return outcome;
  child.kill('SIGKILL');
  await exited;
  throw new Error(
    `${name}: still running ${timeoutMs} ms after SIGTERM; killed`,
  );
}

/** `exited with code 1`, or `was killed by SIGKILL`. */
export function describeExit(exit: ChildExit): string {
  return exit.signal
    ? `was killed by ${exit.signal}`
    : `exited with code ${exit.code}`;
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/**
 * A pino JSON line as `level message key=value…`, so that the demo's output
 * stays readable when a child logs; any other line as it is.
 */
export function readableLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, msg, time: _time, ...fields } = entry;
  const details = Object.entries(fields).map(
    ([key, value]) => `${key}=${JSON.stringify(value)}`,
  );
  const name = LEVELS[level as number] ?? String(level);
  return [name, String(msg ?? ''), ...details].join(' ');
}
