import { Channel, credentials } from '@grpc/grpc-js';
import type {
  ChannelCredentials,
  ChannelOptions,
  ClientOptions,
  ServiceDefinition,
} from '@grpc/grpc-js';
import { DESCRIPTOR_SET } from '../../gen/descriptors';
import type { BackoffOptions } from './backoff';
import { createCallPolicy } from './call-policy';
import type { CallPolicyOptions } from './call-policy';
import { retryChannelOptions } from './call-retry';
import { DEFAULT_MAX_MESSAGE_BYTES } from './message-limits';
import { carryOnCallStreams } from './call-stream-client';
import { CallStreamRouter } from './call-stream-router';
import { DescriptorPool } from './descriptor-pool';
import { serveInstance } from './instance-server';
import type { MeshInstance, ServeOptions } from './instance-server';
import { createSilentLogger } from './logger';
import type { Logger } from './logger';
import { acquireRegistryLink, releaseRegistryLink } from './registry-link';
import {
  REGISTRY_ADDRESS_OPTION,
  SWITCHBOARD_SCHEME,
  setupSwitchboardResolver,
} from './resolver-switchboard';
import { describeService } from './service-definitions';

/** Options of {@link createMesh}. */
export interface MeshOptions {
  /** The registry, `host:port`. */
  registryAddress: string;
  /** Parent logger; the runtime is silent without one. */
  logger?: Logger;
  /** Deadline of a call that sets none, in ms. Default 10,000. */
  defaultDeadlineMs?: number;
  /**
   * How often an idle connection to an instance is pinged to find a dead
   * peer, in ms. Default 30,000: well above the 5 s floor under which
   * servers answer pings with GOAWAY too_many_pings.
   */
  keepaliveTimeMs?: number;
  /** How long a ping may go unanswered before the peer is dead, in ms. Default 10,000. */
  keepaliveTimeoutMs?: number;
  /**
   * Serialized FileDescriptorSet of the contracts served, for announcing and
   * reflection. Default: every contract under proto/ of this repository.
   */
  descriptorSet?: Uint8Array;
  /** How long `serve` waits for the registry's first answer, in ms. Default 5,000. */
  announceWaitMs?: number;
  /** Delays between attempts to reach the registry again. */
  backoff?: BackoffOptions;
  /**
   * How unary calls travel to instances. `standard`: one HTTP/2 stream per
   * call. `call-streams`: as frames on a few long-lived CallStream streams
   * per instance, falling back to the standard way for instances that do
   * not serve CallStream, or while a pool opens. Streaming calls always go
   * the standard way. Default `call-streams`.
   */
  transport?: MeshTransport;
  /** Tuning of the `call-streams` transport. */
  callStreams?: CallStreamOptions;
  /**
   * Largest message a client of this mesh receives, in bytes. Default
   * 16 MiB, as instances accept by default.
   */
  maxMessageBytes?: number;
}

/** How unary calls travel; see {@link MeshOptions.transport}. */
export type MeshTransport = 'standard' | 'call-streams';

const DEFAULT_TRANSPORT: MeshTransport = 'call-streams';

/** Options of the `call-streams` transport. */
export interface CallStreamOptions {
  /** Streams opened to each instance. Default 2. */
  streamsPerInstance?: number;
  /**
   * Calls in flight on one stream; past it, calls wait in line within
   * their deadline. Default 1,024.
   */
  maxCallsPerStream?: number;
}

/** The constructor ts-proto generates for a grpc-js client. */
export interface GeneratedClientConstructor<C> {
  new (
    address: string,
    credentials: ChannelCredentials,
    options?: Partial<ClientOptions>,
  ): C;
  service: ServiceDefinition;
}

/** Options of {@link Mesh.client}. */
export interface MeshClientOptions {
  /** Deadline of this client's calls that set none, in ms. */
  deadlineMs?: number;
}

/** The runtime of one process: it serves instances and makes clients. */
export interface Mesh {
  /** Starts an instance; see {@link ServeOptions}. */
  serve(options: ServeOptions): Promise<MeshInstance>;
  /**
   * A typed client of the service of `Client`, on the process's shared
   * channel to `switchboard:///pkg.Service`: resolved once through the
   * registry, then calling instances directly, balanced round robin by
   * weight.
   */
  client<C>(
    Client: GeneratedClientConstructor<C>,
    options?: MeshClientOptions,
  ): C;
  /** Stops every instance served and closes every channel. */
  close(): Promise<void>;
}

