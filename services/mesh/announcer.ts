import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { InstanceState } from '../../gen/switchboard/v1/registry';
import type {
  AnnounceRequest,
  AnnounceResponse,
  InstanceAnnouncement,
  RegistryClient,
} from '../../gen/switchboard/v1/registry';
import { createBackoff, sleep } from './backoff';
import type { Backoff, BackoffOptions } from './backoff';
import type { Logger } from './logger';

/** Options of {@link Announcer}. */
export interface AnnouncerOptions {
  registry: RegistryClient;
  /** What the instance announces; its `state` follows `setState`. */
  announcement: InstanceAnnouncement;
  log: Logger;
  /** Delays between attempts to reach the registry. */
  backoff?: BackoffOptions;
}

/** How long `stop` waits for the registry to close the stream, in ms. */
const STOP_WAIT_MS = 1_000;

type AnnounceStream = ClientDuplexStream<AnnounceRequest, AnnounceResponse>;

/**
 * Keeps an instance's lease: opens the Announce stream, sends the
 * announcement, then heartbeats at the interval the registry asks for.
 * When the stream ends for any reason other than `stop`, it announces again
 * with backoff and jitter, for as long as it runs; the instance keeps
 * serving meanwhile. It logs once per change of connection, never per try.
 */
export class Announcer {
  private stream: AnnounceStream | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private readonly stopping = new AbortController();
  private waitingForAck: Array<() => void> = [];
  private connected = false;
  private everConnected = false;
  private loop: Promise<void> | undefined;
  private lossReported = false;
  private onFirstLease: () => void = () => {};

  constructor(private readonly options: AnnouncerOptions) {
    this.backoff = createBackoff(options.backoff);
  }

  /** Starts announcing; resolves once the registry first accepts the lease or after `waitMs`. */
  start(waitMs = 5_000): Promise<void> {
    const accepted = new Promise<void>((resolve) => {
      this.onFirstLease = resolve;
      setTimeout(resolve, waitMs).unref();
    });
    this.loop = this.run();
    return accepted;
  }

  /**
   * Tells the registry the new state and resolves when it acknowledged it
   * (at once when the registry is away: the state is sent on the next
   * announcement).
   */
  async setState(state: InstanceState): Promise<void> {
    this.options.announcement.state = state;
    const stream = this.stream;
    if (!stream || !this.connected) return;
    await new Promise<void>((resolve) => {
      this.waitingForAck.push(resolve);
      stream.write({ kind: { $case: 'stateChange', value: { state } } });
    });
  }

  /** Ends the lease: the registry removes the instance at once. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.stopHeartbeat();
    this.stream?.end();
    // A registry that never answers the half-close must not hold a drain.
    await Promise.race([this.loop, sleep(STOP_WAIT_MS)]);
    this.stream?.cancel();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const outcome = await this.announceOnce();
      this.connected = false;
      this.stopHeartbeat();
      this.releaseWaiters();
      if (this.stopping.signal.aborted) break;
      this.reportLoss(outcome);
      await sleep(this.backoff.next(), this.stopping.signal);
    }
  }

  /** One Announce stream, from open to end; resolves with how it ended. */
  private announceOnce(): Promise<ServiceError | undefined> {
    return new Promise((resolve) => {
      const stream = this.options.registry.announce();
      this.stream = stream;
      stream.on('data', (response: AnnounceResponse) =>
        this.receive(stream, response),
      );
      stream.on('error', (error: ServiceError) => resolve(error));
      stream.on('end', () => resolve(undefined));
      stream.write({
        kind: { $case: 'announcement', value: this.options.announcement },
      });
    });
  }

  private receive(stream: AnnounceStream, response: AnnounceResponse): void {
    const kind = response.kind;
    if (kind?.$case === 'lease') {
      this.connected = true;
      this.backoff.reset();
      this.startHeartbeat(stream, kind.value.heartbeatIntervalMs);
      this.options.log.info(
        {
          instanceId: this.options.announcement.instanceId,
          revision: kind.value.revision,
        },
        this.everConnected ? 'instance announced again' : 'instance announced',
      );
      this.everConnected = true;
      this.lossReported = false;
      this.onFirstLease();
    } else if (kind?.$case === 'ack') {
      this.waitingForAck.shift()?.();
    }
  }

  private startHeartbeat(stream: AnnounceStream, intervalMs: number): void {
    this.stopHeartbeat();
    // Send a little more often than asked, so that one late timer never
    // costs the lease.
    const everyMs = Math.max(10, Math.floor(intervalMs * 0.8));
    this.heartbeat = setInterval(() => {
      this.waitingForAck.push(() => {});
      stream.write({ kind: { $case: 'heartbeat', value: {} } });
    }, everyMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private releaseWaiters(): void {
    const waiting = this.waitingForAck;
    this.waitingForAck = [];
    for (const release of waiting) release();
  }

  private reportLoss(error: ServiceError | undefined): void {
    if (this.lossReported) return;
    this.lossReported = true;
    this.options.log.warn(
      {
        instanceId: this.options.announcement.instanceId,
        code: error?.code,
        reason: error?.details,
      },
      'registry lost; announcing again with backoff',
    );
  }
}
