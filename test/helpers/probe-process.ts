import path from 'node:path';
import { startChild } from '../../services/demo/child-process';

/** A probe instance running as its own process. */
export interface ProbeProcess {
  readonly instanceId: string;
  /** `host:port` the instance serves on. */
  readonly address: string;
  /** The process id, for signals such as SIGSTOP. */
  readonly pid: number;
  /** Everything the process wrote so far. */
  output(): string;
  /** SIGTERM (a drain), then the exit code; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'dist', 'test', 'fixtures', 'probe-instance.js');
const SERVING = /^probe instance \S+ serving at (\S+)$/;

/**
 * Starts test/fixtures/probe-instance (built by `make build`) against the
 * registry at `registry` and resolves once it has announced. `args` are
 * passed on: `--relay`, `--id`, `--weight`, `--grace-ms`, `--keepalive-ms`.
 */
export async function startProbeProcess(
  registry: string,
  args: string[] = [],
): Promise<ProbeProcess> {
  const lines: string[] = [];
  const child = await startChild({
    name: 'probe instance',
    args: [ENTRY, '--registry', registry, ...args],
    readyLine: SERVING,
    startTimeoutMs: 10_000,
    print: (line) => lines.push(line),
  });
  return {
    instanceId: child.readyLine.split(' ')[2],
    address: child.address,
    pid: child.pid,
    output: () => lines.join('\n'),
    stop: async (timeoutMs = 10_000) => (await child.stop(timeoutMs)).code,
    kill: async () => {
      await child.kill();
    },
  };
}
