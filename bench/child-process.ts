/**
 * The processes a benchmark starts: spawned with their output piped, ready
 * once they print a line the caller recognises, always stopped, even when
 * the benchmark itself fails.
 */
import { fork, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { STARTUP_TIMEOUT_MS, STOP_TIMEOUT_MS } from './bench-config';

/** A process started by {@link startChild}. */
export interface ChildHandle {
  /** The name given to {@link startChild}, for messages. */
  readonly name: string;
  readonly pid: number;
  /** The line by which the process said it was ready. */
  readonly readyLine: string;
  /**
   * CPU time used so far by the process (user + system), in µs: asked of
   * the process over IPC when it answers `cpu-usage` messages (the echo
   * server does), otherwise read from /proc at clock-tick resolution.
   */
  cpuUsageUs(): Promise<number>;
  /** Sends SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves on exit. */
  stop(): Promise<void>;
}

/** Options of {@link startChild}. */
export interface StartChildOptions {
  /** Short name for messages: `echo server`. */
  name: string;
  /** The Node.js script to run and its arguments. */
  script: string;
  args: string[];
  /** Recognises the line of standard output that means "ready". */
  isReady(line: string): boolean;
  /** Whether the process answers `cpu-usage` messages over IPC. */
  answersCpuUsage: boolean;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts `node script ...args` with an IPC channel, its standard error
 * passed through, and resolves once it prints a ready line. Rejects, having
 * killed it, when it exits or stays silent for STARTUP_TIMEOUT_MS.
 */
export async function startChild(
  options: StartChildOptions,
): Promise<ChildHandle> {
  const child = fork(options.script, options.args, {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  try {
    const readyLine = await waitForReadyLine(child, options);
    return {
      name: options.name,
      pid: child.pid ?? -1,
      readyLine,
      cpuUsageUs: () =>
        options.answersCpuUsage
          ? askCpuUsage(child, options.name)
          : Promise.resolve(readProcCpuUs(child.pid ?? -1)),
      stop: () => stopChild(child),
    };
  } catch (error: unknown) {
    await stopChild(child);
    throw error;
  }
}

function waitForReadyLine(
  child: ChildProcess,
  options: StartChildOptions,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => fail(`did not say it was ready within ${STARTUP_TIMEOUT_MS} ms`),
      STARTUP_TIMEOUT_MS,
    );
    const onExit = (code: number | null) =>
      fail(`exited with code ${code} before it was ready`);
    function fail(reason: string) {
      clearTimeout(timer);
      child.off('exit', onExit);
      reject(new Error(`${options.name}: ${reason}`));
    }
    child.once('exit', onExit);
    lines.on('line', (line) => {
      if (!options.isReady(line)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve(line);
    });
  });
}

function askCpuUsage(child: ChildProcess, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`${name}: no cpu-usage answer within 5000 ms`));
    }, 5_000);
    function onMessage(message: unknown) {
      const answer = message as { type?: string; us?: number };
      if (answer.type !== 'cpu-usage' || typeof answer.us !== 'number') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(answer.us);
    }
    child.on('message', onMessage);
    child.send({ type: 'cpu-usage' });
  });
}

let clockTicksPerSecond: number | undefined;

/**
 * utime + stime of a Linux process, in µs. Fields 14 and 15 of
 * /proc/<pid>/stat count clock ticks; the command name before them may
 * hold spaces, so counting starts after its closing parenthesis.
 */
function readProcCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  clockTicksPerSecond ??=
    Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString()) || 100;
  return (ticks / clockTicksPerSecond) * 1e6;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
