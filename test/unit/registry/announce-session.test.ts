import { status } from '@grpc/grpc-js';
import { RemovalReason } from '../../../gen/switchboard/v1/registry';
import type { RegistryClient } from '../../../gen/switchboard/v1/registry';
import { createRegistry } from '../../../registry/registry-server';
import type { Registry } from '../../../registry/registry-server';
import type { InstanceRecord, Lease, Store } from '../../../registry/store';
import { createMemoryStore } from '../../../registry/store-memory';
import {
  announcementOf,
  createRegistryClient,
  openAnnounce,
  recordWatch,
  resolvedIds,
} from '../../helpers/registry-client';
import { sleep, waitFor, withTimeout } from '../../helpers/wait';

/**
 * A memory store whose writes take `delayMs`, as a remote store's do, and
 * that says when a write has started.
 */
function createSlowStore(delayMs: number) {
  const store = createMemoryStore();
  const counts = { putsStarted: 0 };
  const put = async (instance: InstanceRecord, lease: Lease) => {
    counts.putsStarted++;
    await sleep(delayMs);
    return store.put(instance, lease);
  };
  const slow = new Proxy(store, {
    get(target, property) {
      if (property === 'put') return put;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: slow as Store, counts };
}

describe('AnnounceSession', () => {
  let registry: Registry;
  let client: RegistryClient;

  afterEach(async () => {
    client?.close();
    await registry?.stop(1_000);
  });

  it('removes an instance whose stream ended while the store was still writing it', async () => {
    const { store, counts } = createSlowStore(100);
    registry = createRegistry({ store, heartbeatIntervalMs: 10_000 });
    client = createRegistryClient(await registry.start());
    const recording = recordWatch(client, { service: 'slow.v1.A' });
    await recording.waitForEvents(1);

    const stream = openAnnounce(client, announcementOf('slow-1', 'slow.v1.A'));
    await waitFor(() => counts.putsStarted === 1, { timeoutMs: 2_000 });
    stream.cancel();

    const events = await recording.waitForEvents(3, 2_000);
    expect(events.slice(1).map((e) => e.event?.$case)).toEqual([
      'upsert',
      'removal',
    ]);
    expect(events[2].event).toMatchObject({
      value: { reason: RemovalReason.REMOVAL_REASON_STREAM_CLOSED },
    });
    expect(await resolvedIds(client, 'slow.v1.A')).toEqual([]);
    recording.cancel();
  });

  it('tells watchers that instances left because the registry stops', async () => {
    registry = createRegistry({ heartbeatIntervalMs: 10_000 });
    client = createRegistryClient(await registry.start());
    const stream = openAnnounce(client, announcementOf('stop-1', 'stop.v1.A'));
    await stream.lease;
    const recording = recordWatch(client, { service: 'stop.v1.A' });
    await recording.waitForEvents(1);

    await registry.stop(1_000);

    const ended = await withTimeout(stream.ended, 2_000, 'the stream end');
    expect(ended.code).toBe(status.UNAVAILABLE);
    await withTimeout(recording.ended, 2_000, 'the watch end');
    expect(recording.events[1]?.event).toEqual({
      $case: 'removal',
      value: {
        instanceId: 'stop-1',
        reason: RemovalReason.REMOVAL_REASON_REGISTRY_STOPPING,
      },
    });
  });
});
