/**
 * The benchmark's server process: serves `bench.v1.Echo` (or, for
 * Moleculer, an `echo.echo` action) on 127.0.0.1 on a free port, prints
 * `{"address":"127.0.0.1:<port>"}` on one line of standard output once it
 * takes calls, answers `{ type: 'cpu-usage' }` IPC messages with its CPU
 * time, and exits on SIGTERM, SIGINT or when its parent goes away.
 *
 *   node dist/bench/echo-server.js --mode grpc
 *   node dist/bench/echo-server.js --mode moleculer
 *   node dist/bench/echo-server.js --mode runtime --registry 127.0.0.1:7400
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { EchoService } from '../gen/bench/v1/echo';
import { createMesh } from '../services/mesh';
import { echoImplementation } from './echo-service';
import { LOOPBACK, createLoopbackBroker } from './moleculer-loopback';

/** The node ID of the Moleculer server broker, for callers' static URLs. */
export const MOLECULER_SERVER_NODE_ID = 'bench-echo-server';

/** What the process prints once ready. */
export interface EchoServerReady {
  address: string;
}

/** How to serve; one per system under test. */
export type EchoServerMode = 'grpc' | 'moleculer' | 'runtime';

const STOP_GRACE_MS = 3_000;

interface RunningServer {
  address: string;
  stop(): Promise<void>;
}

async function serveGrpc(): Promise<RunningServer> {
  const server = new Server();
  server.addService(EchoService, echoImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${LOOPBACK}:0`,
      ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );
  return {
    address: `${LOOPBACK}:${port}`,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

async function serveMoleculer(): Promise<RunningServer> {
  const { broker, port } = createLoopbackBroker(MOLECULER_SERVER_NODE_ID);
  broker.createService({
    name: 'echo',
    actions: {
      echo: (ctx) => ({ payload: (ctx.params as { payload: string }).payload }),
    },
  });
  await broker.start();
  return { address: `${LOOPBACK}:${port()}`, stop: () => broker.stop() };
}

async function serveRuntime(registryAddress: string): Promise<RunningServer> {
  const mesh = createMesh({ registryAddress });
  const instance = await mesh.serve({
    services: [
      {
        definition: EchoService,
        implementation: echoImplementation,
      },
    ],
    host: LOOPBACK,
    port: 0,
  });
  return { address: instance.address, stop: () => mesh.close() };
}

function serve(argv: string[]): Promise<RunningServer> {
  const mode = readFlag(argv, '--mode') ?? 'grpc';
  if (mode === 'grpc') return serveGrpc();
  if (mode === 'moleculer') return serveMoleculer();
  if (mode === 'runtime') {
    const registry = readFlag(argv, '--registry');
    if (!registry)
      throw new Error('echo server: --mode runtime needs --registry host:port');
    return serveRuntime(registry);
  }
  throw new Error(
    `echo server: unknown --mode "${mode}"; use grpc, moleculer or runtime`,
  );
}

function readFlag(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index === -1 ? undefined : argv[index + 1];
}

function answerCpuUsage(message: unknown): void {
  if ((message as { type?: string }).type !== 'cpu-usage') return;
  const usage = process.cpuUsage();
  process.send?.({ type: 'cpu-usage', us: usage.user + usage.system });
}

/** Runs the server until a signal or the parent's departure stops it. */
export async function main(argv: string[]): Promise<void> {
  const server = await serve(argv);
  process.on('message', answerCpuUsage);
  const ready: EchoServerReady = { address: server.address };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    process.once('disconnect', resolve);
  });
  await stopped;
  // A server that cannot stop in time is still ended: the benchmark must
  // never wait on it.
  const giveUp = new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS));
  await Promise.race([server.stop(), giveUp]);
  process.exit(0);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  });
}
