import { status } from '@grpc/grpc-js';
import {
  InstanceState,
  StreamingKind,
} from '../../../gen/switchboard/v1/registry';
import {
  checkWatchedService,
  listServices,
  parseResolveTarget,
  resolve,
} from '../../../registry/catalog-queries';
import { DEFAULT_LIMITS } from '../../../registry/limits';
import type { InstanceRecord, Store } from '../../../registry/store';
import { createMemoryStore } from '../../../registry/store-memory';

function record(
  instanceId: string,
  service: string,
  methods: string[],
  announcedAtMs = 0,
): InstanceRecord {
  return {
    instanceId,
    address: '127.0.0.1:50051',
    services: [
      {
        name: service,
        methods: methods.map((m) => ({
          fullName: `/${service}/${m}`,
          kind: StreamingKind.STREAMING_KIND_UNARY,
        })),
      },
    ],
    labels: {},
    weight: 1,
    state: InstanceState.INSTANCE_STATE_SERVING,
    announcedAtMs,
    fileDescriptors: [],
  };
}

describe('parseResolveTarget', () => {
  it('reads a service name', () => {
    expect(parseResolveTarget('game.v1.Session', DEFAULT_LIMITS)).toEqual({
      service: 'game.v1.Session',
    });
  });

  it('reads a full method name as its service and the method', () => {
    expect(parseResolveTarget('/game.v1.Session/Join', DEFAULT_LIMITS)).toEqual(
      { service: 'game.v1.Session', method: '/game.v1.Session/Join' },
    );
  });

  it.each([
    ['', 'resolve: target is empty; give pkg.Service'],
    [
      'Session',
      'resolve: target "Session" is neither pkg.Service nor /pkg.Service/Method',
    ],
    [
      '/game.v1.Session',
      'resolve: target "/game.v1.Session" is neither pkg.Service nor /pkg.Service/Method',
    ],
    [
      'game.v1.Session/Join',
      'resolve: target "game.v1.Session/Join" is neither pkg.Service nor /pkg.Service/Method',
    ],
    [
      `game.${'S'.repeat(252)}`,
      'resolve: target of 257 characters is over the limit of 256',
    ],
  ])('refuses the target %j', (target, message) => {
    expect(() => parseResolveTarget(target, DEFAULT_LIMITS)).toThrow(
      expect.objectContaining({
        code: status.INVALID_ARGUMENT,
        details: message,
      }),
    );
  });
});

describe('checkWatchedService', () => {
  it('accepts the whole catalog (empty) and a service name', () => {
    expect(() => checkWatchedService('', DEFAULT_LIMITS)).not.toThrow();
    expect(() =>
      checkWatchedService('game.v1.Session', DEFAULT_LIMITS),
    ).not.toThrow();
  });

  it('refuses a method name', () => {
    expect(() =>
      checkWatchedService('/game.v1.Session/Join', DEFAULT_LIMITS),
    ).toThrow(
      expect.objectContaining({
        code: status.INVALID_ARGUMENT,
        details:
          'watch: service "/game.v1.Session/Join" is not of the form pkg.Service ' +
          '(at most 256 characters)',
      }),
    );
  });
});

describe('catalog queries over a store', () => {
  let store: Store;

  beforeEach(async () => {
    store = createMemoryStore();
    const lease = await store.grantLease(60_000);
    await store.put(record('b-old', 'b.v1.B', ['Old'], 1), lease);
    await store.put(record('b-new', 'b.v1.B', ['Old', 'New'], 2), lease);
    await store.put(record('a-1', 'a.v1.A', ['Go'], 3), lease);
    await store.setState('a-1', InstanceState.INSTANCE_STATE_DRAINING);
  });

  afterEach(() => store.stop());

  it('resolves only serving instances of the method asked for', async () => {
    const byMethod = await resolve(store, {
      service: 'b.v1.B',
      method: '/b.v1.B/New',
    });
    const draining = await resolve(store, { service: 'a.v1.A' });

    expect(byMethod.instances.map((i) => i.instanceId)).toEqual(['b-new']);
    expect(byMethod.revision).toBe(4);
    expect(draining.instances).toEqual([]);
  });

  it('lists services sorted by name, with the methods of the latest instance', async () => {
    const { services, revision } = await listServices(store);

    expect(revision).toBe(4);
    expect(
      services.map((s) => ({
        name: s.name,
        methods: s.methods.map((m) => m.fullName),
        serving: s.servingInstanceIds.sort(),
        draining: s.drainingInstanceIds,
      })),
    ).toEqual([
      {
        name: 'a.v1.A',
        methods: ['/a.v1.A/Go'],
        serving: [],
        draining: ['a-1'],
      },
      {
        name: 'b.v1.B',
        methods: ['/b.v1.B/Old', '/b.v1.B/New'],
        serving: ['b-new', 'b-old'],
        draining: [],
      },
    ]);
  });
});
