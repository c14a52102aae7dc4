/**
 * The `runtime` rows: the same echo handlers served by `mesh.serve`, and a
 * client made by `mesh.client`, resolved through a registry running in a
 * third process. Calls go straight to the instance; the registry's CPU is
 * counted with the server side all the same, since the mesh needs it.
 */
import path from 'node:path';
import { EchoClient } from '../gen/bench/v1/echo';
import { createMesh } from '../services/mesh';
import type { MeshTransport } from '../services/mesh';
import { CALL_DEADLINE_MS } from './bench-config';
import { startChild } from './child-process';
import type { ChildHandle } from './child-process';
import { startEchoServer } from './echo-server-process';
import { createGrpcCaller } from './grpc-caller';
import { LOOPBACK } from './moleculer-loopback';
import type { BenchCaller, BenchSystem } from './system';

const SWITCHBOARD_BIN = path.join(
  __dirname,
  '..',
  '..',
  'bin',
  'switchboard.js',
);
const READY_PREFIX = 'switchboard registry listening on ';

/**
 * A `runtime` system whose unary calls travel the way `transport` says:
 * `runtime call-streams` or `runtime standard`.
 */
export function createRuntimeSystem(transport: MeshTransport): BenchSystem {
  return {
    name: `runtime ${transport}`,
    settings: {
      registry: 'own process, memory store',
      channelOptions: 'runtime defaults',
      transport,
    },
    async startServer() {
      const registry = await startRegistry();
      const registryAddress = registry.readyLine.slice(READY_PREFIX.length);
      const server = await startEchoServer('runtime', [
        '--registry',
        registryAddress,
      ]).catch(async (error: unknown) => {
        await registry.stop();
        throw error;
      });
      return {
        createCaller: () => createRuntimeCaller(registryAddress, transport),
        cpuUsageUs: async () =>
          (await server.process.cpuUsageUs()) + (await registry.cpuUsageUs()),
        stop: async () => {
          await server.process.stop();
          await registry.stop();
        },
      };
    },
  };
}

function startRegistry(): Promise<ChildHandle> {
  return startChild({
    name: 'registry',
    script: SWITCHBOARD_BIN,
    args: [
      'registry',
      '--host',
      LOOPBACK,
      '--port',
      '0',
      '--log-level',
      'warn',
    ],
    isReady: (line) => line.startsWith(READY_PREFIX),
    answersCpuUsage: false,
  });
}

async function createRuntimeCaller(
  registryAddress: string,
  transport: MeshTransport,
): Promise<BenchCaller> {
  const mesh = createMesh({ registryAddress, transport });
  const client = mesh.client(EchoClient);
  try {
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + CALL_DEADLINE_MS, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  } catch (error: unknown) {
    await mesh.close();
    throw error;
  }
  return createGrpcCaller(client, () => mesh.close());
}
