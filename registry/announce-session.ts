import { status } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { InstanceState, RemovalReason } from '../gen/switchboard/v1/registry';
import type {
  AnnounceRequest,
  AnnounceResponse,
  InstanceAnnouncement,
} from '../gen/switchboard/v1/registry';
import type { Logger } from '../services/mesh/logger';
import {
  createStatusError,
  isStatusError,
} from '../services/mesh/status-error';
import type { StatusError } from '../services/mesh/status-error';
import {
  invalidAnnounce,
  isKnownState,
  validateAnnouncement,
} from './announce-validation';
import { isMalformed } from './decode-guard';
import type { RegistryLimits } from './limits';
import { InstanceIdTakenError } from './store';
import type { Lease, Store } from './store';

/** What every announce session of one registry shares. */
export interface AnnounceContext {
  store: Store;
  limits: RegistryLimits;
  heartbeatIntervalMs: number;
  heartbeatDeadlineMs: number;
  log: Logger;
}

type AnnounceCall = ServerDuplexStream<AnnounceRequest, AnnounceResponse>;

const REASON_NAMES: Record<number, string> = {
  [RemovalReason.REMOVAL_REASON_STREAM_CLOSED]: 'stream closed',
  [RemovalReason.REMOVAL_REASON_HEARTBEAT_MISSED]: 'heartbeat missed',
  [RemovalReason.REMOVAL_REASON_REGISTRY_STOPPING]: 'registry stopping',
};

/**
 * One Announce stream: the lease of one instance. Messages are handled one
 * at a time, in order. The session ends the lease (removing the instance)
 * the moment the stream ends for any reason, and ends the stream when the
 * lease expires for lack of heartbeats.
 */
export class AnnounceSession {
  private lease: Lease | undefined;
  private instanceId: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private finished = false;
  private readonly firstMessageTimer: NodeJS.Timeout;

  constructor(
    private readonly call: AnnounceCall,
    private readonly context: AnnounceContext,
    private readonly onFinished: (session: AnnounceSession) => void,
  ) {
    call.on('data', (message: unknown) => {
      this.queue = this.queue.then(() => this.handle(message));
    });
    call.on('end', () =>
      this.finish(RemovalReason.REMOVAL_REASON_STREAM_CLOSED),
    );
    call.on('cancelled', () =>
      this.finish(RemovalReason.REMOVAL_REASON_STREAM_CLOSED),
    );
    call.on('error', () =>
      this.finish(RemovalReason.REMOVAL_REASON_STREAM_CLOSED),
    );
    this.firstMessageTimer = setTimeout(
      () => this.noAnnouncement(),
      context.heartbeatDeadlineMs,
    );
    this.firstMessageTimer.unref();
  }

  /** Ends the session because the registry stops; the instance is removed. */
  async close(): Promise<void> {
    // The lease is revoked before the stream ends: ending it first would
    // report the removal as a closed stream.
    await this.finish(RemovalReason.REMOVAL_REASON_REGISTRY_STOPPING, {
      code: status.UNAVAILABLE,
      details:
        'announce: the registry is stopping; announce again to ' +
        'another replica or after it restarts',
    });
  }

  private async handle(message: unknown): Promise<void> {
    if (this.finished) return;
    try {
      await this.dispatch(message);
    } catch (error: unknown) {
      await this.fail(error);
    }
  }

  private async dispatch(message: unknown): Promise<void> {
    if (isMalformed(message)) {
      throw invalidAnnounce(
        `message is not a valid AnnounceRequest (${message.reason})`,
      );
    }
    const kind = (message as AnnounceRequest).kind;
    if (!kind) {
      throw invalidAnnounce(
        'message sets none of announcement, heartbeat, state_change',
      );
    }
    if (!this.lease) {
      if (kind.$case !== 'announcement') {
        throw invalidAnnounce(
          `the first message must be an announcement, got ${kind.$case}`,
        );
      }
      return this.announce(kind.value);
    }
    switch (kind.$case) {
      case 'announcement':
        throw invalidAnnounce(
          'a second announcement on one stream; open a new stream to announce again',
        );
      case 'heartbeat':
        await this.lease.keepAlive();
        return this.acknowledge(await this.context.store.currentRevision());
      case 'stateChange':
        return this.changeState(kind.value.state);
    }
  }

