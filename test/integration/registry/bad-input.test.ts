import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import {
  AnnounceRequest,
  InstanceState,
  StreamingKind,
} from '../../../gen/switchboard/v1/registry';
import type {
  InstanceAnnouncement,
  ListServicesResponse,
  RegistryClient,
} from '../../../gen/switchboard/v1/registry';
import {
  announcementOf,
  callError,
  checkHealth,
  createHealthClient,
  createRegistryClient,
  listServices,
  openAnnounce,
  recordWatch,
  registryAnnouncementOf,
  resolveTarget,
  resolvedIds,
  sendRawAnnounce,
} from '../../helpers/registry-client';
import type {
  AnnounceStream,
  HealthClient,
} from '../../helpers/registry-client';
import { startRegistryProcess } from '../../helpers/registry-process';
import type { RegistryProcess } from '../../helpers/registry-process';
import { waitFor, withTimeout } from '../../helpers/wait';

// Small limits, so that a test can pass each of them with a small message.
const MAX_SERVICES = 2;
const MAX_METHODS = 5;
const MAX_LABELS = 2;
const MAX_MESSAGE_BYTES = 64 * 1024;
const UNARY = StreamingKind.STREAMING_KIND_UNARY;

/** Bytes that no decoder takes: a field of 5 bytes that holds 1. */
const TRUNCATED = Buffer.from([0x0a, 0x05, 0x61]);

let registry: RegistryProcess;
let client: RegistryClient;
let health: HealthClient;
let raw: Client;
const keepers: AnnounceStream[] = [];

beforeAll(async () => {
  registry = await startRegistryProcess([
    '--heartbeat-interval-ms',
    '250',
    '--max-services',
    String(MAX_SERVICES),
    '--max-methods',
    String(MAX_METHODS),
    '--max-labels',
    String(MAX_LABELS),
    '--max-message-bytes',
    String(MAX_MESSAGE_BYTES),
  ]);
  client = createRegistryClient(registry.address);
  health = createHealthClient(registry.address);
  raw = new Client(registry.address, credentials.createInsecure());
  keepers.push(
    openAnnounce(client, announcementOf('keeper-echo', 'demo.v1.Echo')),
    openAnnounce(client, registryAnnouncementOf('keeper-registry')),
  );
  await Promise.all(keepers.map((k) => k.lease));
});

afterAll(async () => {
  for (const keeper of keepers) keeper.cancel();
  client?.close();
  health?.close();
  raw?.close();
  await registry?.stop();
});

function valid(instanceId = 'newcomer-1'): InstanceAnnouncement {
  return announcementOf(instanceId, 'demo.v1.Newcomer', ['Hello']);
}

function withMethods(...methods: string[]): InstanceAnnouncement {
  return {
    ...valid(),
    services: [
      {
        name: 'demo.v1.Newcomer',
        methods: methods.map((fullName) => ({ fullName, kind: UNARY })),
      },
    ],
  };
}

function serviceNamed(name: string) {
  return { name, methods: [{ fullName: `/${name}/Hello`, kind: UNARY }] };
}

/** The catalog as the keepers left it: their two services, nothing else. */
async function expectOnlyKeepers(catalog?: ListServicesResponse) {
  const { services } = catalog ?? (await listServices(client));
  expect(
    services.map((s) => [s.name, s.servingInstanceIds, s.drainingInstanceIds]),
  ).toEqual([
    ['demo.v1.Echo', ['keeper-echo'], []],
    ['switchboard.v1.Registry', ['keeper-registry'], []],
  ]);
}

/**
 * Opens an Announce stream, sends `announcement`, and expects the registry
 * to end the stream with `code` and `message`, leaving the catalog as it
 * was, revision included.
 */
async function expectRefusal(
  announcement: InstanceAnnouncement,
  message: string,
  code = status.INVALID_ARGUMENT,
): Promise<void> {
  const before = await listServices(client);
  const stream = openAnnounce(client, announcement, { heartbeats: false });

  const ended = await withTimeout(stream.ended, 5_000, 'the refusal');

  expect({ code: ended.code, details: ended.details }).toEqual({
    code,
    details: message,
  });
  expect(stream.responses).toEqual([]);
  expect(await listServices(client)).toEqual(before);
}

