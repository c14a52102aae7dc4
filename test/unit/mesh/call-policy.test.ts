import {
  decideCall,
  cancelWithParent,
} from '../../../services/mesh/call-policy';
import { runInCallContext } from '../../../services/mesh/call-context';
import type { CallContext } from '../../../services/mesh/call-context';

function served(deadlineMs: number, controller = new AbortController()) {
  const context: CallContext = {
    deadlineMs,
    signal: controller.signal,
    method: '/testing.v1.Relay/Forward',
  };
  return { context, controller };
}

describe('decideCall', () => {
  const policy = { defaultDeadlineMs: 1_000 };

  it('gives a call without a deadline the default one', () => {
    const before = Date.now();
    const { deadlineMs } = decideCall(undefined, policy);
    expect(deadlineMs).toBeGreaterThanOrEqual(before + 1_000);
    expect(deadlineMs).toBeLessThanOrEqual(Date.now() + 1_000);
  });

  it('keeps the deadline the caller set', () => {
    const own = Date.now() + 5_000;
    expect(decideCall(own, policy).deadlineMs).toBe(own);
    expect(decideCall(new Date(own), policy).deadlineMs).toBe(own);
  });

  it('never lets a call outlive the call being served', () => {
    const { context } = served(Date.now() + 200);
    const decision = runInCallContext(context, () =>
      decideCall(Date.now() + 5_000, policy),
    );
    expect(decision.deadlineMs).toBe(context.deadlineMs);
    expect(decision.parent).toBe(context);
  });

  it('keeps an earlier own deadline inside a served call', () => {
    const own = Date.now() + 100;
    const { context } = served(Date.now() + 5_000);
    const decision = runInCallContext(context, () => decideCall(own, policy));
    expect(decision.deadlineMs).toBe(own);
  });
});

describe('cancelWithParent', () => {
  it('cancels the call when the served call ends, naming it', () => {
    const { context, controller } = served(Infinity);
    const cancelled: string[] = [];
    cancelWithParent({ deadlineMs: Infinity, parent: context }, (details) =>
      cancelled.push(details),
    );
    controller.abort();
    expect(cancelled).toEqual([
      'call: cancelled because the call that made it, /testing.v1.Relay/Forward, ended',
    ]);
  });

  it('cancels at once when the served call has already ended', () => {
    const { context, controller } = served(Infinity);
    controller.abort();
    const cancel = jest.fn();
    cancelWithParent({ deadlineMs: Infinity, parent: context }, cancel);
    expect(cancel).toHaveBeenCalledTimes(1);
  });

  it('does nothing once untied', () => {
    const { context, controller } = served(Infinity);
    const cancel = jest.fn();
    const untie = cancelWithParent(
      { deadlineMs: Infinity, parent: context },
      cancel,
    );
    untie();
    controller.abort();
    expect(cancel).not.toHaveBeenCalled();
  });
});
