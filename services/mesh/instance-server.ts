import { randomBytes } from 'node:crypto';
import { Server } from '@grpc/grpc-js';
import type {
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { InstanceState } from '../../gen/switchboard/v1/registry';
import type {
  InstanceAnnouncement,
  RegistryClient,
} from '../../gen/switchboard/v1/registry';
import { Announcer } from './announcer';
import type { BackoffOptions } from './backoff';
import { sleep } from './backoff';
import type { DescriptorPool } from './descriptor-pool';
import type { Logger } from './logger';
import { CallStreamServer } from './call-stream-server';
import type { CallStreamTarget } from './call-stream-server';
import { DEFAULT_MAX_MESSAGE_BYTES } from './message-limits';
import { ServedCalls } from './served-calls';
import {
  SERVER_FLOW_CONTROL_WINDOW_BYTES,
  widenConnectionWindows,
  widenServerWindows,
} from './server-flow-control';
import { bindServer, formatHost, shutDownServer } from './server-lifecycle';
import { describeService } from './service-definitions';

/** One service an instance serves: its generated definition and handlers. */
export interface ServedService {
  /** The ts-proto grpc-js definition, such as `UserService`. */
  definition: ServiceDefinition;
  /** The handlers, one per method of the definition. */
  implementation: UntypedServiceImplementation;
}

/** Options of `Mesh.serve`. */
export interface ServeOptions {
  services: ServedService[];
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** Host that callers dial, when it differs from `host`. Default `host`. */
  advertisedHost?: string;
  /** Unique id of the instance. Default: service, process id and random. */
  instanceId?: string;
  /** Labels announced with the instance. */
  labels?: Record<string, string>;
  /** Relative share of calls; default 1. */
  weight?: number;
  /**
   * How long a drain lets calls in flight finish before the instance closes
   * anyway, in ms. Default 10,000.
   */
  drainGraceMs?: number;
  /**
   * How long a draining instance still takes calls after the registry has
   * acknowledged the drain, so that callers learn of it first, in ms.
   * Default 300.
   */
  drainNoticeMs?: number;
  /**
   * Drain and exit the process with code 0 on SIGTERM or SIGINT. Default
   * false: library code leaves the process alone unless asked.
   */
  handleSignals?: boolean;
  /** Largest message received, in bytes. Default 16 MiB. */
  maxMessageBytes?: number;
}

/** A serving instance. */
export interface MeshInstance {
  readonly instanceId: string;
  /** `host:port` callers dial. */
  readonly address: string;
  /** Calls being served now. */
  readonly callsInFlight: number;
  /**
   * Tells the registry the instance is draining, stops taking new calls,
   * lets calls in flight finish within the grace period, then closes.
   * Idempotent: every call gets the same promise.
   */
  drain(): Promise<void>;
  /** Closes at once: the lease ends, calls in flight are cancelled. */
  stop(): Promise<void>;
}

/** What `serve` needs from the mesh it belongs to. */
export interface ServeContext {
  registry: RegistryClient;
  descriptors: DescriptorPool;
  log: Logger;
  backoff?: BackoffOptions;
  /** How long `serve` waits for the first lease before going on, in ms. */
  announceWaitMs: number;
}

/**
 * Starts an instance: binds the port, serves the services with health and
 * reflection beside them, and announces every method read from the
 * definitions. Resolves once the registry has accepted the lease or after
 * the announce wait, whichever comes first: an instance serves even while
 * the registry is away, and announces as soon as it is back.
 */
export async function serveInstance(
  options: ServeOptions,
  context: ServeContext,
): Promise<MeshInstance> {
  const infos = options.services.map((s) => describeService(s.definition));
  const names = infos.map((info) => info.name);
  const instanceId = options.instanceId ?? defaultInstanceId(names[0]);
  const log = context.log.child({ component: 'instance', instanceId });
  const calls = new ServedCalls(log, instanceId);
  const server = new Server({
    'grpc.max_receive_message_length':
      options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  });
  const widened = widenServerWindows(server, SERVER_FLOW_CONTROL_WINDOW_BYTES);
  if (!widened) {
    log.warn(
      {},
      'grpc-js internals moved; serving with default HTTP/2 windows',
    );
  }
  const targets = options.services.map((service) => ({
    definition: service.definition,
    implementation: calls.wrap(service.definition, service.implementation),
  }));
  for (const target of targets) {
    server.addService(target.definition, target.implementation);
  }
  const callStreams = addCallStreams(server, targets, instanceId, log);
  const health = addHealth(server, names);
  addReflection(server, context.descriptors, names);
  const host = options.host ?? '127.0.0.1';
  const port = await bindServer(server, host, options.port ?? 0);
  if (widened) {
    widenConnectionWindows(server, SERVER_FLOW_CONTROL_WINDOW_BYTES);
  }
  const address = `${formatHost(options.advertisedHost ?? host)}:${port}`;
  const announcement: InstanceAnnouncement = {
    instanceId,
    address,
    services: infos,
    labels: options.labels ?? {},
    weight: options.weight ?? 1,
    fileDescriptors: context.descriptors
      .serializedFilesFor(names)
      .map((file) => Buffer.from(file)),
    state: InstanceState.INSTANCE_STATE_SERVING,
  };
  const announcer = new Announcer({
    registry: context.registry,
    announcement,
    log,
    backoff: context.backoff,
  });
  await announcer.start(context.announceWaitMs);
  log.info({ address, services: names }, 'instance serving');
  const instance = new RunningInstance(
    instanceId,
    address,
    server,
    announcer,
    calls,
    health,
    options,
    log,
    callStreams,
  );
  if (options.handleSignals) instance.drainOnSignals();
  return instance;
}

class RunningInstance implements MeshInstance {
  private draining: Promise<void> | undefined;

  constructor(
    readonly instanceId: string,
    readonly address: string,
    private readonly server: Server,
    private readonly announcer: Announcer,
    private readonly calls: ServedCalls,
    private readonly health: HealthImplementation,
    private readonly options: ServeOptions,
    private readonly log: Logger,
    private readonly callStreams: CallStreamServer,
  ) {}

  get callsInFlight(): number {
    return this.calls.count;
  }

  drain(): Promise<void> {
    this.draining ??= this.runDrain();
    return this.draining;
  }

  async stop(): Promise<void> {
    this.calls.refuseNewCalls();
    await this.announcer.stop();
    this.server.forceShutdown();
    this.log.info({}, 'instance stopped');
  }

  drainOnSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      this.log.info({ signal }, 'signal received; draining');
      void this.drain().then(() => process.exit(0));
    };
    // `on`, not `once`: a second signal during the drain must not kill the
    // process before it exits 0; drain() returns the same promise.
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  private async runDrain(): Promise<void> {
    const graceMs = this.options.drainGraceMs ?? 10_000;
    this.log.info({ callsInFlight: this.calls.count }, 'instance draining');
    this.health.setStatus('', 'NOT_SERVING');
    await this.announcer.setState(InstanceState.INSTANCE_STATE_DRAINING);
    await sleep(this.options.drainNoticeMs ?? 300);
    this.calls.refuseNewCalls();
    const finished = await this.calls.whenIdle(graceMs);
    if (!finished) {
      this.log.warn(
        { callsInFlight: this.calls.count, graceMs },
        'drain grace period over; cancelling calls in flight',
      );
    }
    this.callStreams.close();
    await this.announcer.stop();
    await shutDownServer(this.server, finished ? 1_000 : 0);
    this.log.info({}, 'instance drained');
  }
}

/**
 * Serves CallStream beside the services, dispatching to the same wrapped
 * handlers, so that both transports apply the same rules.
 */
function addCallStreams(
  server: Server,
  targets: CallStreamTarget[],
  instanceId: string,
  log: Logger,
): CallStreamServer {
  const callStreams = new CallStreamServer(targets, instanceId, log);
  server.addService(callStreams.definition, callStreams.implementation());
  return callStreams;
}

function addHealth(server: Server, services: string[]): HealthImplementation {
  const statuses: Record<string, 'SERVING'> = { '': 'SERVING' };
  for (const name of services) statuses[name] = 'SERVING';
  const health = new HealthImplementation(statuses);
  health.addToServer(server);
  return health;
}

function addReflection(
  server: Server,
  descriptors: DescriptorPool,
  services: string[],
): void {
  const set = descriptors.serializedSetFor(services);
  if (!set) return;
  const definition = loadFileDescriptorSetFromBuffer(Buffer.from(set));
  new ReflectionService(definition, { services }).addToServer(server);
}

function defaultInstanceId(service: string): string {
  const short = service.slice(service.lastIndexOf('.') + 1).toLowerCase();
  return `${short}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
