import path from 'node:path';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import type { Client, ClientDuplexStream } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ProbeClient } from '../../../gen/testing/v1/probe';
import { createMesh } from '../../../services/mesh';
import { probeUnary } from '../../helpers/probe-calls';
import { startProbeProcess } from '../../helpers/probe-process';
import type { ProbeProcess } from '../../helpers/probe-process';
import { checkHealth, createHealthClient } from '../../helpers/registry-client';
import { startRegistryProcess } from '../../helpers/registry-process';
import type { RegistryProcess } from '../../helpers/registry-process';
import { withTimeout } from '../../helpers/wait';

const REFLECTION_PROTO = path.join(
  path.dirname(require.resolve('@grpc/reflection/package.json')),
  'build/proto/grpc/reflection/v1/reflection.proto',
);

interface ReflectionClient extends Client {
  ServerReflectionInfo(): ClientDuplexStream<unknown, ReflectionReply>;
}

interface ReflectionReply {
  listServicesResponse?: { service: Array<{ name: string }> };
}

function createReflectionClient(address: string): ReflectionClient {
  const definition = loadPackageDefinition(loadSync(REFLECTION_PROTO)) as any;
  const Client = definition.grpc.reflection.v1.ServerReflection;
  return new Client(address, credentials.createInsecure());
}

describe('A served instance, seen by standard tools', () => {
  let registry: RegistryProcess;
  let probe: ProbeProcess;

  beforeAll(async () => {
    registry = await startRegistryProcess();
    probe = await startProbeProcess(registry.address, ['--id', 'tools-1']);
  });

  afterAll(async () => {
    await probe?.kill();
    await registry?.stop();
  });

  it('answers the standard health service', async () => {
    const health = createHealthClient(probe.address);
    try {
      expect(await checkHealth(health)).toBe('SERVING');
      expect(await checkHealth(health, 'testing.v1.Probe')).toBe('SERVING');
    } finally {
      health.close();
    }
  });

  it('lists its services through server reflection', async () => {
    const client = createReflectionClient(probe.address);
    try {
      const call = client.ServerReflectionInfo();
      const reply = withTimeout(
        new Promise<ReflectionReply>((resolve, reject) => {
          call.on('data', resolve);
          call.on('error', reject);
        }),
        5_000,
        'reflection reply',
      );
      call.write({ listServices: '' });
      const names = (await reply).listServicesResponse?.service.map(
        (s) => s.name,
      );
      call.end();
      expect(names).toContain('testing.v1.Probe');
    } finally {
      client.close();
    }
  });
});

describe('Weighted instances', () => {
  it('send calls in proportion to the announced weights', async () => {
    const registry = await startRegistryProcess();
    const heavy = await startProbeProcess(registry.address, [
      '--id',
      'heavy',
      '--weight',
      '3',
    ]);
    const light = await startProbeProcess(registry.address, ['--id', 'light']);
    const mesh = createMesh({ registryAddress: registry.address });
    try {
      const client = mesh.client(ProbeClient);
      const counts = new Map<string, number>();
      for (let i = 0; i < 40; i++) await probeUnary(client);
      for (let i = 0; i < 200; i++) {
        const { instanceId } = await probeUnary(client);
        counts.set(instanceId, (counts.get(instanceId) ?? 0) + 1);
      }
      const ratio = (counts.get('heavy') ?? 0) / (counts.get('light') ?? 1);
      expect(ratio).toBeGreaterThan(2);
      expect(ratio).toBeLessThan(4.5);
    } finally {
      await mesh.close();
      await Promise.all([heavy.kill(), light.kill()]);
      await registry.stop();
    }
  });
});
