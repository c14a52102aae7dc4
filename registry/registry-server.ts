import { Server, status } from '@grpc/grpc-js';
import type {
  ServerDuplexStream,
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
} from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { RegistryService } from '../gen/switchboard/v1/registry';
import type {
  AnnounceRequest,
  AnnounceResponse,
  ListServicesRequest,
  ResolveRequest,
  ResolveResponse,
  WatchRequest,
  WatchResponse,
} from '../gen/switchboard/v1/registry';
import { createSilentLogger } from '../services/mesh/logger';
import type { Logger } from '../services/mesh/logger';
import {
  createStatusError,
  isStatusError,
} from '../services/mesh/status-error';
import {
  bindServer,
  formatHost,
  shutDownServer,
} from '../services/mesh/server-lifecycle';
import { AnnounceSession } from './announce-session';
import type { AnnounceContext } from './announce-session';
import {
  checkWatchedService,
  listServices,
  parseResolveTarget,
  resolve,
} from './catalog-queries';
import { guardRequestDecoding, isMalformed } from './decode-guard';
import { toWatchResponse } from './instance-view';
import { DEFAULT_LIMITS } from './limits';
import type { RegistryLimits } from './limits';
import type { Store, WatchHandle } from './store';
import { createMemoryStore } from './store-memory';

/** Options of {@link createRegistry}. */
export interface RegistryOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** Where the catalog lives. Default: a new memory store. */
  store?: Store;
  /** How often instances must send a heartbeat, in ms. Default 5,000. */
  heartbeatIntervalMs?: number;
  /**
   * How long without a heartbeat before an instance is removed, in ms.
   * Default three heartbeat intervals.
   */
  heartbeatDeadlineMs?: number;
  /** Bounds on what the registry accepts; each defaults as in DEFAULT_LIMITS. */
  limits?: Partial<RegistryLimits>;
  /** Parent logger; the registry logs under `component: 'registry'`. */
  logger?: Logger;
}

/** A running registry-broker. */
export interface Registry {
  /** `host:port` the registry listens on, once started. */
  readonly address: string;
  /** Binds the port and starts serving; resolves to the bound address. */
  start(): Promise<string>;
  /**
   * Stops taking calls, ends every announce and watch stream (removing
   * their instances), waits for calls in flight up to `graceMs` (default
   * 5,000), then closes.
   */
  stop(graceMs?: number): Promise<void>;
}

type AnnounceCall = ServerDuplexStream<AnnounceRequest, AnnounceResponse>;

const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
const REGISTRY_SERVICE_NAME = 'switchboard.v1.Registry';

/**
 * Creates the registry-broker: the `switchboard.v1.Registry` service over a
 * store, with the standard health service beside it. Nothing listens until
 * `start`.
 */
export function createRegistry(options: RegistryOptions = {}): Registry {
  return new RegistryServer(options);
}

class RegistryServer implements Registry {
  private boundAddress = '';
  private readonly server: Server;
  private readonly store: Store;
  private readonly health = new HealthImplementation({
    '': 'NOT_SERVING',
    [REGISTRY_SERVICE_NAME]: 'NOT_SERVING',
  });
  private readonly log: Logger;
  private readonly announce: AnnounceContext;
  private readonly sessions = new Set<AnnounceSession>();
  private readonly watchers = new Set<
    ServerWritableStream<WatchRequest, WatchResponse>
  >();

  constructor(private readonly options: RegistryOptions) {
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const heartbeatIntervalMs =
      options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.log = (options.logger ?? createSilentLogger()).child({
      component: 'registry',
    });
    this.store = options.store ?? createMemoryStore();
    this.announce = {
      store: this.store,
      limits,
      heartbeatIntervalMs,
      heartbeatDeadlineMs:
        options.heartbeatDeadlineMs ?? heartbeatIntervalMs * 3,
      log: this.log,
    };
    this.server = new Server({
      // grpc-js itself refuses a larger message, with RESOURCE_EXHAUSTED and
      // its own wording ("Received message larger than max"), before any
      // handler of ours sees it; so that one refusal does not read
      // `context: specifics` like the others.
      'grpc.max_receive_message_length': limits.maxMessageBytes,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    });
    this.server.addService(guardRequestDecoding(RegistryService), {
      announce: (call: AnnounceCall) => this.openSession(call),
      resolve: this.unary((req: ResolveRequest) => this.resolve(req)),
      watch: (call: ServerWritableStream<WatchRequest, WatchResponse>) =>
        this.watch(call),
      listServices: this.unary((_req: ListServicesRequest) =>
        listServices(this.store),
      ),
    });
    this.health.addToServer(this.server);
  }

