import { Metadata, status } from '@grpc/grpc-js';
import { ProbeClient } from '../../../gen/testing/v1/probe';
import type { ProbeReply } from '../../../gen/testing/v1/probe';
import { createMesh } from '../../../services/mesh';
import type { Mesh, MeshTransport } from '../../../services/mesh';
import { probeRequest, probeUnary } from '../../helpers/probe-calls';
import { startProbeProcess } from '../../helpers/probe-process';
import type { ProbeProcess } from '../../helpers/probe-process';
import { callError } from '../../helpers/registry-client';
import { startRegistryProcess } from '../../helpers/registry-process';
import type { RegistryProcess } from '../../helpers/registry-process';
import { sleep, waitFor } from '../../helpers/wait';

const TRANSPORTS: MeshTransport[] = ['standard', 'call-streams'];

/**
 * Calls until every instance of `ids` answered a few times. The first
 * calls of a call-streams mesh take the standard path while the pools
 * open, so tests warm up before they count on the pools.
 */
async function warmUp(client: ProbeClient, ids: string[]): Promise<void> {
  const seen = new Map<string, number>();
  await waitFor(
    async () => {
      const { instanceId } = await probeUnary(client);
      seen.set(instanceId, (seen.get(instanceId) ?? 0) + 1);
      await sleep(10);
      return ids.every((id) => (seen.get(id) ?? 0) >= 3);
    },
    { timeoutMs: 5_000, description: `replies from ${ids.join(', ')}` },
  );
}

