import {
  InstanceState,
  RemovalReason,
  StreamingKind,
} from '../../../gen/switchboard/v1/registry';
import { InstanceIdTakenError } from '../../../registry/store';
import type {
  InstanceRecord,
  Store,
  WatchEvent,
  WatchHandle,
} from '../../../registry/store';
import { createMemoryStore } from '../../../registry/store-memory';
import { sleep, waitFor } from '../../helpers/wait';

const TTL_MS = 80;
const LONG_TTL_MS = 60_000;

function record(instanceId: string, service = 'demo.v1.Echo'): InstanceRecord {
  return {
    instanceId,
    address: '127.0.0.1:50051',
    services: [
      {
        name: service,
        methods: [
          {
            fullName: `/${service}/Say`,
            kind: StreamingKind.STREAMING_KIND_UNARY,
          },
        ],
      },
    ],
    labels: {},
    weight: 1,
    state: InstanceState.INSTANCE_STATE_SERVING,
    announcedAtMs: 0,
    fileDescriptors: [],
  };
}

function ids(records: InstanceRecord[]): string[] {
  return records.map((r) => r.instanceId).sort();
}

/** A summary of a watch event that reads well in an assertion. */
function describeEvent(event: WatchEvent): string {
  switch (event.type) {
    case 'snapshot':
      return `${event.revision} snapshot [${ids(event.instances).join(',')}]`;
    case 'upsert':
      return `${event.revision} upsert ${event.instance.instanceId}`;
    case 'removal':
      return `${event.revision} removal ${event.instance.instanceId} ${event.reason}`;
  }
}

let store: Store;
let handles: WatchHandle[];

function watch(service?: string, afterRevision = 0): WatchEvent[] {
  const events: WatchEvent[] = [];
  handles.push(
    store.watch({ service, afterRevision }, (event) => events.push(event)),
  );
  return events;
}

beforeEach(async () => {
  store = createMemoryStore({ historySize: 5 });
  handles = [];
  await store.start();
});

afterEach(async () => {
  for (const handle of handles) handle.close();
  await store.stop();
});

describe('MemoryStore leases', () => {
  it('keeps an instance whose lease is kept alive past its time to live', async () => {
    const lease = await store.grantLease(TTL_MS);
    await store.put(record('a'), lease);

    for (let i = 0; i < 16; i++) {
      await sleep(TTL_MS / 8);
      await lease.keepAlive();
    }

    expect(ids((await store.read()).instances)).toEqual(['a']);
  });

  it('removes the instances of an expired lease (heartbeat missed), calls onExpired', async () => {
    const lease = await store.grantLease(TTL_MS);
    await store.put(record('a'), lease);
    const events = watch();
    const catalogsSeenOnExpiry: string[][] = [];
    lease.onExpired(() => {
      void store
        .read()
        .then((v) => catalogsSeenOnExpiry.push(ids(v.instances)));
    });

    await waitFor(() => catalogsSeenOnExpiry.length > 0, { timeoutMs: 2_000 });
    await sleep(TTL_MS * 2);

    expect(catalogsSeenOnExpiry).toEqual([[]]);
    expect(events.map(describeEvent)).toEqual([
      '1 snapshot [a]',
      `2 removal a ${RemovalReason.REMOVAL_REASON_HEARTBEAT_MISSED}`,
    ]);
  });

  it('removes the instances of a revoked lease by its reason, skips onExpired', async () => {
    const lease = await store.grantLease(TTL_MS);
    await store.put(record('a'), lease);
    await store.put(record('b'), lease);
    const events = watch();
    let expired = 0;
    lease.onExpired(() => expired++);

    await lease.revoke(RemovalReason.REMOVAL_REASON_STREAM_CLOSED);
    await sleep(TTL_MS * 3);

    expect(expired).toBe(0);
    expect((await store.read()).instances).toEqual([]);
    expect(events.slice(1).map(describeEvent)).toEqual([
      `3 removal a ${RemovalReason.REMOVAL_REASON_STREAM_CLOSED}`,
      `4 removal b ${RemovalReason.REMOVAL_REASON_STREAM_CLOSED}`,
    ]);
  });

  it('refuses to keep alive a lease that has ended', async () => {
    const lease = await store.grantLease(LONG_TTL_MS);
    await lease.revoke(RemovalReason.REMOVAL_REASON_STREAM_CLOSED);

    await expect(lease.keepAlive()).rejects.toThrow(
      `store: lease "${lease.id}" has ended`,
    );
  });

  it('treats a second revoke as done', async () => {
    const lease = await store.grantLease(LONG_TTL_MS);
    await store.put(record('a'), lease);
    await lease.revoke(RemovalReason.REMOVAL_REASON_STREAM_CLOSED);
    const revision = await store.currentRevision();

    await lease.revoke(RemovalReason.REMOVAL_REASON_HEARTBEAT_MISSED);

    expect(await store.currentRevision()).toBe(revision);
  });
});

