import { InterceptingCall, status } from '@grpc/grpc-js';
import type {
  Deadline,
  Interceptor,
  InterceptorOptions,
  StatusObject,
} from '@grpc/grpc-js';
import { currentCallContext } from './call-context';
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

/**
 * The one place where the runtime decides about an outgoing call, apart from
 * how the call travels: its deadline (the caller's, else the default, never
 * later than the deadline of the call being served), its cancellation (with
 * the call being served), and the wording of failures. Both ways of carrying
 * calls apply it, so direct and forwarded calls keep the same rules.
 */
export function createCallPolicy(options: CallPolicyOptions): Interceptor {
  return (callOptions, nextCall) => {
    const parent = currentCallContext();
    const deadlineMs = effectiveDeadline(callOptions, options, parent);
    const call = nextCall({ ...callOptions, deadline: deadlineMs });
    return new InterceptingCall(call, {
      start(metadata, listener, next) {
        const cancelWithParent = () =>
          call.cancelWithStatus(
            status.CANCELLED,
            `call: cancelled because the call that made it, ${parent?.method}, ended`,
          );
        parent?.signal.addEventListener('abort', cancelWithParent, {
          once: true,
        });
        next(metadata, {
          onReceiveStatus(received: StatusObject, nextStatus) {
            parent?.signal.removeEventListener('abort', cancelWithParent);
            nextStatus(explain(received, callOptions, options, deadlineMs));
          },
        });
        if (parent?.signal.aborted) cancelWithParent();
      },
    });
  };
}

/** The deadline a call gets, in ms since the epoch. */
export function effectiveDeadline(
  callOptions: InterceptorOptions,
  options: CallPolicyOptions,
  parent: CallContext | undefined,
): number {
  const own =
    callOptions.deadline !== undefined
      ? deadlineToMs(callOptions.deadline)
      : Date.now() + options.defaultDeadlineMs;
  return Math.min(own, parent?.deadlineMs ?? Infinity);
}

/** A grpc-js deadline as ms since the epoch; Infinity when none. */
export function deadlineToMs(deadline: Deadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

function explain(
  received: StatusObject,
  callOptions: InterceptorOptions,
  options: CallPolicyOptions,
  deadlineMs: number,
): StatusObject {
  if (received.code !== status.DEADLINE_EXCEEDED || !options.explainUnreached) {
    return received;
  }
  const service = serviceOf(callOptions.method_definition.path);
  const reason = options.explainUnreached(service);
  if (!reason) return received;
  const budget = Number.isFinite(deadlineMs) ? ` (${received.details})` : '';
  return {
    ...received,
    details: `call: deadline passed while ${reason}${budget}`,
  };
}

function serviceOf(path: string): string {
  return path.split('/')[1] ?? path;
}
