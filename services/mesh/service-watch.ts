import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { InstanceState } from '../../gen/switchboard/v1/registry';
import type {
  Instance,
  RegistryClient,
  WatchResponse,
} from '../../gen/switchboard/v1/registry';
import { createBackoff, sleep } from './backoff';
import type { Logger } from './logger';

/** What a {@link ServiceWatch} knows of its service at one moment. */
export interface ServiceView {
  /** Every live instance of the service, serving and draining. */
  instances: Instance[];
  /** False until the registry has answered once. */
  resolved: boolean;
  /** Whether the Watch stream to the registry is open now. */
  registryReachable: boolean;
}

/**
 * Follows one service through the registry's Watch stream: a snapshot,
 * then every change. When the stream breaks it keeps the last known
 * instances (so callers go on using them), and follows again with backoff,
 * resuming after the last revision it saw when the registry still has it.
 * There is no polling.
 */
export class ServiceWatch {
  private readonly instances = new Map<string, Instance>();
  private readonly listeners = new Set<(view: ServiceView) => void>();
  private readonly stopping = new AbortController();
  private stream: ClientReadableStream<WatchResponse> | undefined;
  private revision = 0;
  private epoch = '';
  private resolved = false;
  private reachable = false;
  private started = false;

  constructor(
    readonly service: string,
    private readonly registry: RegistryClient,
    private readonly log: Logger,
  ) {}

  /** The current view; see {@link ServiceView}. */
  view(): ServiceView {
    return {
      instances: [...this.instances.values()],
      resolved: this.resolved,
      registryReachable: this.reachable,
    };
  }

  /**
   * Calls `listener` with the view now (if resolved) and after every change;
   * returns the function that stops it.
   */
  subscribe(listener: (view: ServiceView) => void): () => void {
    this.listeners.add(listener);
    if (!this.started) {
      this.started = true;
      void this.run();
    } else if (this.resolved) {
      // Never call back inside subscribe: grpc-js builds its resolver and
      // load balancer around the constructor that subscribes.
      queueMicrotask(() => {
        if (this.listeners.has(listener)) listener(this.view());
      });
    }
    return () => this.listeners.delete(listener);
  }

  /** Stops following; listeners hear nothing more. */
  stop(): void {
    this.stopping.abort();
    this.stream?.cancel();
    this.listeners.clear();
  }

  private async run(): Promise<void> {
    const backoff = createBackoff();
    while (!this.stopping.signal.aborted) {
      const error = await this.followOnce(() => backoff.reset());
      if (this.stopping.signal.aborted) break;
      if (this.reachable) {
        this.log.warn(
          { service: this.service, code: error?.code, reason: error?.details },
          'registry watch lost; keeping known instances',
        );
      }
      this.reachable = false;
      await sleep(backoff.next(), this.stopping.signal);
    }
  }

  private followOnce(onOpen: () => void): Promise<ServiceError | undefined> {
    return new Promise((resolve) => {
      const stream = this.registry.watch({
        service: this.service,
        afterRevision: this.revision,
        epoch: this.epoch,
      });
      this.stream = stream;
      stream.on('data', (response: WatchResponse) => {
        if (!this.reachable) onOpen();
        this.reachable = true;
        this.apply(response);
      });
      stream.on('error', (error: ServiceError) => resolve(error));
      stream.on('end', () => resolve(undefined));
    });
  }

  private apply(response: WatchResponse): void {
    const event = response.event;
    this.revision = response.revision;
    this.epoch = response.epoch;
    if (!event) return;
    if (event.$case === 'snapshot') {
      this.instances.clear();
      for (const instance of event.value.instances) {
        this.instances.set(instance.instanceId, instance);
      }
    } else if (event.$case === 'upsert') {
      this.instances.set(event.value.instanceId, event.value);
    } else {
      this.instances.delete(event.value.instanceId);
    }
    this.resolved = true;
    const view = this.view();
    for (const listener of this.listeners) listener(view);
  }
}

/** Tells whether `instance` takes new calls (it is not draining). */
export function isServing(instance: Instance): boolean {
  return instance.state === InstanceState.INSTANCE_STATE_SERVING;
}