describe('MemoryStore.put', () => {
  it('refuses an id held by another live lease and leaves the catalog unchanged', async () => {
    const holder = await store.grantLease(LONG_TTL_MS);
    await store.put(record('a', 'first.v1.A'), holder);
    const before = await store.read();
    const events = watch();
    const intruder = await store.grantLease(LONG_TTL_MS);

    const refusal = store.put(record('a', 'second.v1.B'), intruder);

    await expect(refusal).rejects.toBeInstanceOf(InstanceIdTakenError);
    await expect(refusal).rejects.toMatchObject({
      instanceId: 'a',
      message: 'instance id "a" is held by another live instance',
    });
    expect(await store.read()).toEqual(before);
    expect(events.map(describeEvent)).toEqual(['1 snapshot [a]']);
  });

  it('accepts the id again once the lease that held it has ended', async () => {
    const first = await store.grantLease(LONG_TTL_MS);
    await store.put(record('a'), first);
    await first.revoke(RemovalReason.REMOVAL_REASON_STREAM_CLOSED);
    const second = await store.grantLease(LONG_TTL_MS);

    const revision = await store.put(record('a', 'other.v1.B'), second);

    expect(revision).toBe(3);
    const view = await store.read();
    expect(view.instances.map((r) => r.services[0].name)).toEqual([
      'other.v1.B',
    ]);
  });

  it('replaces an instance put again under the same lease', async () => {
    const lease = await store.grantLease(LONG_TTL_MS);
    await store.put(record('a', 'first.v1.A'), lease);

    await store.put(record('a', 'second.v1.B'), lease);

    expect(ids((await store.read('first.v1.A')).instances)).toEqual([]);
    expect(ids((await store.read('second.v1.B')).instances)).toEqual(['a']);
  });

  it('refuses a put under a lease that has ended', async () => {
    const lease = await store.grantLease(LONG_TTL_MS);
    await lease.revoke(RemovalReason.REMOVAL_REASON_STREAM_CLOSED);

    await expect(store.put(record('a'), lease)).rejects.toThrow(
      `store: lease "${lease.id}" has ended`,
    );
    expect((await store.read()).instances).toEqual([]);
  });

  it('keeps its own copy of the record', async () => {
    const lease = await store.grantLease(LONG_TTL_MS);
    const mine = record('a');
    await store.put(mine, lease);

    mine.address = '10.0.0.1:1';

    expect((await store.read()).instances[0].address).toBe('127.0.0.1:50051');
  });
});

describe('MemoryStore.setState', () => {
  it('marks an instance draining and publishes the change', async () => {
    const lease = await store.grantLease(LONG_TTL_MS);
    await store.put(record('a'), lease);
    const events = watch();

    const revision = await store.setState(
      'a',
      InstanceState.INSTANCE_STATE_DRAINING,
    );

    expect(revision).toBe(2);
    expect((await store.read()).instances[0].state).toBe(
      InstanceState.INSTANCE_STATE_DRAINING,
    );
    expect(events.map(describeEvent)).toEqual(['1 snapshot [a]', '2 upsert a']);
  });

  it('publishes nothing for an unknown instance or an unchanged state', async () => {
    const lease = await store.grantLease(LONG_TTL_MS);
    await store.put(record('a'), lease);
    const events = watch();

    const unknown = await store.setState(
      'nobody',
      InstanceState.INSTANCE_STATE_DRAINING,
    );
    const unchanged = await store.setState(
      'a',
      InstanceState.INSTANCE_STATE_SERVING,
    );

    expect([unknown, unchanged]).toEqual([1, 1]);
    expect(events.map(describeEvent)).toEqual(['1 snapshot [a]']);
  });
});

