import { Metadata, status } from '@grpc/grpc-js';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { ProbeClient, RelayClient } from '../../../gen/testing/v1/probe';
import type { ProbeReply, ProbeRequest } from '../../../gen/testing/v1/probe';
import { EchoClient } from '../../../gen/bench/v1/echo';
import { createMesh } from '../../../services/mesh';
import type { Mesh } from '../../../services/mesh';
import { startProbeProcess } from '../../helpers/probe-process';
import type { ProbeProcess } from '../../helpers/probe-process';
import { callError } from '../../helpers/registry-client';
import { startRegistryProcess } from '../../helpers/registry-process';
import type { RegistryProcess } from '../../helpers/registry-process';
import {
  probeRequest,
  probeUnary,
  relayForward,
} from '../../helpers/probe-calls';
import { sleep, waitFor, withTimeout } from '../../helpers/wait';

describe('Mesh calls across processes', () => {
  let registry: RegistryProcess;
  let probe: ProbeProcess;
  let relay: ProbeProcess;
  let mesh: Mesh;

  beforeAll(async () => {
    registry = await startRegistryProcess(['--heartbeat-interval-ms', '500']);
    probe = await startProbeProcess(registry.address, ['--id', 'probe-1']);
    relay = await startProbeProcess(registry.address, [
      '--id',
      'relay-1',
      '--relay',
    ]);
    mesh = createMesh({ registryAddress: registry.address });
  });

  afterAll(async () => {
    await mesh?.close();
    await Promise.all([probe?.kill(), relay?.kill()]);
    await registry?.stop();
  });

  it('makes a unary call resolved through the registry', async () => {
    const client = mesh.client(ProbeClient);
    const reply = await probeUnary(client, { text: 'hello' });
    expect(reply.text).toBe('hello');
    expect(['probe-1', 'relay-1']).toContain(reply.instanceId);
  });

  it('streams replies of a server stream in order', async () => {
    const client = mesh.client(ProbeClient);
    const call = client.serverStream(probeRequest({ text: 's', count: 5 }));
    const indexes: number[] = [];
    call.on('data', (reply: ProbeReply) => indexes.push(reply.index));
    await withTimeout(new Promise((r) => call.on('end', r)), 5_000, 'stream');
    expect(indexes).toEqual([0, 1, 2, 3, 4]);
  });

  it('counts the requests of a client stream', async () => {
    const client = mesh.client(ProbeClient);
    const reply = await new Promise<ProbeReply>((resolve, reject) => {
      const call = client.clientStream((e, r) => (e ? reject(e) : resolve(r)));
      for (let i = 0; i < 7; i++) call.write(probeRequest({ text: `m${i}` }));
      call.end();
    });
    expect(reply.index).toBe(7);
    expect(reply.text).toBe('m6');
  });

  it('answers each message of a bidirectional stream', async () => {
    const client = mesh.client(ProbeClient);
    const call = client.bidi();
    const texts: string[] = [];
    call.on('data', (reply: ProbeReply) => texts.push(reply.text));
    for (let i = 0; i < 10; i++) call.write(probeRequest({ text: `b${i}` }));
    call.end();
    await withTimeout(new Promise((r) => call.on('end', r)), 5_000, 'bidi');
    expect(texts).toEqual([...Array(10).keys()].map((i) => `b${i}`));
  });

  it('passes a handler status code and message to the caller', async () => {
    const client = mesh.client(ProbeClient);
    const error = await callError(
      probeUnary(client, { failWithCode: status.NOT_FOUND }),
    );
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.details).toBe('probe: failed as asked with code 5');
  });

  it('hides an unexpected handler exception behind UNKNOWN', async () => {
    const client = mesh.client(ProbeClient);
    const error = await callError(
      probeUnary(client, { failWithCode: status.UNKNOWN }),
    );
    expect(error.code).toBe(status.UNKNOWN);
    expect(error.details).toBe(
      "/testing.v1.Probe/Unary: the handler failed unexpectedly; see the instance's log",
    );
  });

  it('fails a call to a service nobody announced with UNAVAILABLE', async () => {
    const client = mesh.client(EchoClient);
    const error = await callError(
      new Promise((resolve, reject) =>
        client.echo({ payload: Buffer.alloc(0) }, (e, r) =>
          e ? reject(e) : resolve(r),
        ),
      ),
    );
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.details).toContain(
      `no serving instance of "bench.v1.Echo" is announced to the registry at ${registry.address}`,
    );
  });

  it('gives a call the default deadline of its client', async () => {
    const client = createMesh({
      registryAddress: registry.address,
      defaultDeadlineMs: 300,
    });
    try {
      const probeClient = client.client(ProbeClient);
      const error = await callError(
        probeUnary(probeClient, { delayMs: 2_000 }),
      );
      expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    } finally {
      await client.close();
    }
  });

  it('propagates the remaining deadline to the second hop', async () => {
    const client = mesh.client(RelayClient);
    const reply = await relayForward(
      client,
      { text: 'hop' },
      {
        deadline: Date.now() + 1_500,
      },
    );
    expect(reply.text).toBe('hop');
    expect(reply.remainingDeadlineMs).toBeGreaterThan(0);
    expect(reply.remainingDeadlineMs).toBeLessThanOrEqual(1_500);
  });

  it('cancels the second hop when the first call is cancelled', async () => {
    const client = mesh.client(RelayClient);
    const call = client.forward(
      probeRequest({ text: 'cancel-me', delayMs: 5_000 }),
      new Metadata(),
      { deadline: Date.now() + 10_000 },
      () => {},
    );
    await sleep(300);
    call.cancel();
    await waitFor(
      () =>
        (probe.output() + relay.output()).includes(
          'probe call cancelled /testing.v1.Probe/Unary',
        ),
      { timeoutMs: 3_000, description: 'the second hop saw the cancellation' },
    );
  });

  it('ends the second hop when the first call deadline passes', async () => {
    const client = mesh.client(RelayClient);
    const before = (probe.output() + relay.output()).split('cancelled').length;
    const error = await callError(
      relayForward(client, { delayMs: 5_000 }, { deadline: Date.now() + 400 }),
    );
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    await waitFor(
      () =>
        (probe.output() + relay.output()).split('cancelled').length > before,
      {
        timeoutMs: 3_000,
        description: 'the second hop ended with the deadline',
      },
    );
  });
});