describe.each(TRANSPORTS)('Unary calls over the %s transport', (transport) => {
  let registry: RegistryProcess;
  let probe: ProbeProcess;
  let mesh: Mesh;
  let client: ProbeClient;

  beforeAll(async () => {
    registry = await startRegistryProcess(['--heartbeat-interval-ms', '500']);
    probe = await startProbeProcess(registry.address, ['--id', 'p1']);
    mesh = createMesh({ registryAddress: registry.address, transport });
    client = mesh.client(ProbeClient);
    await warmUp(client, ['p1']);
  });

  afterAll(async () => {
    await mesh?.close();
    await probe?.kill();
    await registry?.stop();
  });

  it('answers a call', async () => {
    const reply = await probeUnary(client, { text: 'hello' });
    expect(reply).toMatchObject({ text: 'hello', instanceId: 'p1' });
  });

  it.each([
    status.NOT_FOUND,
    status.INVALID_ARGUMENT,
    status.PERMISSION_DENIED,
    status.RESOURCE_EXHAUSTED,
    status.FAILED_PRECONDITION,
  ])('passes the handler status code %i and its message', async (code) => {
    const error = await callError(probeUnary(client, { failWithCode: code }));
    expect(error.code).toBe(code);
    expect(error.details).toBe(`probe: failed as asked with code ${code}`);
  });

  it('hides an unexpected handler exception behind UNKNOWN', async () => {
    const error = await callError(
      probeUnary(client, { failWithCode: status.UNKNOWN }),
    );
    expect(error.code).toBe(status.UNKNOWN);
    expect(error.details).toBe(
      "/testing.v1.Probe/Unary: the handler failed unexpectedly; see the instance's log",
    );
  });

  it('gives the handler the remaining deadline', async () => {
    const reply = await probeUnary(
      client,
      {},
      { deadline: Date.now() + 1_500 },
    );
    expect(reply.remainingDeadlineMs).toBeGreaterThan(1_000);
    expect(reply.remainingDeadlineMs).toBeLessThanOrEqual(1_500);
  });

  it('ends a call whose deadline passes, on both sides', async () => {
    const before = probe.output().split('probe call cancelled').length;
    const started = Date.now();
    const error = await callError(
      probeUnary(client, { delayMs: 3_000 }, { deadline: Date.now() + 300 }),
    );
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    expect(error.details).toMatch(/deadline exceeded/i);
    expect(Date.now() - started).toBeLessThan(1_500);
    await waitFor(
      () => probe.output().split('probe call cancelled').length > before,
      { timeoutMs: 2_000, description: 'the handler saw the deadline' },
    );
  });

  it('cancels the handler when the caller cancels', async () => {
    const before = probe.output().split('probe call cancelled').length;
    const outcome = new Promise<number>((resolve) => {
      const call = client.unary(
        probeRequest({ delayMs: 5_000 }),
        new Metadata(),
        { deadline: Date.now() + 10_000 },
        (error) => resolve(error?.code ?? status.OK),
      );
      setTimeout(() => call.cancel(), 200);
    });
    expect(await outcome).toBe(status.CANCELLED);
    await waitFor(
      () => probe.output().split('probe call cancelled').length > before,
      { timeoutMs: 2_000, description: 'the handler saw the cancellation' },
    );
  });

  it('carries a 4 MiB message beside small ones', async () => {
    const large = 'x'.repeat(4 * 1024 * 1024);
    const big = probeUnary(
      client,
      { text: large },
      { deadline: Date.now() + 20_000 },
    );
    const small = [...Array(200).keys()].map((i) =>
      probeUnary(client, { text: `s${i}` }, { deadline: Date.now() + 20_000 }),
    );
    const smallReplies = await Promise.all(small);
    expect(smallReplies.map((r) => r.text)).toEqual(
      [...Array(200).keys()].map((i) => `s${i}`),
    );
    expect((await big).text).toBe(large);
  });

  it('answers small calls while a 4 MiB response is on its way', async () => {
    const deadline = Date.now() + 20_000;
    let bigDone = false;
    const big = probeUnary(
      client,
      { text: 'y'.repeat(1024), count: 4096 },
      { deadline },
    ).then((reply) => {
      bigDone = true;
      return reply;
    });
    // The large handler answers first; the small calls follow it.
    await sleep(5);
    const ahead = await Promise.all(
      [...Array(50).keys()].map((i) =>
        probeUnary(client, { text: `s${i}` }, { deadline }).then(
          (reply) => [reply.text, bigDone] as const,
        ),
      ),
    );
    expect(ahead.map(([text]) => text)).toEqual(
      [...Array(50).keys()].map((i) => `s${i}`),
    );
    expect(ahead.filter(([, afterBig]) => !afterBig).length).toBeGreaterThan(
      25,
    );
    expect((await big).text).toBe('y'.repeat(4 * 1024 * 1024));
  });

  it('cancels a call with an 8 MiB response and carries on', async () => {
    const call = client.unary(
      probeRequest({ text: 'c'.repeat(1024), count: 8192 }),
      new Metadata(),
      { deadline: Date.now() + 20_000 },
      () => undefined,
    );
    const ended = new Promise<number>((resolve) =>
      call.on('status', (s: { code: number }) => resolve(s.code)),
    );
    await sleep(30);
    call.cancel();
    expect(await ended).toBe(status.CANCELLED);
    const after = await probeUnary(client, { text: 'after' });
    expect(after.text).toBe('after');
  });

  it('fails a response over the caller’s receive limit with RESOURCE_EXHAUSTED', async () => {
    const small = createMesh({
      registryAddress: registry.address,
      transport,
      maxMessageBytes: 1024 * 1024,
    });
    try {
      const limited = small.client(ProbeClient);
      await warmUp(limited, ['p1']);
      const error = await callError(
        probeUnary(limited, { text: 'z'.repeat(1024), count: 2048 }),
      );
      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(error.details).toMatch(
        transport === 'standard'
          ? /larger than max \(\d+ vs 1048576\)/
          : /Probe\/Unary is over the receive limit of 1048576 bytes/,
      );
      // The call stream outlives the refused reply.
      expect((await probeUnary(limited, { text: 'after' })).text).toBe('after');
    } finally {
      await small.close();
    }
  });

  it('carries 10,000 concurrent calls with bounded memory', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const calls = [...Array(10_000).keys()].map((i) =>
      probeUnary(client, { text: `c${i}` }, { deadline: Date.now() + 20_000 }),
    );
    const replies: ProbeReply[] = await Promise.all(calls);
    expect(replies.map((r) => r.text)).toEqual(
      [...Array(10_000).keys()].map((i) => `c${i}`),
    );
    // The heap holds what 10,000 calls in flight need, garbage included,
    // and no more: under 40 KiB a call, whichever way they travel.
    const grownBytes = process.memoryUsage().heapUsed - heapBefore;
    expect(grownBytes).toBeLessThan(10_000 * 40 * 1024);
  });
});

/** Two probe instances, `a` and `b`, and a mesh calling them. */
interface TwoInstances {
  registry: RegistryProcess;
  a: ProbeProcess;
  b: ProbeProcess;
  mesh: Mesh;
  client: ProbeClient;
}

/**
 * Starts a registry, instances `a` and `b` and a mesh of `transport`
 * before each test of the enclosing block, and stops them after it. The
 * fields of the object returned are set once each test starts.
 */
function withTwoInstances(transport: MeshTransport): TwoInstances {
  const env = {} as TwoInstances;
  beforeEach(async () => {
    env.registry = await startRegistryProcess([
      '--heartbeat-interval-ms',
      '300',
    ]);
    [env.a, env.b] = await Promise.all([
      startProbeProcess(env.registry.address, ['--id', 'a']),
      startProbeProcess(env.registry.address, ['--id', 'b']),
    ]);
    env.mesh = createMesh({ registryAddress: env.registry.address, transport });
    env.client = env.mesh.client(ProbeClient);
    await warmUp(env.client, ['a', 'b']);
  });
  afterEach(async () => {
    await env.mesh?.close();
    await Promise.all([env.a?.kill(), env.b?.kill()]);
    await env.registry?.kill();
  });
  return env;
}

