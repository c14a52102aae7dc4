import type {
  InstanceState,
  RemovalReason,
  ServiceInfo,
} from '../gen/switchboard/v1/registry';

/**
 * One live instance as a store keeps it: what it announced, plus what the
 * registry decided (its state and when it was accepted).
 */
export interface InstanceRecord {
  instanceId: string;
  address: string;
  services: ServiceInfo[];
  labels: Record<string, string>;
  /** Relative share of calls; always at least 1 once stored. */
  weight: number;
  state: InstanceState;
  announcedAtMs: number;
  /** Serialized FileDescriptorProto messages, as announced. */
  fileDescriptors: Uint8Array[];
}

/**
 * A change of the catalog. Every change has a revision one greater than the
 * change before it in the same store.
 */
export type CatalogEvent =
  | { type: 'upsert'; revision: number; instance: InstanceRecord }
  | {
      type: 'removal';
      revision: number;
      /** The record as it was just before it left. */
      instance: InstanceRecord;
      reason: RemovalReason;
    };

/** What a watcher receives: a snapshot first, or the changes it missed. */
export type WatchEvent =
  | { type: 'snapshot'; revision: number; instances: InstanceRecord[] }
  | CatalogEvent;

/** A consistent read of the catalog. */
export interface CatalogView {
  revision: number;
  instances: InstanceRecord[];
}

/** Options of {@link Store.watch}. */
export interface WatchOptions {
  /** Only changes of instances that serve this service; all when absent. */
  service?: string;
  /**
   * The last revision the watcher saw. When the store still holds every
   * change after it, the watch starts with those changes; otherwise (or when
   * 0) it starts with a snapshot.
   */
  afterRevision: number;
}

/** A running watch; `close` stops delivery and is idempotent. */
export interface WatchHandle {
  close(): void;
}

/**
 * A lease binds instances to something that must stay alive: an Announce
 * stream and its heartbeats. When the lease ends, by revocation or because
 * `keepAlive` was not called within its time to live, every instance bound
 * to it leaves the catalog.
 */
export interface Lease {
  readonly id: string;
  /** Pushes the expiry back by the lease's time to live. */
  keepAlive(): Promise<void>;
  /** Ends the lease now and removes its instances with `reason`. */
  revoke(reason: RemovalReason): Promise<void>;
  /**
   * Called once when the lease expires on its own (missed keep-alives), after
   * its instances were removed. Not called after `revoke`.
   */
  onExpired(listener: () => void): void;
}

/**
 * Where the registry keeps its catalog. A store is built on leases and
 * watches, so that a distributed engine (etcd) can implement it with its own
 * leases and watches; the memory store is the embedded default.
 *
 * Implementations never throw for a missing instance on `setState`; they
 * reject `put` with {@link InstanceIdTakenError} when the id is bound to
 * another live lease, and leave the catalog unchanged then.
 */
export interface Store {
  /** A short name for logs: `memory`, `etcd`. */
  readonly kind: string;
  /**
   * Names this catalog's history: revisions from another epoch are not
   * comparable, so a watcher that brings one starts from a snapshot.
   */
  readonly epoch: string;
  start(): Promise<void>;
  /** Ends every lease (removing their instances) and every watch. */
  stop(): Promise<void>;
  /** Grants a lease that expires `ttlMs` after its last keep-alive. */
  grantLease(ttlMs: number): Promise<Lease>;
  /** Adds or replaces an instance, bound to `lease`; returns the revision. */
  put(instance: InstanceRecord, lease: Lease): Promise<number>;
  /** Changes the state of a live instance; returns the revision. */
  setState(instanceId: string, state: InstanceState): Promise<number>;
  /** The revision of the latest change. */
  currentRevision(): Promise<number>;
  /** Reads every live instance, optionally only those serving `service`. */
  read(service?: string): Promise<CatalogView>;
  /** Follows the catalog; `listener` is called in revision order. */
  watch(
    options: WatchOptions,
    listener: (event: WatchEvent) => void,
  ): WatchHandle;
}

/** `put` refused: another live lease holds this instance id. */
export class InstanceIdTakenError extends Error {
  constructor(readonly instanceId: string) {
    super(`instance id "${instanceId}" is held by another live instance`);
    this.name = 'InstanceIdTakenError';
  }
}

/** Tells whether `instance` serves the service named `service`. */
export function servesService(
  instance: InstanceRecord,
  service: string,
): boolean {
  return instance.services.some((s) => s.name === service);
}
