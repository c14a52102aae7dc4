import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stopChild } from '../../services/demo/child-process';
import type { ChildExit } from '../../services/demo/child-process';
import { withTimeout } from './wait';

/** A probe instance running as its own process. */
export interface ProbeProcess {
  readonly instanceId: string;
  /** `host:port` the instance serves on. */
  readonly address: string;
  /** Everything the process wrote so far. */
  output(): string;
  /** SIGTERM (a drain), then the exit code; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'dist', 'test', 'fixtures', 'probe-instance.js');
const SERVING = /^probe instance (\S+) serving at (\S+)$/m;
const running = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts test/fixtures/probe-instance (built by `make build`) against the
 * registry at `registry` and resolves once it has announced. `args` are
 * passed on: `--relay`, `--id`, `--weight`, `--grace-ms`, `--keepalive-ms`.
 */
export async function startProbeProcess(
  registry: string,
  args: string[] = [],
): Promise<ProbeProcess> {
  const child = spawn(
    process.execPath,
    [ENTRY, '--registry', registry, ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  let output = '';
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const serving = new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = SERVING.exec(output);
      if (match) resolve(match);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => reject(new Error(`probe exited early:\n${output}`)));
  });
  let match: RegExpExecArray;
  try {
    match = await withTimeout(serving, 10_000, 'probe instance start');
  } catch (error: unknown) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    instanceId: match[1],
    address: match[2],
    output: () => output,
    stop: async (timeoutMs = 10_000) =>
      (await stopChild(child, exited, 'probe instance', timeoutMs)).code,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}
