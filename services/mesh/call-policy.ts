import { InterceptingCall, status } from '@grpc/grpc-js';
import type {
  Deadline,
  Interceptor,
  InterceptorOptions,
  StatusObject,
} from '@grpc/grpc-js';
import { currentCallContext } from './call-context';
import { serviceOfPath } from './names';
import type { CallContext } from './call-context';

/** Options of {@link createCallPolicy}. */
export interface CallPolicyOptions {
  /** Deadline of a call that sets none, in ms. */
  defaultDeadlineMs: number;
  /**
   * Explains a call that failed before reaching any instance of `service`
   * (the registry away, say); undefined when there is nothing to add.
   */
  explainUnreached?: (service: string) => string | undefined;
}

/** What the policy decided about one outgoing call. */
export interface CallDecision {
  /** Absolute deadline, ms since the epoch. */
  deadlineMs: number;
  /** The call being served that makes this one, if any. */
  parent: CallContext | undefined;
}

/**
 * Decides an outgoing call's deadline: the caller's, else the default,
 * never later than the deadline of the call being served.
 */
export function decideCall(
  deadline: Deadline | undefined,
  options: CallPolicyOptions,
): CallDecision {
  const parent = currentCallContext();
  const own =
    deadline !== undefined
      ? deadlineToMs(deadline)
      : Date.now() + options.defaultDeadlineMs;
  return { deadlineMs: Math.min(own, parent?.deadlineMs ?? Infinity), parent };
}

/**
 * Ties a call's cancellation to the call being served: `cancel` runs with
 * the status details once the parent ends, at once if it has. Returns the
 * function that unties them, to call when the call ends.
 */
export function cancelWithParent(
  decision: CallDecision,
  cancel: (details: string) => void,
): () => void {
  const parent = decision.parent;
  if (!parent) return noop;
  const onAbort = () =>
    cancel(
      `call: cancelled because the call that made it, ${parent.method}, ended`,
    );
  if (parent.signal.aborted) {
    onAbort();
    return noop;
  }
  parent.signal.addEventListener('abort', onAbort, { once: true });
  return () => parent.signal.removeEventListener('abort', onAbort);
}

/**
 * The one place where the runtime decides about an outgoing call, apart from
 * how the call travels: its deadline and cancellation ({@link decideCall},
 * {@link cancelWithParent}) and the wording of failures. This interceptor
 * applies them to calls that travel the standard way; the call-stream
 * transport applies the same functions, so both keep the same rules.
 * Sending a lost call to an idempotent method again happens below it, in
 * grpc-js, by the retry policy of the channel's service config
 * (service-config.ts), within the deadline decided here.
 */
export function createCallPolicy(options: CallPolicyOptions): Interceptor {
  return (callOptions, nextCall) => {
    const decision = decideCall(callOptions.deadline, options);
    const call = nextCall({ ...callOptions, deadline: decision.deadlineMs });
    return new InterceptingCall(call, {
      start(metadata, listener, next) {
        let untie = noop;
        next(metadata, {
          onReceiveStatus(received: StatusObject, nextStatus) {
            untie();
            nextStatus(explain(received, callOptions, options, decision));
          },
        });
        untie = cancelWithParent(decision, (details) =>
          call.cancelWithStatus(status.CANCELLED, details),
        );
      },
    });
  };
}

/** A grpc-js deadline as ms since the epoch; Infinity when none. */
export function deadlineToMs(deadline: Deadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

function explain(
  received: StatusObject,
  callOptions: InterceptorOptions,
  options: CallPolicyOptions,
  decision: CallDecision,
): StatusObject {
  if (received.code !== status.DEADLINE_EXCEEDED || !options.explainUnreached) {
    return received;
  }
  const service = serviceOfPath(callOptions.method_definition.path);
  const reason = options.explainUnreached(service);
  if (!reason) return received;
  const spent = Number.isFinite(decision.deadlineMs)
    ? ` (${received.details})`
    : '';
  return {
    ...received,
    details: `call: deadline passed while ${reason}${spent}`,
  };
}

function noop(): void {}
