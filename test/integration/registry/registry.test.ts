import { Client, credentials, status } from '@grpc/grpc-js';
import {
  InstanceState,
  RemovalReason,
  StreamingKind,
} from '../../../gen/switchboard/v1/registry';
import type {
  RegistryClient,
  WatchResponse,
} from '../../../gen/switchboard/v1/registry';
import {
  announcementOf,
  checkHealth,
  createHealthClient,
  createRegistryClient,
  listServices,
  openAnnounce,
  openRawAnnounce,
  recordWatch,
  resolveTarget,
  resolvedIds,
} from '../../helpers/registry-client';
import type {
  AnnounceStream,
  HealthClient,
  WatchRecording,
} from '../../helpers/registry-client';
import { startRegistryProcess } from '../../helpers/registry-process';
import type { RegistryProcess } from '../../helpers/registry-process';
import { waitFor, withTimeout } from '../../helpers/wait';

const HEARTBEAT_INTERVAL_MS = 100;
const HEARTBEAT_DEADLINE_MS = 500;

let registry: RegistryProcess;
let client: RegistryClient;
let health: HealthClient;
const streams: AnnounceStream[] = [];
const watches: WatchRecording[] = [];

/** Announces with heartbeats; the stream is cancelled after the test. */
function announce(...args: Parameters<typeof openAnnounce>): AnnounceStream {
  const stream = openAnnounce(...args);
  streams.push(stream);
  return stream;
}

/** Records a watch; it is cancelled after the test. */
function watch(...args: Parameters<typeof recordWatch>): WatchRecording {
  const recording = recordWatch(...args);
  watches.push(recording);
  return recording;
}

function eventCase(event: WatchResponse): string | undefined {
  return event.event?.$case;
}

beforeAll(async () => {
  registry = await startRegistryProcess([
    '--heartbeat-interval-ms',
    String(HEARTBEAT_INTERVAL_MS),
    '--heartbeat-deadline-ms',
    String(HEARTBEAT_DEADLINE_MS),
  ]);
  client = createRegistryClient(registry.address);
  health = createHealthClient(registry.address);
});

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.cancel();
  for (const recording of watches.splice(0)) recording.cancel();
});

afterAll(async () => {
  client?.close();
  health?.close();
  await registry?.stop();
});

describe('switchboard registry', () => {
  it('answers health SERVING for the server and for its Registry service', async () => {
    expect(await checkHealth(health)).toBe('SERVING');
    expect(await checkHealth(health, 'switchboard.v1.Registry')).toBe(
      'SERVING',
    );
  });
});