/**
 * Announces a valid newcomer, then sends `next` on the same stream, and
 * expects the stream to end with `code` and `message` and the newcomer to
 * be gone at once.
 */
async function expectRefusalAfterAnnounce(
  next: (stream: AnnounceStream) => void,
  message: string | RegExp,
  code = status.INVALID_ARGUMENT,
): Promise<void> {
  const stream = openAnnounce(client, valid(), { heartbeats: false });
  await stream.lease;
  expect(await resolvedIds(client, 'demo.v1.Newcomer')).toEqual(['newcomer-1']);

  next(stream);
  const ended = await withTimeout(stream.ended, 5_000, 'the refusal');

  expect(ended.code).toBe(code);
  expect(ended.details).toMatch(message);
  await waitFor(
    async () => (await resolvedIds(client, 'demo.v1.Newcomer')).length === 0,
    { timeoutMs: 200, description: 'the newcomer removed at once' },
  );
  await expectOnlyKeepers();
}

describe('Registry.Announce with a bad announcement', () => {
  const refusals: Array<[string, InstanceAnnouncement, string]> = [
    [
      'an empty instance id',
      { ...valid(), instanceId: '' },
      'announce: instance_id is empty; give each instance an id',
    ],
    [
      'an instance id over 128 characters',
      { ...valid(), instanceId: 'n'.repeat(129) },
      'announce: instance_id is 129 characters, over the limit of 128',
    ],
    [
      'an instance id with a slash',
      { ...valid(), instanceId: 'game/1' },
      'announce: instance_id "game/1" may hold only letters, digits and . _ : -',
    ],
    [
      'an address that is not host:port',
      { ...valid(), address: 'http://127.0.0.1' },
      'announce: address "http://127.0.0.1" is not of the form host:port with ' +
        'a port from 1 to 65535',
    ],
    [
      'an address with a port out of range',
      { ...valid(), address: '127.0.0.1:70000' },
      'announce: address "127.0.0.1:70000" is not of the form host:port with a ' +
        'port from 1 to 65535',
    ],
    [
      'no services',
      { ...valid(), services: [] },
      'announce: services is empty; announce at least one service',
    ],
    [
      'more services than --max-services',
      {
        ...valid(),
        services: ['a.v1.A', 'b.v1.B', 'c.v1.C'].map(serviceNamed),
      },
      `announce: 3 services announced, over the limit of ${MAX_SERVICES}`,
    ],
    [
      'more methods than --max-methods',
      withMethods(...'ABCDEF'.split('').map((m) => `/demo.v1.Newcomer/${m}`)),
      `announce: service "demo.v1.Newcomer" has 6 methods, over the limit of ${MAX_METHODS}`,
    ],
    [
      'an empty service name',
      { ...valid(), services: [serviceNamed('')] },
      'announce: a service name is empty',
    ],
    [
      'a service name over 256 characters',
      { ...valid(), services: [serviceNamed(`demo.${'N'.repeat(252)}`)] },
      'announce: service name of 257 characters is over the limit of 256',
    ],
    [
      'a malformed service name',
      { ...valid(), services: [serviceNamed('demo..Newcomer')] },
      'announce: service name "demo..Newcomer" is not of the form pkg.Service',
    ],
    [
      'a method name that is not /pkg.Service/Method',
      withMethods('Hello'),
      'announce: method name "Hello" is not of the form /pkg.Service/Method',
    ],
    [
      'a method under the wrong service',
      withMethods('/demo.v1.Echo/Hello'),
      'announce: method "/demo.v1.Echo/Hello" is listed under service ' +
        '"demo.v1.Newcomer", not its own',
    ],
    [
      'a duplicated service',
      {
        ...valid(),
        services: [
          serviceNamed('demo.v1.Twice'),
          serviceNamed('demo.v1.Twice'),
        ],
      },
      'announce: service "demo.v1.Twice" is announced twice',
    ],
    [
      'a duplicated method',
      withMethods('/demo.v1.Newcomer/Hello', '/demo.v1.Newcomer/Hello'),
      'announce: method "/demo.v1.Newcomer/Hello" is announced twice',
    ],
    [
      'a method of unspecified streaming kind',
      {
        ...valid(),
        services: [
          {
            name: 'demo.v1.Newcomer',
            methods: [
              {
                fullName: '/demo.v1.Newcomer/Hello',
                kind: StreamingKind.STREAMING_KIND_UNSPECIFIED,
              },
            ],
          },
        ],
      },
      'announce: method "/demo.v1.Newcomer/Hello" has no streaming kind; give ' +
        'unary, server, client or bidi stream',
    ],
    [
      'more labels than --max-labels',
      { ...valid(), labels: { a: '1', b: '2', c: '3' } },
      `announce: 3 labels, over the limit of ${MAX_LABELS}`,
    ],
    [
      'a bad label key',
      { ...valid(), labels: { 'zone!': 'eu' } },
      'announce: label key "zone!" may hold only letters, digits and . _ / -',
    ],
    [
      'a label value over 256 characters',
      { ...valid(), labels: { zone: 'e'.repeat(300) } },
      'announce: label "zone" has a value of 300 characters, over the limit of 256',
    ],
    [
      'a weight over 10000',
      { ...valid(), weight: 20_000 },
      'announce: weight 20000 is over the limit of 10000',
    ],
    [
      'an unknown initial state',
      { ...valid(), state: 5 as InstanceState },
      'announce: state 5 is neither serving nor draining',
    ],
    [
      'a file_descriptors blob that is not a FileDescriptorProto',
      { ...valid(), fileDescriptors: [TRUNCATED] },
      'announce: file_descriptors[0] is not a serialized FileDescriptorProto',
    ],
    [
      'a descriptor that does not define the announced service',
      {
        ...valid(),
        fileDescriptors: registryAnnouncementOf('x').fileDescriptors,
      },
      'announce: service "demo.v1.Newcomer" is not defined in the announced file_descriptors',
    ],
  ];

  it.each(refusals)(
    'refuses %s with INVALID_ARGUMENT, changing nothing',
    async (_rule, announcement, message) => {
      await expectRefusal(announcement, message);
    },
  );

  it('refuses an instance id held by another live stream with ALREADY_EXISTS', async () => {
    await expectRefusal(
      announcementOf('keeper-echo', 'demo.v1.Impostor', ['Hello']),
      'announce: instance id "keeper-echo" is held by another live instance; ' +
        'choose another instance_id or wait for the other stream to end',
      status.ALREADY_EXISTS,
    );
    const [keeper] = (await resolveTarget(client, 'demo.v1.Echo')).instances;
    expect(keeper.instanceId).toBe('keeper-echo');
  });
});