describe('MemoryStore.watch', () => {
  it('delivers a snapshot, then every change in order with revisions one apart', async () => {
    const events = watch();
    const a = await store.grantLease(LONG_TTL_MS);
    const b = await store.grantLease(LONG_TTL_MS);

    await store.put(record('a'), a);
    await store.put(record('b'), b);
    await store.setState('a', InstanceState.INSTANCE_STATE_DRAINING);
    await a.revoke(RemovalReason.REMOVAL_REASON_STREAM_CLOSED);
    await store.put(record('c'), b);

    expect(events.map(describeEvent)).toEqual([
      '0 snapshot []',
      '1 upsert a',
      '2 upsert b',
      '3 upsert a',
      `4 removal a ${RemovalReason.REMOVAL_REASON_STREAM_CLOSED}`,
      '5 upsert c',
    ]);
  });

  it('delivers only the changes of instances that serve the watched service', async () => {
    const lease = await store.grantLease(LONG_TTL_MS);
    await store.put(record('before', 'game.v1.Session'), lease);
    const events = watch('game.v1.Session');
    const other = await store.grantLease(LONG_TTL_MS);

    await store.put(record('user', 'game.v1.User'), other);
    await store.put(record('session', 'game.v1.Session'), other);
    await store.setState('user', InstanceState.INSTANCE_STATE_DRAINING);
    await other.revoke(RemovalReason.REMOVAL_REASON_STREAM_CLOSED);

    expect(events.map(describeEvent)).toEqual([
      '1 snapshot [before]',
      '3 upsert session',
      `6 removal session ${RemovalReason.REMOVAL_REASON_STREAM_CLOSED}`,
    ]);
  });

  it('resumes after a revision with only the changes after it', async () => {
    const lease = await store.grantLease(LONG_TTL_MS);
    await store.put(record('a'), lease);
    await store.put(record('b'), lease);
    await store.put(record('c'), lease);

    const events = watch(undefined, 1);

    expect(events.map(describeEvent)).toEqual(['2 upsert b', '3 upsert c']);
  });

  it('resumes with nothing to catch up when asked for the current revision', async () => {
    const lease = await store.grantLease(LONG_TTL_MS);
    await store.put(record('a'), lease);

    const events = watch(undefined, 1);
    await store.put(record('b'), lease);

    expect(events.map(describeEvent)).toEqual(['2 upsert b']);
  });

  it('starts with a snapshot when the changes after the revision are no longer kept', async () => {
    const lease = await store.grantLease(LONG_TTL_MS);
    for (let i = 0; i < 8; i++) await store.put(record(`i${i}`), lease);

    const kept = watch(undefined, 3);
    const dropped = watch(undefined, 2);

    expect(kept.map(describeEvent)).toEqual([
      '4 upsert i3',
      '5 upsert i4',
      '6 upsert i5',
      '7 upsert i6',
      '8 upsert i7',
    ]);
    expect(dropped.map(describeEvent)).toEqual([
      '8 snapshot [i0,i1,i2,i3,i4,i5,i6,i7]',
    ]);
  });

  it('starts with a snapshot when asked for a revision ahead of the store', async () => {
    const lease = await store.grantLease(LONG_TTL_MS);
    await store.put(record('a'), lease);

    const events = watch(undefined, 99);

    expect(events.map(describeEvent)).toEqual(['1 snapshot [a]']);
  });

  it('stops delivering once closed', async () => {
    const events: WatchEvent[] = [];
    const handle = store.watch({ afterRevision: 0 }, (e) => events.push(e));
    const lease = await store.grantLease(LONG_TTL_MS);

    handle.close();
    handle.close();
    await store.put(record('a'), lease);

    expect(events.map(describeEvent)).toEqual(['0 snapshot []']);
  });
});

describe('MemoryStore.stop', () => {
  it('removes every instance as REGISTRY_STOPPING and ends every watch', async () => {
    const a = await store.grantLease(LONG_TTL_MS);
    const b = await store.grantLease(LONG_TTL_MS);
    await store.put(record('a'), a);
    await store.put(record('b'), b);
    const events = watch();
    let expired = 0;
    a.onExpired(() => expired++);

    await store.stop();
    const late = await store.grantLease(LONG_TTL_MS);
    await store.put(record('late'), late);

    const stopping = RemovalReason.REMOVAL_REASON_REGISTRY_STOPPING;
    expect(events.map(describeEvent)).toEqual([
      '2 snapshot [a,b]',
      `3 removal a ${stopping}`,
      `4 removal b ${stopping}`,
    ]);
    expect(expired).toBe(0);
    await expect(a.keepAlive()).rejects.toThrow('has ended');
  });
});
