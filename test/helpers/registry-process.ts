import path from 'node:path';
import { ChildStartError, startChild } from '../../services/demo/child-process';
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
const LISTENING = /^switchboard registry listening on (\S+:\d+)$/;

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
  const lines: string[] = [];
  const output = () => lines.join('\n');
  const child = await startChild({
    name: 'registry process',
    args: [CLI, 'registry', '--port', '0', ...args],
    env: options.env,
    readyLine: LISTENING,
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    print: (line) => lines.push(line),
  }).catch((error: unknown) => {
    throw startFailure(error, output());
  });
  const { address } = child;
  return {
    address,
    port: Number(address.slice(address.lastIndexOf(':') + 1)),
    pid: child.pid,
    output,
    logs: () => parseLogLines(lines),
    exited: child.exited,
    stop: async (timeoutMs = 10_000) => (await child.stop(timeoutMs)).code,
    kill: async () => {
      await child.kill();
    },
  };
}

/** Why a registry did not start, with everything it wrote. */
function startFailure(error: unknown, output: string): Error {
  if (!(error instanceof ChildStartError)) return error as Error;
  const why = error.exit
    ? `exited before listening (code ${error.exit.code}, signal ${error.exit.signal})`
    : 'no listening line in time';
  return new Error(
    `registry process: ${why}; its output:\n${output || '(none)'}`,
  );
}

function parseLogLines(lines: string[]): Array<Record<string, unknown>> {
  const logs: Array<Record<string, unknown>> = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // Not a log line after all: some other output that starts with {.
    }
  }
  return logs;
}
