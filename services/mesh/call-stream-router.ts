import type { ChannelOptions } from '@grpc/grpc-js';
import { CallStreamPool } from './call-stream-pool';
import type { Logger } from './logger';
import { isServing } from './service-watch';
import type { ServiceView, ServiceWatch } from './service-watch';
import { weightedRotation } from './weighted-rotation';

/** Options of {@link CallStreamRouter}. */
export interface CallStreamRouterOptions {
  /** The shared watch of a service. */
  watchOf(service: string): ServiceWatch;
  /** Streams per instance. Default 2. */
  streamsPerInstance?: number;
  /** Calls in flight per stream before calls wait in line. Default 1,024. */
  maxCallsPerStream?: number;
  /** The runtime's channel options (receive limit, keepalive times). */
  channelOptions: ChannelOptions;
  log: Logger;
}

/**
 * The receive window of a caller's call-stream connections and streams,
 * in bytes: 16 MiB, so that replies to a thousand calls in flight never
 * wait for a WINDOW_UPDATE. Instances widen their own windows alike
 * (server-flow-control.ts), since grpc-js's server leaves Node's 65,535.
 */
const FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

/**
 * Picks the call-stream pool a unary call travels on: round robin by weight
 * over the serving instances of the call's service, as the ServiceWatch
 * sees them, skipping instances whose pool has no open stream. Pools live
 * while their instance is listed, serving or draining, or carries calls,
 * so that a draining instance finishes the calls it carries.
 *
 * This picker duplicates the balancing of the grpc-js policy the standard
 * way uses; route keys, once the mesh has them, must be honoured here too,
 * or calls with a route key will spread over instances.
 */
export class CallStreamRouter {
  private readonly pools = new Map<string, CallStreamPool>();
  private readonly services = new Map<string, RouteTable>();

  constructor(private readonly options: CallStreamRouterOptions) {}

  /**
   * A usable pool for a call to `service`, other than `except` (the pool a
   * retried call was lost on); undefined when none is.
   */
  pick(service: string, except?: CallStreamPool): CallStreamPool | undefined {
    const table = this.table(service);
    const count = table.ring.length;
    for (let tried = 0; tried < count; tried++) {
      const address = table.ring[table.cursor++ % count];
      const pool = this.pool(address);
      if (pool !== except && pool.usable()) return pool;
    }
    return undefined;
  }

  /** Closes every pool and stops following services. */
  close(): void {
    for (const table of this.services.values()) table.unsubscribe();
    this.services.clear();
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }

  private table(service: string): RouteTable {
    let table = this.services.get(service);
    if (!table) {
      const created: RouteTable = {
        ring: [],
        listed: new Set(),
        cursor: 0,
        unsubscribe: () => undefined,
      };
      created.unsubscribe = this.options
        .watchOf(service)
        .subscribe((view) => this.update(created, view));
      this.services.set(service, created);
      table = created;
    }
    return table;
  }

  private update(table: RouteTable, view: ServiceView): void {
    const serving = view.instances.filter(isServing);
    table.ring = weightedRotation(serving).map((i) => i.address);
    table.listed = new Set(view.instances.map((i) => i.address));
    this.closeUnlisted();
    // Opening pools as soon as instances are known spares the next calls
    // the standard way they take while a pool opens.
    for (const instance of serving) this.pool(instance.address).usable();
  }

  private closeUnlisted(): void {
    for (const [address, pool] of this.pools) {
      const listed = [...this.services.values()].some((t) =>
        t.listed.has(address),
      );
      // An instance can vanish from a view for a moment (a registry that
      // restarts lists instances as they announce again): its calls in
      // flight go on, and an idle pool closes at a later update.
      if (listed || !pool.idle) continue;
      pool.close();
      this.pools.delete(address);
    }
  }

  private pool(address: string): CallStreamPool {
    let pool = this.pools.get(address);
    if (!pool) {
      pool = new CallStreamPool(address, {
        streams: this.options.streamsPerInstance ?? 2,
        maxCallsPerStream: this.options.maxCallsPerStream ?? 1_024,
        channelOptions: this.options.channelOptions,
        windowBytes: FLOW_CONTROL_WINDOW_BYTES,
        log: this.options.log,
      });
      this.pools.set(address, pool);
    }
    return pool;
  }
}

interface RouteTable {
  /** Addresses, each repeated by its instance's weight. */
  ring: string[];
  /** Addresses of every listed instance, serving or draining. */
  listed: Set<string>;
  cursor: number;
  unsubscribe: () => void;
}