describe('Registry.Announce', () => {
  it('grants a lease with the configured heartbeat terms', async () => {
    const stream = announce(client, announcementOf('terms-1', 'terms.v1.A'));

    const lease = await stream.lease;

    expect(lease.heartbeatIntervalMs).toBe(HEARTBEAT_INTERVAL_MS);
    expect(lease.heartbeatDeadlineMs).toBe(HEARTBEAT_DEADLINE_MS);
    expect(lease.revision).toBeGreaterThan(0);
  });

  it('makes an instance resolvable and shows it to a watcher (snapshot, upsert)', async () => {
    const recording = watch(client, { service: 'flow.v1.Echo' });
    await recording.waitForEvents(1);

    const stream = announce(
      client,
      announcementOf('flow-1', 'flow.v1.Echo', ['Say'], '127.0.0.1:6001'),
    );
    const lease = await stream.lease;

    expect(await resolvedIds(client, 'flow.v1.Echo')).toEqual(['flow-1']);
    const [snapshot, upsert] = await recording.waitForEvents(2);
    expect(snapshot.event).toEqual({
      $case: 'snapshot',
      value: { instances: [] },
    });
    expect(upsert.revision).toBe(lease.revision);
    expect(upsert.event).toMatchObject({
      $case: 'upsert',
      value: {
        instanceId: 'flow-1',
        address: '127.0.0.1:6001',
        weight: 1,
        state: InstanceState.INSTANCE_STATE_SERVING,
      },
    });
  });

  it('shows a later watcher the instance in its snapshot', async () => {
    const stream = announce(client, announcementOf('late-1', 'late.v1.Echo'));
    await stream.lease;

    const recording = watch(client, { service: 'late.v1.Echo' });
    const [snapshot] = await recording.waitForEvents(1);

    expect(snapshot.event?.$case).toBe('snapshot');
    const instances =
      snapshot.event?.$case === 'snapshot'
        ? snapshot.event.value.instances
        : [];
    expect(instances.map((i) => i.instanceId)).toEqual(['late-1']);
  });

  it('removes an instance at once when its stream is closed', async () => {
    const stream = announce(client, announcementOf('close-1', 'close.v1.A'));
    await stream.lease;
    const recording = watch(client, { service: 'close.v1.A' });
    await recording.waitForEvents(1);

    stream.end();

    const events = await recording.waitForEvents(2, HEARTBEAT_DEADLINE_MS / 2);
    expect(events[1].event).toEqual({
      $case: 'removal',
      value: {
        instanceId: 'close-1',
        reason: RemovalReason.REMOVAL_REASON_STREAM_CLOSED,
      },
    });
    expect(await resolvedIds(client, 'close.v1.A')).toEqual([]);
    expect((await stream.ended).code).toBe(status.OK);
  });

  it('removes an instance at once when its stream is cancelled (its process died)', async () => {
    const stream = announce(client, announcementOf('cancel-1', 'cancel.v1.A'));
    await stream.lease;
    const recording = watch(client, { service: 'cancel.v1.A' });
    await recording.waitForEvents(1);

    stream.cancel();

    const events = await recording.waitForEvents(2, HEARTBEAT_DEADLINE_MS / 2);
    expect(events[1].event).toEqual({
      $case: 'removal',
      value: {
        instanceId: 'cancel-1',
        reason: RemovalReason.REMOVAL_REASON_STREAM_CLOSED,
      },
    });
  });

  it('removes a silent instance after the deadline, ending its stream UNAVAILABLE', async () => {
    const recording = watch(client, { service: 'silent.v1.A' });
    await recording.waitForEvents(1);
    const stream = announce(client, announcementOf('silent-1', 'silent.v1.A'), {
      heartbeats: false,
    });
    await stream.lease;
    const announcedAt = Date.now();

    const ended = await withTimeout(stream.ended, 5_000, 'the silent stream');

    const silentMs = Date.now() - announcedAt;
    expect(silentMs).toBeGreaterThanOrEqual(HEARTBEAT_DEADLINE_MS - 50);
    expect(ended.code).toBe(status.UNAVAILABLE);
    expect(ended.details).toBe(
      `announce: no heartbeat within ${HEARTBEAT_DEADLINE_MS} ms; the instance ` +
        `was removed, announce again`,
    );
    const events = await recording.waitForEvents(3);
    expect(events[2].event).toEqual({
      $case: 'removal',
      value: {
        instanceId: 'silent-1',
        reason: RemovalReason.REMOVAL_REASON_HEARTBEAT_MISSED,
      },
    });
    expect(await resolvedIds(client, 'silent.v1.A')).toEqual([]);
  });

  it('keeps an instance that sends heartbeats over several deadlines', async () => {
    const stream = announce(client, announcementOf('beat-1', 'beat.v1.A'));
    await stream.lease;

    await new Promise((resolve) =>
      setTimeout(resolve, HEARTBEAT_DEADLINE_MS * 2.5),
    );

    expect(await resolvedIds(client, 'beat.v1.A')).toEqual(['beat-1']);
    const acks = stream.responses.filter((r) => r.kind?.$case === 'ack');
    expect(acks.length).toBeGreaterThanOrEqual(5);
  });

  it('ends a stream that never announces with DEADLINE_EXCEEDED', async () => {
    const raw = new Client(registry.address, credentials.createInsecure());
    try {
      const call = openRawAnnounce(raw);
      call.on('error', () => undefined);
      const ended = new Promise<{ code: number; details: string }>((resolve) =>
        call.on('status', resolve),
      );

      const outcome = await withTimeout(ended, 5_000, 'the idle stream');

      expect(outcome.code).toBe(status.DEADLINE_EXCEEDED);
      expect(outcome.details).toBe(
        `announce: no announcement within ${HEARTBEAT_DEADLINE_MS} ms of opening the stream`,
      );
    } finally {
      raw.close();
    }
  });

  it('stops resolving a draining instance but lists it as draining', async () => {
    const a = announce(client, announcementOf('drain-a', 'drain.v1.A'));
    const b = announce(client, announcementOf('drain-b', 'drain.v1.A'));
    await Promise.all([a.lease, b.lease]);
    const recording = watch(client, { service: 'drain.v1.A' });
    await recording.waitForEvents(1);

    const revision = await b.setState(InstanceState.INSTANCE_STATE_DRAINING);

    expect(await resolvedIds(client, 'drain.v1.A')).toEqual(['drain-a']);
    const summary = (await listServices(client)).services.find(
      (s) => s.name === 'drain.v1.A',
    );
    expect(summary?.servingInstanceIds).toEqual(['drain-a']);
    expect(summary?.drainingInstanceIds).toEqual(['drain-b']);
    const [, upsert] = await recording.waitForEvents(2);
    expect(upsert.revision).toBe(revision);
    expect(upsert.event).toMatchObject({
      $case: 'upsert',
      value: {
        instanceId: 'drain-b',
        state: InstanceState.INSTANCE_STATE_DRAINING,
      },
    });
  });

  it('resolves a draining instance again once it is back to serving', async () => {
    const a = announce(client, {
      ...announcementOf('back-a', 'back.v1.A'),
      state: InstanceState.INSTANCE_STATE_DRAINING,
    });
    await a.lease;
    expect(await resolvedIds(client, 'back.v1.A')).toEqual([]);

    await a.setState(InstanceState.INSTANCE_STATE_SERVING);

    expect(await resolvedIds(client, 'back.v1.A')).toEqual(['back-a']);
  });
});