describe.each(TRANSPORTS)(
  'Instances ending under the %s transport',
  (transport) => {
    const env = withTwoInstances(transport);

    it('finishes the calls in flight of a draining instance', async () => {
      const deadline = Date.now() + 5_000;
      const slow = [...Array(6)].map(() =>
        probeUnary(env.client, { delayMs: 800 }, { deadline }),
      );
      // Responses of 4 MiB, which call streams send in pieces.
      const large = [...Array(2)].map(() =>
        probeUnary(
          env.client,
          { delayMs: 800, text: 'L'.repeat(1024), count: 4096 },
          { deadline },
        ),
      );
      await sleep(200);
      const stopped = env.a.stop();
      const replies = await Promise.all([...slow, ...large]);
      expect(new Set(replies.map((r) => r.instanceId))).toEqual(
        new Set(['a', 'b']),
      );
      expect(replies.slice(6).map((r) => r.text.length)).toEqual([
        4 * 1024 * 1024,
        4 * 1024 * 1024,
      ]);
      expect(await stopped).toBe(0);
      const after = await probeUnary(env.client);
      expect(after.instanceId).toBe('b');
    });

    it('fails the calls in flight of a killed instance with UNAVAILABLE', async () => {
      const slow = [...Array(6)].map(() =>
        probeUnary(
          env.client,
          { delayMs: 2_000 },
          { deadline: Date.now() + 5_000 },
        )
          .then((r) => ({ instanceId: r.instanceId, code: status.OK }))
          .catch((e: { code: number }) => ({ instanceId: '', code: e.code })),
      );
      await sleep(300);
      await env.a.kill();
      const outcomes = await Promise.all(slow);
      const failed = outcomes.filter((o) => o.code !== status.OK);
      expect(failed.length).toBeGreaterThan(0);
      expect(new Set(failed.map((o) => o.code))).toEqual(
        new Set([status.UNAVAILABLE]),
      );
      expect(outcomes.filter((o) => o.code === status.OK).length).toBe(
        outcomes.length - failed.length,
      );
      await waitFor(
        async () => (await probeUnary(env.client)).instanceId === 'b',
        {
          timeoutMs: 2_000,
          description: 'calls going to b',
        },
      );
    });
  },
);

describe.each(TRANSPORTS)(
  'Idempotent calls over the %s transport',
  (transport) => {
    const env = withTwoInstances(transport);

    /** Probe.Lookup, with the time its outcome came. */
    const lookup = (text = '') =>
      new Promise<{
        reply?: ProbeReply;
        code: number;
        details?: string;
        doneMs: number;
      }>((resolve) =>
        env.client.lookup(
          probeRequest({ text, delayMs: 1_000 }),
          new Metadata(),
          { deadline: Date.now() + 8_000 },
          (error, reply) =>
            resolve({
              reply,
              code: error?.code ?? status.OK,
              details: error?.details,
              doneMs: Date.now(),
            }),
        ),
      );

    // 512 KiB: over what call streams carry, under what grpc-js keeps.
    it.each([
      ['small', 0],
      ['512 KiB', 512 * 1024],
    ])(
      'sends a lost call to a NO_SIDE_EFFECTS method again on another instance (%s request)',
      async (_size, bytes) => {
        const calls = [...Array(8)].map(() => lookup('x'.repeat(bytes)));
        await sleep(300);
        const killedMs = Date.now();
        await env.a.kill();
        const outcomes = await Promise.all(calls);
        expect(outcomes.map((o) => o.code)).toEqual(Array(8).fill(status.OK));
        expect(outcomes.map((o) => o.reply?.instanceId)).toEqual(
          Array(8).fill('b'),
        );
        // A call b answered 1 s after the kill began was sent to it again:
        // proof that a held calls when it died.
        const sentAgain = outcomes.filter((o) => o.doneMs >= killedMs + 1_000);
        expect(sentAgain.length).toBeGreaterThan(0);
      },
    );

    it('fails a lost call whose request is too large to keep for a retry', async () => {
      // Past grpc-js's per-call retry buffer (1 MiB), on either transport:
      // call streams hand requests over 256 KiB to the standard path.
      const large = 'x'.repeat(1536 * 1024);
      const calls = [...Array(4)].map(() => lookup(large));
      await sleep(300);
      await env.a.kill();
      const outcomes = await Promise.all(calls);
      const failed = outcomes.filter((o) => o.code !== status.OK);
      expect(failed.length).toBeGreaterThan(0);
      expect(new Set(failed.map((o) => o.code))).toEqual(
        new Set([status.UNAVAILABLE]),
      );
      for (const { details } of failed) {
        expect(details).toMatch(/^(Connection dropped|read ECONNRESET)$/);
      }
      const served = outcomes.filter((o) => o.code === status.OK);
      expect(served.map((o) => o.reply?.instanceId)).toEqual(
        served.map(() => 'b'),
      );
    });
  },
);
