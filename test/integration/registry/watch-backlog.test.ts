import { status } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';
import { InstanceState } from '../../../gen/switchboard/v1/registry';
import type { WatchResponse } from '../../../gen/switchboard/v1/registry';
import { createRegistry } from '../../../registry';
import type { Registry } from '../../../registry';
import {
  announcementOf,
  createRegistryClient,
  openAnnounce,
} from '../../helpers/registry-client';
import { withTimeout } from '../../helpers/wait';

/** 64 labels of 250 characters: every upsert is some 17 KB on the wire. */
function heavyLabels(): Record<string, string> {
  const labels: Record<string, string> = {};
  for (let i = 0; i < 64; i++) labels[`label-${i}`] = 'x'.repeat(250);
  return labels;
}

describe('Registry.watch with a watcher that does not read', () => {
  let registry: Registry;

  beforeAll(async () => {
    registry = createRegistry({ limits: { maxWatchBacklog: 5 } });
    await registry.start();
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('ends the watch with RESOURCE_EXHAUSTED instead of holding its backlog', async () => {
    const client = createRegistryClient(registry.address);
    const watch = client.watch({ service: '', afterRevision: 0, epoch: '' });
    const received: WatchResponse[] = [];
    watch.on('data', (response: WatchResponse) => received.push(response));
    watch.on('error', () => undefined);
    const ended = new Promise<StatusObject>((resolve) =>
      watch.on('status', resolve),
    );
    watch.pause();
    const instance = openAnnounce(client, {
      ...announcementOf('heavy-1'),
      labels: heavyLabels(),
    });
    try {
      await instance.lease;
      for (let i = 0; i < 40; i++) {
        await instance.setState(
          i % 2 === 0
            ? InstanceState.INSTANCE_STATE_DRAINING
            : InstanceState.INSTANCE_STATE_SERVING,
        );
      }
      watch.resume();
      const outcome = await withTimeout(ended, 10_000, 'the watch to end');
      expect(outcome.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(outcome.details).toMatch(
        /^watch: the watcher fell 5 messages behind at revision \d+; /,
      );
      expect(outcome.details).toMatch(
        /; watch again after the last revision it read$/,
      );
      expect(received.length).toBeLessThan(41);
    } finally {
      instance.cancel();
      client.close();
    }
  });
});
