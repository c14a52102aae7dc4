/**
 * The registry-broker: the `switchboard.v1.Registry` service, its stores
 * and its limits. Run it with `switchboard registry`, or embed it with
 * {@link createRegistry}.
 */
export { createRegistry } from './registry-server';
export type { Registry, RegistryOptions } from './registry-server';
export { createMemoryStore } from './store-memory';
export type { MemoryStoreOptions } from './store-memory';
export { InstanceIdTakenError } from './store';
export type {
  CatalogEvent,
  CatalogView,
  InstanceRecord,
  Lease,
  Store,
  WatchEvent,
  WatchHandle,
  WatchOptions,
} from './store';
export { DEFAULT_LIMITS } from './limits';
export type { RegistryLimits } from './limits';
