import {
  Client,
  Metadata,
  credentials,
  makeGenericClientConstructor,
} from '@grpc/grpc-js';
import type {
  ClientDuplexStream,
  ServiceError,
  StatusObject,
} from '@grpc/grpc-js';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';
import { service as healthService } from 'grpc-health-check';
import { DESCRIPTOR_SET } from '../../gen/descriptors';
import {
  InstanceState,
  RegistryClient,
  StreamingKind,
  WatchRequest,
} from '../../gen/switchboard/v1/registry';
import type {
  AnnounceRequest,
  AnnounceResponse,
  InstanceAnnouncement,
  LeaseTerms,
  ListServicesResponse,
  ResolveResponse,
  WatchResponse,
} from '../../gen/switchboard/v1/registry';
import { waitFor, withTimeout } from './wait';

/**
 * Typed clients of a registry, and small promise-based wrappers around its
 * calls, for tests that talk to a real registry. Every call here carries a
 * deadline or is bounded by the caller's wait, so a test never hangs on a
 * registry that stopped answering.
 */

const CALL_TIMEOUT_MS = 5_000;
const ANNOUNCE_PATH = '/switchboard.v1.Registry/Announce';

/** A plain insecure client of `switchboard.v1.Registry` at `address`. */
export function createRegistryClient(address: string): RegistryClient {
  return new RegistryClient(address, credentials.createInsecure());
}

/** The one call of `grpc.health.v1.Health` the tests need. */
export interface HealthClient extends Client {
  check(
    request: { service: string },
    metadata: Metadata,
    options: { deadline: number },
    callback: (
      error: ServiceError | null,
      response: { status: string },
    ) => void,
  ): void;
}

const HealthClientConstructor = makeGenericClientConstructor(
  healthService,
  'grpc.health.v1.Health',
) as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
) => HealthClient;

/** A client of the standard health service at `address`. */
export function createHealthClient(address: string): HealthClient {
  return new HealthClientConstructor(address, credentials.createInsecure());
}

/**
 * Asks the health service for the status of `service` (the whole server
 * when empty) and resolves to `SERVING`, `NOT_SERVING`…
 */
export function checkHealth(
  client: HealthClient,
  service = '',
): Promise<string> {
  return new Promise((resolve, reject) =>
    client.check({ service }, new Metadata(), deadline(), (error, response) =>
      error ? reject(error) : resolve(response.status),
    ),
  );
}

