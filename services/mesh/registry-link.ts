import { credentials } from '@grpc/grpc-js';
import { RegistryClient } from '../../gen/switchboard/v1/registry';
import type { Logger } from './logger';
import { createSilentLogger } from './logger';
import { ServiceWatch } from './service-watch';

/** Keepalive that finds a dead registry within seconds on an idle stream. */
const REGISTRY_CHANNEL_OPTIONS = {
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
};

/**
 * The process's connection to one registry: one channel, and one Watch per
 * service shared by every channel and caller that resolves it. Links are
 * kept per registry address for the life of the process, until `release`
 * drops the last user.
 */
export class RegistryLink {
  readonly client: RegistryClient;
  private readonly watches = new Map<string, ServiceWatch>();
  private users = 0;

  constructor(
    readonly address: string,
    private readonly log: Logger,
  ) {
    this.client = new RegistryClient(
      address,
      credentials.createInsecure(),
      REGISTRY_CHANNEL_OPTIONS,
    );
  }

  /** The shared watch of `service`, started on first subscription. */
  watch(service: string): ServiceWatch {
    let watch = this.watches.get(service);
    if (!watch) {
      watch = new ServiceWatch(service, this.client, this.log);
      this.watches.set(service, watch);
    }
    return watch;
  }

  /** Stops every watch and closes the channel. */
  close(): void {
    for (const watch of this.watches.values()) watch.stop();
    this.watches.clear();
    this.client.close();
  }

  /** Counts a user; see {@link releaseRegistryLink}. */
  retain(): void {
    this.users += 1;
  }

  /** Drops a user; true when none is left. */
  release(): boolean {
    this.users -= 1;
    return this.users <= 0;
  }
}

const links = new Map<string, RegistryLink>();

/**
 * The shared link to the registry at `address`, created on first use. Each
 * call counts one user, to be given back with {@link releaseRegistryLink}.
 */
export function acquireRegistryLink(
  address: string,
  log: Logger = createSilentLogger(),
): RegistryLink {
  let link = links.get(address);
  if (!link) {
    link = new RegistryLink(address, log);
    links.set(address, link);
  }
  link.retain();
  return link;
}

/** Gives back one use of a link; the last one closes it. */
export function releaseRegistryLink(link: RegistryLink): void {
  if (link.release() && links.get(link.address) === link) {
    links.delete(link.address);
    link.close();
  }
}