describe('Registry.Resolve', () => {
  it('resolves a full method name to the instances that serve that method', async () => {
    const both = announce(
      client,
      announcementOf('method-a', 'method.v1.Echo', ['Say', 'Shout']),
    );
    const sayOnly = announce(
      client,
      announcementOf('method-b', 'method.v1.Echo', ['Say']),
    );
    await Promise.all([both.lease, sayOnly.lease]);

    expect(await resolvedIds(client, '/method.v1.Echo/Shout')).toEqual([
      'method-a',
    ]);
    expect(await resolvedIds(client, '/method.v1.Echo/Say')).toEqual([
      'method-a',
      'method-b',
    ]);
    expect(await resolvedIds(client, '/method.v1.Echo/Whisper')).toEqual([]);
    expect(await resolvedIds(client, 'method.v1.Echo')).toEqual([
      'method-a',
      'method-b',
    ]);
  });

  it('answers the whole instance, with its labels, weight and methods', async () => {
    const stream = announce(client, {
      ...announcementOf('whole-1', 'whole.v1.Game', ['Play']),
      labels: { zone: 'eu-1', version: '2' },
      weight: 3,
    });
    await stream.lease;

    const { instances } = await resolveTarget(client, 'whole.v1.Game');

    expect(instances).toHaveLength(1);
    expect(instances[0]).toEqual({
      instanceId: 'whole-1',
      address: '127.0.0.1:50051',
      services: [
        {
          name: 'whole.v1.Game',
          methods: [
            {
              fullName: '/whole.v1.Game/Play',
              kind: StreamingKind.STREAMING_KIND_UNARY,
            },
          ],
        },
      ],
      labels: { zone: 'eu-1', version: '2' },
      weight: 3,
      state: InstanceState.INSTANCE_STATE_SERVING,
      announcedAtMs: expect.any(Number),
    });
  });

  it('answers no instances for a service nobody serves', async () => {
    expect(await resolvedIds(client, 'nobody.v1.Here')).toEqual([]);
  });
});

describe('Registry.Watch', () => {
  it('resumes after a revision of its epoch with only the changes after it', async () => {
    const earlier = watch(client, { service: 'resume.v1.A' });
    const [{ epoch }] = await earlier.waitForEvents(1);
    const first = announce(client, announcementOf('resume-1', 'resume.v1.A'));
    const seen = (await first.lease).revision;
    const second = announce(client, announcementOf('resume-2', 'resume.v1.A'));
    await second.lease;
    first.end();
    await first.ended;

    const recording = watch(client, {
      service: 'resume.v1.A',
      afterRevision: seen,
      epoch,
    });
    const events = await recording.waitForEvents(2);

    expect(events.map(eventCase)).toEqual(['upsert', 'removal']);
    expect(events[0].revision).toBeGreaterThan(seen);
    expect(events[1].revision).toBeGreaterThan(events[0].revision);
    expect(events[0].event).toMatchObject({
      value: { instanceId: 'resume-2' },
    });
    expect(events[1].event).toMatchObject({
      value: { instanceId: 'resume-1' },
    });
  });

  it('starts with a snapshot when asked to resume after a revision it never reached', async () => {
    const earlier = watch(client, { service: 'future.v1.A' });
    const [{ epoch }] = await earlier.waitForEvents(1);
    const stream = announce(client, announcementOf('future-1', 'future.v1.A'));
    await stream.lease;

    const recording = watch(client, {
      service: 'future.v1.A',
      afterRevision: 1_000_000,
      epoch,
    });
    const [snapshot] = await recording.waitForEvents(1);

    expect(snapshot.event?.$case).toBe('snapshot');
    expect(snapshot.revision).toBeLessThan(1_000_000);
  });

  it('starts with a snapshot when the revision is of another epoch', async () => {
    const stream = announce(client, announcementOf('epoch-1', 'epoch.v1.A'));
    const seen = (await stream.lease).revision;

    const recording = watch(client, {
      service: 'epoch.v1.A',
      afterRevision: seen - 1,
      epoch: 'a-catalog-that-restarted',
    });
    const [snapshot] = await recording.waitForEvents(1);

    expect(snapshot.event?.$case).toBe('snapshot');
    expect(snapshot.epoch).not.toBe('a-catalog-that-restarted');
  });

  it('follows the whole catalog when no service is given', async () => {
    const recording = watch(client, { service: '' });
    const [snapshot] = await recording.waitForEvents(1);

    const x = announce(client, announcementOf('all-x', 'allx.v1.A'));
    const y = announce(client, announcementOf('all-y', 'ally.v1.B'));
    await Promise.all([x.lease, y.lease]);

    const events = await recording.waitForEvents(3);
    expect(snapshot.event?.$case).toBe('snapshot');
    const ids = events
      .slice(1)
      .map((e) =>
        e.event?.$case === 'upsert' ? e.event.value.instanceId : '',
      );
    expect(ids.sort()).toEqual(['all-x', 'all-y']);
    for (let i = 1; i < events.length; i++) {
      expect(events[i].revision).toBeGreaterThan(events[i - 1].revision);
    }
  });
});

