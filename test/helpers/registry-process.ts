import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stopChild } from '../../services/demo/child-process';
import type { ChildExit } from '../../services/demo/child-process';

/** Options of {@link startRegistryProcess}. */
export interface RegistryProcessOptions {
  /** How long to wait for the listening line, in ms. Default 10,000. */
  startTimeoutMs?: number;
  /** Extra environment variables; the test's own environment is kept. */
  env?: NodeJS.ProcessEnv;
}

/** A registry running as a child process, as an operator would run it. */
export interface RegistryProcess {
  /** `127.0.0.1:port`, as printed by the registry. */
  readonly address: string;
  /** The bound port, for restarting a registry on the same port. */
  readonly port: number;
  readonly pid: number;
  /** Everything the process wrote so far, stdout and stderr interleaved. */
  output(): string;
  /**
   * Every JSON log line written so far, parsed; lines that are not JSON
   * (the listening line) are left out.
   */
  logs(): Array<Record<string, unknown>>;
  /**
   * Sends SIGTERM and resolves to the exit code once the process has exited.
   * After `timeoutMs` (default 10,000) it sends SIGKILL and rejects, so
   * that a registry that hangs on stop fails the test instead of leaking.
   * Resolves at once with the known outcome if the process already exited.
   */
  stop(timeoutMs?: number): Promise<number | null>;
  /** Sends SIGKILL and resolves once the process has exited. */
  kill(): Promise<void>;
  /** Settles when the process exits, with its code and signal. */
  readonly exited: Promise<ChildExit>;
}

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'switchboard.js');
const LISTENING = /^switchboard registry listening on (\S+:(\d+))$/m;
const running = new Set<ChildProcess>();

// A jest worker that dies between a start and its stop must not leave a
// registry behind holding a port.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `node bin/switchboard.js registry --port 0 ...args` (dist/ must be
 * built: `make build`) and resolves once the registry prints its address.
 * Later flags win, so `['--port', '7401']` picks the port, which is how a
 * test restarts a registry on the port of one it stopped. Rejects, with the
 * process's output, if the registry exits or stays silent for
 * `startTimeoutMs`; the process is killed then. The caller must `stop()` or
 * `kill()` every process it started.
 */
export async function startRegistryProcess(
  args: string[] = [],
  options: RegistryProcessOptions = {},
): Promise<RegistryProcess> {
  const child = spawn(
    process.execPath,
    [CLI, 'registry', '--port', '0', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (output += s));
  const address = await awaitListening(
    child,
    exited,
    () => output,
    options.startTimeoutMs ?? 10_000,
  );
  return {
    address,
    port: Number(address.slice(address.lastIndexOf(':') + 1)),
    pid: child.pid as number,
    output: () => output,
    logs: () => parseLogLines(output),
    exited,
    stop: async (timeoutMs = 10_000) =>
      (await stopChild(child, exited, 'registry process', timeoutMs)).code,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function awaitListening(
  child: ChildProcess,
  exited: Promise<ChildExit>,
  output: () => string,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      cleanUp();
      child.kill('SIGKILL');
      reject(
        new Error(
          `registry process: ${why}; its output:\n${output() || '(none)'}`,
        ),
      );
    };
    const onData = () => {
      const match = LISTENING.exec(output());
      if (!match) return;
      cleanUp();
      resolve(match[1]);
    };
    const timer = setTimeout(
      () => fail(`no listening line within ${timeoutMs} ms`),
      timeoutMs,
    );
    const cleanUp = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
    };
    child.stdout?.on('data', onData);
    void exited.then(({ code, signal }) => {
      if (!LISTENING.test(output())) {
        fail(`exited before listening (code ${code}, signal ${signal})`);
      }
    });
  });
}

function parseLogLines(output: string): Array<Record<string, unknown>> {
  const logs: Array<Record<string, unknown>> = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A line cut by a read still in progress; the next call sees it whole.
    }
  }
  return logs;
}
