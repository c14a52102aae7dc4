import { ProbeClient } from '../../../gen/testing/v1/probe';
import type { ProbeReply } from '../../../gen/testing/v1/probe';
import { createMesh } from '../../../services/mesh';
import type { Mesh } from '../../../services/mesh';
import { probeRequest, probeUnary } from '../../helpers/probe-calls';
import { startProbeProcess } from '../../helpers/probe-process';
import type { ProbeProcess } from '../../helpers/probe-process';
import {
  createRegistryClient,
  resolvedIds,
} from '../../helpers/registry-client';
import { startRegistryProcess } from '../../helpers/registry-process';
import type { RegistryProcess } from '../../helpers/registry-process';
import { sleep, waitFor, withTimeout } from '../../helpers/wait';

interface Outcome {
  atMs: number;
  instanceId?: string;
  error?: string;
}

/**
 * Keeps `workers` unary calls in flight until `stop` aborts, at most
 * `maxMs`, and records every outcome with its time.
 */
async function callContinuously(
  client: ProbeClient,
  stop: AbortSignal,
  options: { workers?: number; maxMs?: number; delayMs?: number } = {},
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const until = Date.now() + (options.maxMs ?? 15_000);
  const worker = async () => {
    while (!stop.aborted && Date.now() < until) {
      try {
        const reply = await probeUnary(
          client,
          { delayMs: options.delayMs ?? 0 },
          { deadline: Date.now() + 3_000 },
        );
        outcomes.push({ atMs: Date.now(), instanceId: reply.instanceId });
      } catch (error: unknown) {
        outcomes.push({ atMs: Date.now(), error: String(error) });
      }
    }
  };
  await Promise.all([...Array(options.workers ?? 4)].map(worker));
  return outcomes;
}

describe('Mesh with two instances', () => {
  let registry: RegistryProcess;
  let a: ProbeProcess;
  let b: ProbeProcess;
  let mesh: Mesh;

  beforeEach(async () => {
    registry = await startRegistryProcess(['--heartbeat-interval-ms', '300']);
    [a, b] = await Promise.all([
      startProbeProcess(registry.address, ['--id', 'a']),
      startProbeProcess(registry.address, ['--id', 'b']),
    ]);
    mesh = createMesh({ registryAddress: registry.address });
  });

  afterEach(async () => {
    await mesh?.close();
    await Promise.all([a?.kill(), b?.kill()]);
    await registry?.kill();
  });

  it('spreads calls over both instances', async () => {
    const client = mesh.client(ProbeClient);
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const reply = await probeUnary(client);
      seen.set(reply.instanceId, (seen.get(reply.instanceId) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['a', 'b']);
    expect(Math.min(...seen.values())).toBeGreaterThanOrEqual(10);
  });

  it('carries on on the other instance within 1 s of a SIGKILL', async () => {
    const client = mesh.client(ProbeClient);
    await waitFor(async () => (await probeUnary(client)).instanceId === 'b');
    const stop = new AbortController();
    const running = callContinuously(client, stop.signal, { maxMs: 10_000 });
    await sleep(500);
    const killedAt = Date.now();
    await a.kill();
    await sleep(2_000);
    stop.abort();
    const outcomes = await running;
    const late = outcomes.filter((o) => o.atMs > killedAt + 1_000);
    expect(late.length).toBeGreaterThan(50);
    expect(late.filter((o) => o.error)).toEqual([]);
    expect(new Set(late.map((o) => o.instanceId))).toEqual(new Set(['b']));
  });

  it('loses no call while the registry is killed and restarted', async () => {
    const client = mesh.client(ProbeClient);
    const registryClient = createRegistryClient(registry.address);
    const stream = client.bidi({ deadline: Date.now() + 30_000 });
    const streamed: ProbeReply[] = [];
    const streamErrors: unknown[] = [];
    stream.on('data', (reply: ProbeReply) => streamed.push(reply));
    stream.on('error', (error) => streamErrors.push(error));
    const stop = new AbortController();
    const running = callContinuously(client, stop.signal, { maxMs: 15_000 });
    const ticker = setInterval(
      () => stream.write(probeRequest({ text: 'tick' })),
      20,
    );
    try {
      await sleep(300);
      const port = registry.port;
      await registry.kill();
      await sleep(1_000);
      registry = await startRegistryProcess(['--port', String(port)]);
      const restartedAt = Date.now();
      await waitFor(
        async () =>
          (await resolvedIds(registryClient, 'testing.v1.Probe')).join() ===
          'a,b',
        { timeoutMs: 5_000, description: 'both instances announced again' },
      );
      expect(Date.now() - restartedAt).toBeLessThan(2_000);
      await sleep(500);
    } finally {
      clearInterval(ticker);
      stop.abort();
      registryClient.close();
    }
    const outcomes = await running;
    stream.end();
    await withTimeout(
      new Promise((resolve) => stream.on('end', resolve)),
      5_000,
      'bidi end',
    );
    expect(outcomes.filter((o) => o.error)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(100);
    expect(streamErrors).toEqual([]);
    expect(streamed.length).toBeGreaterThan(50);
  });

  it('finishes calls in flight on a draining instance and sends it no new call', async () => {
    const client = mesh.client(ProbeClient);
    const warmed = new Set<string>();
    await waitFor(async () => {
      warmed.add((await probeUnary(client)).instanceId);
      return warmed.size === 2;
    });
    const slow = [...Array(6)].map(() =>
      probeUnary(client, { delayMs: 1_000 }, { deadline: Date.now() + 5_000 }),
    );
    await sleep(200);
    const stopped = a.stop();
    await sleep(600);
    const drainSeenAt = Date.now();
    const stop = new AbortController();
    const running = callContinuously(client, stop.signal, { maxMs: 5_000 });
    await sleep(800);
    stop.abort();
    const slowReplies = await Promise.all(slow);
    expect(new Set(slowReplies.map((r) => r.instanceId))).toEqual(
      new Set(['a', 'b']),
    );
    const later = (await running).filter((o) => o.atMs > drainSeenAt);
    expect(later.filter((o) => o.error)).toEqual([]);
    expect(new Set(later.map((o) => o.instanceId))).toEqual(new Set(['b']));
    expect(await stopped).toBe(0);
  });
});
