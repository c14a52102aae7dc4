import { randomUUID } from 'node:crypto';
import { RemovalReason } from '../gen/switchboard/v1/registry';
import type { InstanceState } from '../gen/switchboard/v1/registry';
import { InstanceIdTakenError, servesService } from './store';
import type {
  CatalogEvent,
  CatalogView,
  InstanceRecord,
  Lease,
  Store,
  WatchEvent,
  WatchHandle,
  WatchOptions,
} from './store';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How many past changes are kept so that a watcher can resume after a
   * revision instead of starting over from a snapshot. Default 10,000.
   */
  historySize?: number;
}

interface Watcher {
  service?: string;
  listener: (event: WatchEvent) => void;
}

interface Entry {
  record: InstanceRecord;
  leaseId: string;
}

const DEFAULT_HISTORY_SIZE = 10_000;

/**
 * Creates the embedded store: one process, nothing to install. The catalog
 * lives in memory and is gone when the process ends; instances announce
 * again by themselves after a registry restart. Lease expiry uses timers
 * that never hold the process open.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  return new MemoryStore(options.historySize ?? DEFAULT_HISTORY_SIZE);
}

class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly epoch = randomUUID();
  private revision = 0;
  private nextLeaseId = 1;
  private readonly entries = new Map<string, Entry>();
  private readonly leases = new Map<string, MemoryLease>();
  private readonly watchers = new Set<Watcher>();
  private readonly history: CatalogEvent[] = [];

  constructor(private readonly historySize: number) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    for (const lease of [...this.leases.values()]) {
      this.endLease(lease, RemovalReason.REMOVAL_REASON_REGISTRY_STOPPING);
    }
    this.watchers.clear();
  }

  async grantLease(ttlMs: number): Promise<Lease> {
    const id = String(this.nextLeaseId++);
    const lease = new MemoryLease(id, ttlMs, (l, reason) =>
      this.endLease(l, reason),
    );
    this.leases.set(id, lease);
    return lease;
  }

  async put(instance: InstanceRecord, lease: Lease): Promise<number> {
    const held = this.leases.get(lease.id);
    if (!held) {
      throw new Error(`store: lease "${lease.id}" has ended`);
    }
    const existing = this.entries.get(instance.instanceId);
    if (existing && existing.leaseId !== lease.id) {
      throw new InstanceIdTakenError(instance.instanceId);
    }
    const record = { ...instance };
    this.entries.set(record.instanceId, { record, leaseId: lease.id });
    held.instanceIds.add(record.instanceId);
    return this.publish({ type: 'upsert', revision: 0, instance: record });
  }

  async setState(instanceId: string, state: InstanceState): Promise<number> {
    const entry = this.entries.get(instanceId);
    if (!entry || entry.record.state === state) {
      return this.revision;
    }
    entry.record = { ...entry.record, state };
    return this.publish({
      type: 'upsert',
      revision: 0,
      instance: entry.record,
    });
  }

  async currentRevision(): Promise<number> {
    return this.revision;
  }

  async read(service?: string): Promise<CatalogView> {
    return { revision: this.revision, instances: this.select(service) };
  }

  watch(
    options: WatchOptions,
    listener: (event: WatchEvent) => void,
  ): WatchHandle {
    const watcher: Watcher = { service: options.service, listener };
    const missed = this.changesAfter(options.afterRevision);
    if (missed) {
      for (const event of missed) {
        if (this.concerns(watcher, event)) listener(event);
      }
    } else {
      listener({
        type: 'snapshot',
        revision: this.revision,
        instances: this.select(options.service),
      });
    }
    this.watchers.add(watcher);
    return { close: () => this.watchers.delete(watcher) };
  }

  /** The changes after `revision`, or undefined when some were dropped. */
  private changesAfter(revision: number): CatalogEvent[] | undefined {
    if (revision <= 0 || revision > this.revision) return undefined;
    if (revision === this.revision) return [];
    const oldest = this.history[0]?.revision ?? this.revision + 1;
    if (revision + 1 < oldest) return undefined;
    return this.history.filter((event) => event.revision > revision);
  }

  private select(service?: string): InstanceRecord[] {
    const records = [...this.entries.values()].map((entry) => entry.record);
    if (service === undefined) return records;
    return records.filter((record) => servesService(record, service));
  }

  private concerns(watcher: Watcher, event: CatalogEvent): boolean {
    return (
      watcher.service === undefined ||
      servesService(event.instance, watcher.service)
    );
  }

  private endLease(lease: MemoryLease, reason: RemovalReason): void {
    lease.clear();
    this.leases.delete(lease.id);
    for (const instanceId of lease.instanceIds) {
      const entry = this.entries.get(instanceId);
      if (!entry || entry.leaseId !== lease.id) continue;
      this.entries.delete(instanceId);
      this.publish({
        type: 'removal',
        revision: 0,
        instance: entry.record,
        reason,
      });
    }
    lease.instanceIds.clear();
  }

  private publish(event: CatalogEvent): number {
    this.revision += 1;
    event.revision = this.revision;
    this.history.push(event);
    if (this.history.length > this.historySize) this.history.shift();
    for (const watcher of [...this.watchers]) {
      if (this.concerns(watcher, event)) watcher.listener(event);
    }
    return this.revision;
  }
}

class MemoryLease implements Lease {
  readonly instanceIds = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private expiredListeners: Array<() => void> = [];
  private ended = false;

  constructor(
    readonly id: string,
    ttlMs: number,
    private readonly end: (lease: MemoryLease, reason: RemovalReason) => void,
  ) {
    this.timer = setTimeout(() => this.expire(), ttlMs);
    this.timer.unref();
  }

  async keepAlive(): Promise<void> {
    if (this.ended) {
      throw new Error(`store: lease "${this.id}" has ended`);
    }
    this.timer?.refresh();
  }

  async revoke(reason: RemovalReason): Promise<void> {
    if (this.ended) return;
    this.end(this, reason);
  }

  onExpired(listener: () => void): void {
    this.expiredListeners.push(listener);
  }

  clear(): void {
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private expire(): void {
    if (this.ended) return;
    this.end(this, RemovalReason.REMOVAL_REASON_HEARTBEAT_MISSED);
    const listeners = this.expiredListeners;
    this.expiredListeners = [];
    for (const listener of listeners) listener();
  }
}