/**
 * Creates the runtime of a process. Everything it starts listens and dials
 * where its options say; it reads no environment variable.
 */
export function createMesh(options: MeshOptions): Mesh {
  setupSwitchboardResolver();
  return new MeshRuntime(options);
}

class MeshRuntime implements Mesh {
  private readonly log: Logger;
  private readonly link;
  private readonly channels = new Map<string, Channel>();
  private readonly instances = new Set<MeshInstance>();
  private readonly descriptors: DescriptorPool;
  private callStreams: CallStreamRouter | undefined;

  constructor(private readonly options: MeshOptions) {
    this.log = (options.logger ?? createSilentLogger()).child({
      component: 'mesh',
    });
    this.link = acquireRegistryLink(options.registryAddress, this.log);
    this.descriptors = new DescriptorPool(
      options.descriptorSet ?? DESCRIPTOR_SET,
    );
  }

  async serve(serveOptions: ServeOptions): Promise<MeshInstance> {
    const instance = await serveInstance(serveOptions, {
      registry: this.link.client,
      descriptors: this.descriptors,
      log: this.log,
      backoff: this.options.backoff,
      announceWaitMs: this.options.announceWaitMs ?? 5_000,
    });
    this.instances.add(instance);
    return instance;
  }

  client<C>(
    Client: GeneratedClientConstructor<C>,
    clientOptions: MeshClientOptions = {},
  ): C {
    const service = describeService(Client.service).name;
    const isIdempotent = (path: string) => this.descriptors.isIdempotent(path);
    const policyOptions: CallPolicyOptions = {
      defaultDeadlineMs:
        clientOptions.deadlineMs ?? this.options.defaultDeadlineMs ?? 10_000,
      explainUnreached: (name) => this.explainUnreached(name),
    };
    const client = new Client(
      this.target(service),
      credentials.createInsecure(),
      {
        channelOverride: this.channel(service, Client.service, isIdempotent),
        interceptors: [createCallPolicy(policyOptions)],
      },
    );
    const router = this.callStreamRouter();
    if (router) {
      carryOnCallStreams(
        client as object,
        Client.service,
        router,
        policyOptions,
        isIdempotent,
      );
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.instances].map((i) => i.stop()));
    this.instances.clear();
    this.callStreams?.close();
    this.callStreams = undefined;
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
    releaseRegistryLink(this.link);
  }

  /** The router of call streams, when unary calls travel on them. */
  private callStreamRouter(): CallStreamRouter | undefined {
    const transport = this.options.transport ?? DEFAULT_TRANSPORT;
    if (transport !== 'call-streams') return undefined;
    this.callStreams ??= new CallStreamRouter({
      watchOf: (service) => this.link.watch(service),
      streamsPerInstance: this.options.callStreams?.streamsPerInstance,
      maxCallsPerStream: this.options.callStreams?.maxCallsPerStream,
      channelOptions: this.channelOptions(),
      log: this.log,
    });
    return this.callStreams;
  }

  /**
   * The one channel of `service`; the first client of the service makes
   * it, and with it the retry policy of its idempotent methods.
   */
  private channel(
    service: string,
    definition: ServiceDefinition,
    isIdempotent: (methodPath: string) => boolean,
  ): Channel {
    let channel = this.channels.get(service);
    if (!channel) {
      channel = new Channel(
        this.target(service),
        credentials.createInsecure(),
        {
          ...this.channelOptions(),
          ...retryChannelOptions(definition, isIdempotent),
        },
      );
      this.channels.set(service, channel);
    }
    return channel;
  }

  private channelOptions(): ChannelOptions {
    return {
      [REGISTRY_ADDRESS_OPTION]: this.options.registryAddress,
      'grpc.keepalive_time_ms': this.options.keepaliveTimeMs ?? 30_000,
      'grpc.keepalive_timeout_ms': this.options.keepaliveTimeoutMs ?? 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
      'grpc.max_receive_message_length':
        this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    };
  }

  private target(service: string): string {
    return `${SWITCHBOARD_SCHEME}:///${service}`;
  }

  private explainUnreached(service: string): string | undefined {
    const view = this.link.watch(service).view();
    if (view.resolved || view.registryReachable) return undefined;
    return (
      `the registry at ${this.options.registryAddress} could ` +
      `not be reached to resolve "${service}"; check that it runs`
    );
  }
}