describe('Mesh calls without a registry', () => {
  it('waits for the registry within the deadline, then says it was unreachable', async () => {
    const registry = await startRegistryProcess();
    const address = registry.address;
    await registry.stop();
    const mesh = createMesh({ registryAddress: address });
    try {
      const client = mesh.client(ProbeClient);
      const started = Date.now();
      const error = await callError(
        probeUnary(client, {}, { deadline: Date.now() + 700 }),
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(error.code).toBe(status.DEADLINE_EXCEEDED);
      expect(error.details).toContain(
        `the registry at ${address} could not be reached to resolve ` +
          `"testing.v1.Probe"; check that it runs`,
      );
    } finally {
      await mesh.close();
    }
  });
});

describe('Mesh keepalive', () => {
  it('keeps an idle bidirectional stream usable past the keepalive interval', async () => {
    const registry = await startRegistryProcess();
    const probe = await startProbeProcess(registry.address, [
      '--keepalive-ms',
      '500',
    ]);
    const mesh = createMesh({
      registryAddress: registry.address,
      keepaliveTimeMs: 500,
      keepaliveTimeoutMs: 1_000,
    });
    try {
      const client = mesh.client(ProbeClient);
      const call: ClientDuplexStream<ProbeRequest, ProbeReply> = client.bidi({
        deadline: Date.now() + 20_000,
      });
      const replies: ProbeReply[] = [];
      call.on('data', (reply: ProbeReply) => replies.push(reply));
      call.write(probeRequest({ text: 'before' }));
      await waitFor(() => replies.length === 1, { description: 'first reply' });
      await sleep(2_500);
      call.write(probeRequest({ text: 'after' }));
      await waitFor(() => replies.length === 2, {
        description: 'reply after idling',
      });
      call.end();
      await withTimeout(
        new Promise((resolve, reject) => {
          call.on('end', resolve);
          call.on('error', reject);
        }),
        5_000,
        'stream end',
      );
      expect(replies.map((r) => r.text)).toEqual(['before', 'after']);
    } finally {
      await mesh.close();
      await probe.kill();
      await registry.stop();
    }
  });
});

describe('Call-stream keepalive', () => {
  it('drops the streams of an instance that stops answering pings', async () => {
    const registry = await startRegistryProcess();
    const probe = await startProbeProcess(registry.address);
    const mesh = createMesh({
      registryAddress: registry.address,
      keepaliveTimeMs: 200,
      keepaliveTimeoutMs: 300,
    });
    try {
      const client = mesh.client(ProbeClient);
      // The first calls take the standard path while the pool opens.
      for (let i = 0; i < 10; i++) {
        await probeUnary(client);
        await sleep(20);
      }
      const pending = callError(
        probeUnary(
          client,
          { delayMs: 2_000 },
          { deadline: Date.now() + 8_000 },
        ),
      );
      await sleep(100);
      process.kill(probe.pid, 'SIGSTOP');
      const error = await pending;
      expect(error.code).toBe(status.UNAVAILABLE);
      expect(error.details).toMatch(
        /call stream: the stream to the instance at \S+ ended: Connection/,
      );
    } finally {
      process.kill(probe.pid, 'SIGCONT');
      await mesh.close();
      await probe.kill();
      await registry.stop();
    }
  });
});