describe('Registry.Announce with a bad message on the stream', () => {
  it('refuses a heartbeat as the first message', async () => {
    const before = await listServices(client);

    const ended = await sendRawAnnounce(raw, [
      encode({ kind: { $case: 'heartbeat', value: {} } }),
    ]);

    expect(ended.code).toBe(status.INVALID_ARGUMENT);
    expect(ended.details).toBe(
      'announce: the first message must be an announcement, got heartbeat',
    );
    expect(await listServices(client)).toEqual(before);
  });

  it('refuses a message that sets no kind', async () => {
    const before = await listServices(client);

    const ended = await sendRawAnnounce(raw, [encode({ kind: undefined })]);

    expect(ended.code).toBe(status.INVALID_ARGUMENT);
    expect(ended.details).toBe(
      'announce: message sets none of announcement, heartbeat, state_change',
    );
    expect(await listServices(client)).toEqual(before);
  });

  it('refuses bytes that are not an AnnounceRequest', async () => {
    const before = await listServices(client);

    const ended = await sendRawAnnounce(raw, [TRUNCATED]);

    expect(ended.code).toBe(status.INVALID_ARGUMENT);
    expect(ended.details).toBe(
      'announce: message is not a valid AnnounceRequest (premature EOF)',
    );
    expect(await listServices(client)).toEqual(before);
  });

  it('refuses a message over --max-message-bytes with RESOURCE_EXHAUSTED', async () => {
    const before = await listServices(client);
    const huge = encode({
      kind: {
        $case: 'announcement',
        value: {
          ...valid(),
          fileDescriptors: [Buffer.alloc(MAX_MESSAGE_BYTES)],
        },
      },
    });

    const ended = await sendRawAnnounce(raw, [huge]);

    expect(ended.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(ended.details).toBe(
      `Received message larger than max (${huge.length} vs ${MAX_MESSAGE_BYTES})`,
    );
    expect(await listServices(client)).toEqual(before);
  });

  it('refuses a second announcement and removes the instance', async () => {
    await expectRefusalAfterAnnounce(
      (stream) =>
        stream.call.write({
          kind: { $case: 'announcement', value: valid('newcomer-2') },
        }),
      'announce: a second announcement on one stream; open a new stream to announce again',
    );
  });

  it('refuses a state change to an unknown state and removes the instance', async () => {
    await expectRefusalAfterAnnounce(
      (stream) =>
        stream.call.write({
          kind: {
            $case: 'stateChange',
            value: { state: InstanceState.INSTANCE_STATE_UNSPECIFIED },
          },
        }),
      'announce: state_change.state 0 is neither serving nor draining',
    );
  });

  it('removes the instance at once when a later message is over the size limit', async () => {
    await expectRefusalAfterAnnounce(
      (stream) =>
        stream.call.write({
          kind: {
            $case: 'announcement',
            value: {
              ...valid('newcomer-3'),
              labels: { big: 'b'.repeat(MAX_MESSAGE_BYTES) },
            },
          },
        }),
      /^Received message larger than max \(\d+ vs 65536\)$/,
      status.RESOURCE_EXHAUSTED,
    );
  });
});

describe('Registry.Resolve and Registry.Watch with a bad query', () => {
  it.each([
    ['an empty target', '', 'resolve: target is empty; give pkg.Service'],
    [
      'a target that is neither a service nor a method',
      'demo/Echo',
      'resolve: target "demo/Echo" is neither pkg.Service nor /pkg.Service/Method',
    ],
    [
      'a method target without a method',
      '/demo.v1.Echo/',
      'resolve: target "/demo.v1.Echo/" is neither pkg.Service nor /pkg.Service/Method',
    ],
  ])(
    'Resolve refuses %s with INVALID_ARGUMENT',
    async (_what, target, message) => {
      const failure = await callError(resolveTarget(client, target));

      expect(failure).toEqual({
        code: status.INVALID_ARGUMENT,
        details: message,
      });
    },
  );

  it('Resolve refuses bytes that are not a ResolveRequest', async () => {
    const failure = await new Promise<ServiceError | null>((resolve) =>
      raw.makeUnaryRequest<Buffer, Buffer>(
        '/switchboard.v1.Registry/Resolve',
        (b) => b,
        (b) => b,
        TRUNCATED,
        new Metadata(),
        { deadline: Date.now() + 5_000 },
        (error) => resolve(error),
      ),
    );

    expect(failure?.code).toBe(status.INVALID_ARGUMENT);
    expect(failure?.details).toBe(
      'resolve: request could not be decoded (premature EOF)',
    );
  });

  it('Watch refuses a malformed service with INVALID_ARGUMENT', async () => {
    const recording = recordWatch(client, { service: 'demo.v1.Echo/Say' });

    const ended = await withTimeout(recording.ended, 5_000, 'the refusal');

    expect(ended.code).toBe(status.INVALID_ARGUMENT);
    expect(ended.details).toBe(
      'watch: service "demo.v1.Echo/Say" is not of the form pkg.Service (at most 256 characters)',
    );
    expect(recording.events).toEqual([]);
  });
});

describe('the registry after bad input', () => {
  it('survives 1,000 malformed announcements and random bytes', async () => {
    const random = seededRandom(20_240_601);
    const outcomes = await sendFuzz(1_000, random);

    const codes = new Set(outcomes.map((o) => o.code));
    expect([...codes]).toEqual([status.INVALID_ARGUMENT]);
    const undecodable = outcomes.filter((o) =>
      o.details.startsWith('announce: message is not a valid AnnounceRequest'),
    );
    expect(undecodable.length).toBeGreaterThan(100);
    expect(undecodable.length).toBeLessThan(outcomes.length);
    await expectOnlyKeepers();
    expect(await checkHealth(health)).toBe('SERVING');
    expect(await resolvedIds(client, 'demo.v1.Echo')).toEqual(['keeper-echo']);
    expect(registry.logs().filter((l) => Number(l.level) >= 50)).toEqual([]);
  });

  it('still answers Resolve and health SERVING, with the valid instances live', async () => {
    expect(await checkHealth(health)).toBe('SERVING');
    expect(await checkHealth(health, 'switchboard.v1.Registry')).toBe(
      'SERVING',
    );
    expect(await resolvedIds(client, '/switchboard.v1.Registry/Watch')).toEqual(
      ['keeper-registry'],
    );
    await expectOnlyKeepers();
    for (const keeper of keepers) {
      await expect(
        Promise.race([keeper.ended, Promise.resolve('open')]),
      ).resolves.toBe('open');
    }
  });
});

function encode(message: AnnounceRequest): Buffer {
  return Buffer.from(AnnounceRequest.encode(message).finish());
}

/** A small seeded generator (mulberry32), so that a failure can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function randomBytes(random: () => number, maxLength: number): Buffer {
  const length = Math.floor(random() * maxLength);
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

/** One malformed announcement, picked at random among the rules. */
function malformedAnnouncement(random: () => number, n: number): Buffer {
  const id = `fuzz-${n}`;
  const breakers: Array<() => InstanceAnnouncement> = [
    () => ({ ...valid(id), instanceId: `bad id ${n}` }),
    () => ({ ...valid(id), address: `host-${n}` }),
    () => ({ ...valid(id), services: [] }),
    () => ({ ...valid(id), services: [serviceNamed(`Service${n}`)] }),
    () => withMethods(`/demo.v1.Other/M${n}`),
    () => ({ ...valid(id), labels: { [`k ${n}`]: 'v' } }),
    () => ({ ...valid(id), weight: 10_001 + n }),
    () => ({ ...valid(id), fileDescriptors: [TRUNCATED] }),
    () => ({ ...valid(id), state: 3 + n }),
  ];
  const pick = breakers[Math.floor(random() * breakers.length)];
  return encode({ kind: { $case: 'announcement', value: pick() } });
}

/**
 * Sends `count` streams, a third each of: a malformed announcement; random
 * bytes as the first message; a valid announcement then random bytes.
 * Every stream ends with TRUNCATED, so that random bytes that happen to
 * decode to an acceptable message still end their stream with a refusal.
 */
async function sendFuzz(
  count: number,
  random: () => number,
): Promise<Array<{ code: number; details: string }>> {
  const outcomes: Array<{ code: number; details: string }> = [];
  const batch = 50;
  for (let start = 0; start < count; start += batch) {
    const streams = [];
    for (let n = start; n < Math.min(start + batch, count); n++) {
      const shape = n % 3;
      const messages =
        shape === 0
          ? [malformedAnnouncement(random, n)]
          : shape === 1
            ? [randomBytes(random, 200)]
            : [
                encode({
                  kind: { $case: 'announcement', value: valid(`fuzz-${n}`) },
                }),
                randomBytes(random, 200),
              ];
      streams.push(sendRawAnnounce(raw, [...messages, TRUNCATED]));
    }
    for (const { code, details } of await Promise.all(streams)) {
      outcomes.push({ code, details });
    }
  }
  return outcomes;
}