describe('switchboard registry process', () => {
  it('on SIGTERM ends announces with UNAVAILABLE, tells watchers, exits with 0', async () => {
    const own = await startRegistryProcess();
    const ownClient = createRegistryClient(own.address);
    try {
      const stream = openAnnounce(
        ownClient,
        announcementOf('stop-1', 'stop.v1.A'),
        { heartbeats: false },
      );
      await stream.lease;
      const recording = recordWatch(ownClient, { service: 'stop.v1.A' });
      await recording.waitForEvents(1);

      const code = await own.stop();

      expect(code).toBe(0);
      const ended = await stream.ended;
      expect(ended.code).toBe(status.UNAVAILABLE);
      expect(ended.details).toBe(
        'announce: the registry is stopping; announce again to another replica ' +
          'or after it restarts',
      );
      expect((await recording.ended).code).toBe(status.OK);
      expect(recording.events[1]?.event).toEqual({
        $case: 'removal',
        value: {
          instanceId: 'stop-1',
          reason: RemovalReason.REMOVAL_REASON_REGISTRY_STOPPING,
        },
      });
    } finally {
      ownClient.close();
      await own.kill();
    }
  });

  it('restarts on the same port with an empty catalog', async () => {
    const first = await startRegistryProcess();
    const port = first.port;
    await first.stop();

    const second = await startRegistryProcess(['--port', String(port)]);
    const secondClient = createRegistryClient(second.address);
    try {
      expect(second.address).toBe(first.address);
      expect((await listServices(secondClient)).services).toEqual([]);
    } finally {
      secondClient.close();
      await second.stop();
    }
  });

  it('refuses an unknown flag with exit code 2 and says which', async () => {
    const failure = await startRegistryProcess(['--colour', 'blue']).then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    expect(failure?.message).toContain('exited before listening (code 2');
    expect(failure?.message).toContain(
      'registry: unknown argument "--colour"; see --help',
    );
  });

  it('logs membership changes as JSON lines with a component field', async () => {
    const stream = announce(client, announcementOf('log-1', 'log.v1.A'));
    await stream.lease;

    const line = await waitFor(() =>
      registry
        .logs()
        .find(
          (l) => l.msg === 'instance announced' && l.instanceId === 'log-1',
        ),
    );

    expect(line).toMatchObject({
      component: 'registry',
      services: ['log.v1.A'],
      state: 'serving',
    });
  });
});

// Kinds other than unary travel the same way; one announcement with all
// four shows they are kept as announced.
describe('Registry.Announce with every streaming kind', () => {
  it('keeps each method kind as announced', async () => {
    const kinds = [
      StreamingKind.STREAMING_KIND_UNARY,
      StreamingKind.STREAMING_KIND_SERVER_STREAM,
      StreamingKind.STREAMING_KIND_CLIENT_STREAM,
      StreamingKind.STREAMING_KIND_BIDI_STREAM,
    ];
    const stream = announce(client, {
      ...announcementOf('kinds-1', 'kinds.v1.A'),
      services: [
        {
          name: 'kinds.v1.A',
          methods: kinds.map((kind, i) => ({
            fullName: `/kinds.v1.A/M${i}`,
            kind,
          })),
        },
      ],
    });
    await stream.lease;

    const summary = (await listServices(client)).services.find(
      (s) => s.name === 'kinds.v1.A',
    );

    expect(summary?.methods.map((m) => m.kind)).toEqual(kinds);
  });
});