  private async announce(announcement: InstanceAnnouncement): Promise<void> {
    clearTimeout(this.firstMessageTimer);
    const valid = validateAnnouncement(announcement, this.context.limits);
    const { store, heartbeatDeadlineMs } = this.context;
    const lease = await store.grantLease(heartbeatDeadlineMs);
    let revision: number;
    try {
      revision = await store.put(
        { ...valid, announcedAtMs: Date.now() },
        lease,
      );
    } catch (error: unknown) {
      await lease.revoke(RemovalReason.REMOVAL_REASON_STREAM_CLOSED);
      throw error instanceof InstanceIdTakenError
        ? createStatusError(
            status.ALREADY_EXISTS,
            `announce: ${error.message}; choose another instance_id ` +
              `or wait for the other stream to end`,
          )
        : error;
    }
    if (this.finished) {
      // The stream ended while the store was writing: nothing would ever
      // revoke this lease, and the instance would linger until its deadline.
      await lease.revoke(RemovalReason.REMOVAL_REASON_STREAM_CLOSED);
      return;
    }
    this.lease = lease;
    this.instanceId = valid.instanceId;
    lease.onExpired(() => this.expired());
    this.context.log.info(
      {
        instanceId: valid.instanceId,
        address: valid.address,
        services: valid.services.map((s) => s.name),
        state: stateName(valid.state),
        revision,
      },
      'instance announced',
    );
    this.call.write({
      kind: {
        $case: 'lease',
        value: {
          heartbeatIntervalMs: this.context.heartbeatIntervalMs,
          heartbeatDeadlineMs,
          revision,
        },
      },
    });
  }

  private async changeState(state: InstanceState): Promise<void> {
    if (!isKnownState(state)) {
      throw invalidAnnounce(
        `state_change.state ${state} is neither serving nor draining`,
      );
    }
    const instanceId = this.instanceId as string;
    const revision = await this.context.store.setState(instanceId, state);
    const message =
      state === InstanceState.INSTANCE_STATE_DRAINING
        ? 'instance draining'
        : 'instance serving';
    this.context.log.info({ instanceId, revision }, message);
    this.acknowledge(revision);
  }

  private acknowledge(revision: number): void {
    this.call.write({ kind: { $case: 'ack', value: { revision } } });
  }

  private noAnnouncement(): void {
    if (this.lease || this.finished) return;
    this.endStream({
      code: status.DEADLINE_EXCEEDED,
      details:
        `announce: no announcement within ${this.context.heartbeatDeadlineMs} ` +
        `ms of opening the stream`,
    });
    void this.finish(RemovalReason.REMOVAL_REASON_STREAM_CLOSED);
  }

  private expired(): void {
    if (this.finished) return;
    this.finished = true;
    this.logRemoval(RemovalReason.REMOVAL_REASON_HEARTBEAT_MISSED);
    this.endStream({
      code: status.UNAVAILABLE,
      details:
        `announce: no heartbeat within ${this.context.heartbeatDeadlineMs} ` +
        `ms; the instance was removed, announce again`,
    });
    this.onFinished(this);
  }

  private async fail(error: unknown): Promise<void> {
    const statusError: StatusError = isStatusError(error)
      ? error
      : createStatusError(
          status.UNKNOWN,
          'announce: the registry failed to apply the message; see the registry log',
        );
    if (!isStatusError(error)) {
      this.context.log.error({ err: error }, 'announce message failed');
    } else {
      this.context.log.warn(
        {
          instanceId: this.instanceId,
          code: statusError.code,
          reason: statusError.details,
        },
        'announce refused',
      );
    }
    this.endStream({ code: statusError.code, details: statusError.details });
    await this.finish(RemovalReason.REMOVAL_REASON_STREAM_CLOSED);
  }

  private endStream(outcome: { code: status; details: string }): void {
    if (this.call.destroyed || this.call.writableEnded) return;
    if (outcome.code === status.OK) {
      this.call.end();
      return;
    }
    this.call.emit('error', createStatusError(outcome.code, outcome.details));
  }

  private async finish(
    reason: RemovalReason,
    outcome = { code: status.OK, details: 'OK' },
  ): Promise<void> {
    clearTimeout(this.firstMessageTimer);
    if (this.finished) return;
    this.finished = true;
    const lease = this.lease;
    if (lease) {
      await lease.revoke(reason);
      this.logRemoval(reason);
    }
    this.endStream(outcome);
    this.onFinished(this);
  }

  private logRemoval(reason: RemovalReason): void {
    this.context.log.info(
      { instanceId: this.instanceId, reason: REASON_NAMES[reason] },
      'instance removed',
    );
  }
}

function stateName(state: InstanceState): string {
  return state === InstanceState.INSTANCE_STATE_DRAINING
    ? 'draining'
    : 'serving';
}