  get address(): string {
    return this.boundAddress;
  }

  async start(): Promise<string> {
    await this.store.start();
    const host = this.options.host ?? '127.0.0.1';
    const port = await bindServer(this.server, host, this.options.port ?? 0);
    this.boundAddress = `${formatHost(host)}:${port}`;
    this.health.setStatus('', 'SERVING');
    this.health.setStatus(REGISTRY_SERVICE_NAME, 'SERVING');
    this.log.info(
      { address: this.boundAddress, store: this.store.kind },
      'registry listening',
    );
    return this.boundAddress;
  }

  async stop(graceMs = 5_000): Promise<void> {
    this.health.setStatus('', 'NOT_SERVING');
    this.health.setStatus(REGISTRY_SERVICE_NAME, 'NOT_SERVING');
    await Promise.all([...this.sessions].map((session) => session.close()));
    for (const watcher of this.watchers) watcher.end();
    this.watchers.clear();
    await this.store.stop();
    await shutDownServer(this.server, graceMs);
    this.log.info({ address: this.boundAddress }, 'registry stopped');
  }

  private openSession(call: AnnounceCall): void {
    const session = new AnnounceSession(call, this.announce, (ended) =>
      this.sessions.delete(ended),
    );
    this.sessions.add(session);
  }

  private async resolve(request: ResolveRequest): Promise<ResolveResponse> {
    const target = parseResolveTarget(request.target, this.announce.limits);
    return resolve(this.store, target);
  }

  private watch(call: ServerWritableStream<WatchRequest, WatchResponse>): void {
    const request: unknown = call.request;
    try {
      if (isMalformed(request)) {
        throw createStatusError(
          status.INVALID_ARGUMENT,
          `watch: request is not a valid WatchRequest (${request.reason})`,
        );
      }
      checkWatchedService(call.request.service, this.announce.limits);
    } catch (error: unknown) {
      call.emit('error', error);
      return;
    }
    const service = call.request.service || undefined;
    const peer = call.getPeer();
    let handle: WatchHandle | undefined;
    const leave = () => {
      if (!handle) return;
      handle.close();
      handle = undefined;
      this.watchers.delete(call);
      this.log.info({ peer, service: service ?? '*' }, 'watcher left');
    };
    call.on('cancelled', leave);
    call.on('close', leave);
    call.on('error', leave);
    this.watchers.add(call);
    this.log.info({ peer, service: service ?? '*' }, 'watcher joined');
    handle = this.store.watch(
      {
        service,
        afterRevision:
          call.request.epoch === this.store.epoch
            ? call.request.afterRevision
            : 0,
      },
      (event) => {
        if (call.destroyed || call.writableEnded) return;
        if (call.writableLength >= this.announce.limits.maxWatchBacklog) {
          return this.dropSlowWatcher(call, event.revision, leave);
        }
        call.write(toWatchResponse(event, this.store.epoch));
      },
    );
  }

  /**
   * Ends a watch whose reader fell too far behind, rather than holding its
   * backlog without bound. The watcher can watch again after the last
   * revision it read.
   */
  private dropSlowWatcher(
    call: ServerWritableStream<WatchRequest, WatchResponse>,
    revision: number,
    leave: () => void,
  ): void {
    const limit = this.announce.limits.maxWatchBacklog;
    leave();
    call.emit(
      'error',
      createStatusError(
        status.RESOURCE_EXHAUSTED,
        `watch: the watcher fell ${limit} messages behind at ` +
          `revision ${revision}; watch again after the last revision it read`,
      ),
    );
  }

  /** Adapts an async function to a unary handler with our error rules. */
  private unary<Req, Res>(handle: (request: Req) => Promise<Res>) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      const request: unknown = call.request;
      if (isMalformed(request)) {
        callback(
          createStatusError(
            status.INVALID_ARGUMENT,
            `${methodContext(call)}: request could not be decoded (${request.reason})`,
          ),
        );
        return;
      }
      handle(call.request).then(
        (response) => callback(null, response),
        (error: unknown) => callback(this.toCallerError(error)),
      );
    };
  }

  private toCallerError(error: unknown) {
    if (isStatusError(error)) return error;
    this.log.error({ err: error }, 'registry handler failed');
    return createStatusError(
      status.UNKNOWN,
      'registry: the request failed unexpectedly; see the registry log',
    );
  }
}

function methodContext(call: ServerUnaryCall<unknown, unknown>): string {
  const path = call.getPath();
  const method = path.slice(path.lastIndexOf('/') + 1);
  return method.charAt(0).toLowerCase() + method.slice(1);
}
