/**
 * Starts dist/bench/echo-server.js in a process of its own and reads the
 * address it prints.
 */
import path from 'node:path';
import { startChild } from './child-process';
import type { ChildHandle } from './child-process';
import type { EchoServerMode, EchoServerReady } from './echo-server';

/** A running echo server process. */
export interface EchoServerProcess {
  /** `127.0.0.1:<port>` it serves on. */
  readonly address: string;
  readonly process: ChildHandle;
}

const SCRIPT = path.join(__dirname, 'echo-server.js');

/** Starts the echo server in `mode`; `args` are passed on (`--registry`). */
export async function startEchoServer(
  mode: EchoServerMode,
  args: string[] = [],
): Promise<EchoServerProcess> {
  const child = await startChild({
    name: `echo server (${mode})`,
    script: SCRIPT,
    args: ['--mode', mode, ...args],
    isReady: (line) => line.startsWith('{"address"'),
    answersCpuUsage: true,
  });
  const ready = JSON.parse(child.readyLine) as EchoServerReady;
  return { address: ready.address, process: child };
}