/** Resolves a target (`pkg.Service` or `/pkg.Service/Method`). */
export function resolveTarget(
  client: RegistryClient,
  target: string,
): Promise<ResolveResponse> {
  return new Promise((resolve, reject) =>
    client.resolve({ target }, new Metadata(), deadline(), (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

/** The whole catalog grouped by service. */
export function listServices(
  client: RegistryClient,
): Promise<ListServicesResponse> {
  return new Promise((resolve, reject) =>
    client.listServices({}, new Metadata(), deadline(), (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

/** The ids of the serving instances `target` resolves to, sorted. */
export async function resolvedIds(
  client: RegistryClient,
  target: string,
): Promise<string[]> {
  const response = await resolveTarget(client, target);
  return response.instances.map((i) => i.instanceId).sort();
}

/**
 * Resolves to the error `promise` fails with; fails the test if it
 * succeeds instead. For asserting a status code and message together.
 */
export async function callError(promise: Promise<unknown>): Promise<{
  code: number;
  details: string;
}> {
  try {
    await promise;
  } catch (error: unknown) {
    const { code, details } = error as ServiceError;
    return { code, details };
  }
  throw new Error('callError: the call succeeded; expected it to fail');
}

/** A watch stream being recorded. */
export interface WatchRecording {
  /** Every message received so far, in order. */
  readonly events: WatchResponse[];
  /** Settles with the final status when the stream ends. */
  readonly ended: Promise<StatusObject>;
  /** Waits (bounded) until at least `count` messages have arrived. */
  waitForEvents(count: number, timeoutMs?: number): Promise<WatchResponse[]>;
  /** Cancels the stream; the recording keeps what it has. */
  cancel(): void;
}

/** Opens a Watch stream and records every message it brings. */
export function recordWatch(
  client: RegistryClient,
  request: Partial<WatchRequest> = {},
): WatchRecording {
  const call = client.watch(WatchRequest.fromPartial(request));
  const events: WatchResponse[] = [];
  call.on('data', (event: WatchResponse) => events.push(event));
  // The status event carries the outcome; without a listener, an 'error'
  // event would be thrown.
  call.on('error', () => undefined);
  const ended = new Promise<StatusObject>((resolve) =>
    call.on('status', resolve),
  );
  return {
    events,
    ended,
    cancel: () => call.cancel(),
    waitForEvents: (count, timeoutMs = CALL_TIMEOUT_MS) =>
      waitFor(() => (events.length >= count ? events : undefined), {
        timeoutMs,
        intervalMs: 5,
        description: () => `${count} watch events (have ${events.length})`,
      }),
  };
}

/** Options of {@link openAnnounce}. */
export interface AnnounceOptions {
  /**
   * Send heartbeats at the interval of the lease terms, so that the
   * instance stays live for as long as the stream is open. Default true.
   */
  heartbeats?: boolean;
}

/** An open Announce stream: one instance's lease, seen from the instance. */
export interface AnnounceStream {
  readonly call: ClientDuplexStream<AnnounceRequest, AnnounceResponse>;
  /** Every message the registry sent, in order. */
  readonly responses: AnnounceResponse[];
  /**
   * The lease terms; rejects with the stream's status if the registry ends
   * the stream before granting a lease.
   */
  readonly lease: Promise<LeaseTerms>;
  /** Settles with the final status when the stream ends, whatever ends it. */
  readonly ended: Promise<StatusObject>;
  /** Sends `state_change` and resolves to the acknowledged revision. */
  setState(state: InstanceState): Promise<number>;
  /** Half-closes the stream, as an instance that leaves cleanly does. */
  end(): void;
  /** Cancels the stream, as a process that dies does. */
  cancel(): void;
}

/**
 * Opens an Announce stream and sends `announcement` as its first message.
 * With heartbeats on, a timer sends one per lease interval until the
 * stream ends; it never outlives the stream.
 */
export function openAnnounce(
  client: RegistryClient,
  announcement: Partial<InstanceAnnouncement>,
  options: AnnounceOptions = {},
): AnnounceStream {
  const call = client.announce();
  const responses: AnnounceResponse[] = [];
  // The registry answers every message once and in order, so the n-th
  // response answers the n-th message sent.
  const answers: Array<(response: AnnounceResponse) => void> = [];
  call.on('data', (response: AnnounceResponse) => {
    responses.push(response);
    answers.shift()?.(response);
  });
  call.on('error', () => undefined);
  const ended = new Promise<StatusObject>((resolve) =>
    call.on('status', resolve),
  );
  const send = (message: AnnounceRequest) => {
    const answer = new Promise<AnnounceResponse>((resolve) =>
      answers.push(resolve),
    );
    call.write(message);
    return Promise.race([answer, ended.then(failWithStatus)]);
  };

  const lease = send({
    kind: { $case: 'announcement', value: fullAnnouncement(announcement) },
  }).then((response) => {
    if (response.kind?.$case !== 'lease') {
      throw new Error(`openAnnounce: expected lease terms first`);
    }
    return response.kind.value;
  });
  lease.catch(() => undefined);

  let heartbeat: NodeJS.Timeout | undefined;
  if (options.heartbeats ?? true) {
    void lease.then(
      (terms) => {
        heartbeat = setInterval(() => {
          send({ kind: { $case: 'heartbeat', value: {} } }).catch(
            () => undefined,
          );
        }, terms.heartbeatIntervalMs);
      },
      () => undefined,
    );
  }
  void ended.then(() => clearInterval(heartbeat));

  return {
    call,
    responses,
    lease,
    ended,
    end: () => {
      clearInterval(heartbeat);
      call.end();
    },
    cancel: () => {
      clearInterval(heartbeat);
      call.cancel();
    },
    setState: async (state) => {
      const response = await withTimeout(
        send({ kind: { $case: 'stateChange', value: { state } } }),
        CALL_TIMEOUT_MS,
        'the acknowledgement of a state change',
      );
      if (response.kind?.$case !== 'ack') {
        throw new Error('openAnnounce: expected an acknowledgement');
      }
      return response.kind.value.revision;
    },
  };
}

function failWithStatus(outcome: StatusObject): never {
  throw Object.assign(new Error(outcome.details), outcome);
}

/**
 * Fills the fields an announcement leaves out: no labels, weight 0 (the
 * default of 1), no descriptors, serving.
 */
export function fullAnnouncement(
  partial: Partial<InstanceAnnouncement>,
): InstanceAnnouncement {
  return {
    instanceId: '',
    address: '',
    services: [],
    labels: {},
    weight: 0,
    fileDescriptors: [],
    state: InstanceState.INSTANCE_STATE_UNSPECIFIED,
    ...partial,
  };
}

/**
 * An announcement of `instanceId` at `address` serving one service with
 * the given unary methods: the smallest valid announcement.
 */
export function announcementOf(
  instanceId: string,
  service = 'demo.v1.Echo',
  methods = ['Say'],
  address = '127.0.0.1:50051',
): InstanceAnnouncement {
  return fullAnnouncement({
    instanceId,
    address,
    services: [
      {
        name: service,
        methods: methods.map((m) => ({
          fullName: `/${service}/${m}`,
          kind: StreamingKind.STREAMING_KIND_UNARY,
        })),
      },
    ],
  });
}

/**
 * Opens a raw Announce stream whose messages are sent as given bytes and
 * whose responses are left undecoded, for sending what no typed client
 * would: bytes that are not an AnnounceRequest at all.
 */
export function openRawAnnounce(
  client: Client,
): ClientDuplexStream<Buffer, Buffer> {
  return client.makeBidiStreamRequest<Buffer, Buffer>(
    ANNOUNCE_PATH,
    (bytes) => bytes,
    (bytes) => bytes,
    new Metadata(),
    {},
  );
}

/**
 * Sends `messages` on a raw Announce stream and resolves to the status the
 * registry ends it with. The stream is never half-closed, so a registry
 * that accepted every message keeps it open; after `timeoutMs` the stream
 * is cancelled, which shows as CANCELLED.
 */
export function sendRawAnnounce(
  client: Client,
  messages: Buffer[],
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<StatusObject> {
  const call = openRawAnnounce(client);
  call.on('data', () => undefined);
  call.on('error', () => undefined);
  const ended = new Promise<StatusObject>((resolve) =>
    call.on('status', resolve),
  );
  for (const message of messages) call.write(message);
  const timer = setTimeout(() => call.cancel(), timeoutMs);
  return ended.finally(() => clearTimeout(timer));
}

/**
 * The serialized FileDescriptorProto of `switchboard/v1/registry.proto`
 * (it has no imports), for announcements that carry file_descriptors: it
 * defines `switchboard.v1.Registry` and its four methods.
 */
export function registryFileDescriptor(): Buffer {
  const set = fromBinary(FileDescriptorSetSchema, DESCRIPTOR_SET);
  const file = set.file.find((f) => f.name === 'switchboard/v1/registry.proto');
  if (!file) {
    throw new Error('registryFileDescriptor: not in gen/descriptors.ts');
  }
  return Buffer.from(toBinary(FileDescriptorProtoSchema, file));
}

/** An announcement of the registry's own service, with its descriptor. */
export function registryAnnouncementOf(
  instanceId: string,
): InstanceAnnouncement {
  const methods = ['Announce', 'Resolve', 'Watch', 'ListServices'];
  const kinds = [
    StreamingKind.STREAMING_KIND_BIDI_STREAM,
    StreamingKind.STREAMING_KIND_UNARY,
    StreamingKind.STREAMING_KIND_SERVER_STREAM,
    StreamingKind.STREAMING_KIND_UNARY,
  ];
  return fullAnnouncement({
    instanceId,
    address: '127.0.0.1:50052',
    services: [
      {
        name: 'switchboard.v1.Registry',
        methods: methods.map((m, i) => ({
          fullName: `/switchboard.v1.Registry/${m}`,
          kind: kinds[i],
        })),
      },
    ],
    fileDescriptors: [registryFileDescriptor()],
  });
}

function deadline(): { deadline: number } {
  return { deadline: Date.now() + CALL_TIMEOUT_MS };
}
