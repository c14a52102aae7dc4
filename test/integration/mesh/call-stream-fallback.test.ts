import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ProbeClient, ProbeService } from '../../../gen/testing/v1/probe';
import { InstanceState } from '../../../gen/switchboard/v1/registry';
import type { RegistryClient } from '../../../gen/switchboard/v1/registry';
import { createMesh } from '../../../services/mesh';
import { createProbeHandlers } from '../../fixtures/probe-handlers';
import { probeUnary } from '../../helpers/probe-calls';
import {
  announcementOf,
  createRegistryClient,
  openAnnounce,
} from '../../helpers/registry-client';
import type { AnnounceStream } from '../../helpers/registry-client';
import { startRegistryProcess } from '../../helpers/registry-process';
import type { RegistryProcess } from '../../helpers/registry-process';
import { sleep } from '../../helpers/wait';

describe('Call streams to an instance that does not serve CallStream', () => {
  let registry: RegistryProcess;
  let registryClient: RegistryClient;
  let server: Server;
  let announce: AnnounceStream;

  beforeAll(async () => {
    registry = await startRegistryProcess();
    registryClient = createRegistryClient(registry.address);
    server = new Server();
    server.addService(ProbeService, createProbeHandlers('plain'));
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        ServerCredentials.createInsecure(),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      ),
    );
    announce = openAnnounce(registryClient, {
      ...announcementOf(
        'plain',
        'testing.v1.Probe',
        ['Unary'],
        `127.0.0.1:${port}`,
      ),
      state: InstanceState.INSTANCE_STATE_SERVING,
    });
    await announce.lease;
  });

  afterAll(async () => {
    announce?.cancel();
    registryClient?.close();
    server?.forceShutdown();
    await registry?.stop();
  });

  it('carries every call the standard way', async () => {
    const mesh = createMesh({
      registryAddress: registry.address,
      transport: 'call-streams',
    });
    try {
      const client = mesh.client(ProbeClient);
      for (let i = 0; i < 10; i++) {
        const reply = await probeUnary(client, { text: `f${i}` });
        expect(reply).toMatchObject({ text: `f${i}`, instanceId: 'plain' });
        await sleep(20);
      }
    } finally {
      await mesh.close();
    }
  });
});
