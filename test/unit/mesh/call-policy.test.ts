import type { InterceptorOptions } from '@grpc/grpc-js';
import { effectiveDeadline } from '../../../services/mesh/call-policy';
import type { CallContext } from '../../../services/mesh/call-context';

function options(deadline?: number): InterceptorOptions {
  return { deadline, method_definition: {} } as unknown as InterceptorOptions;
}

function parent(deadlineMs: number): CallContext {
  return {
    deadlineMs,
    signal: new AbortController().signal,
    method: '/testing.v1.Relay/Forward',
  };
}

describe('effectiveDeadline', () => {
  const policy = { defaultDeadlineMs: 1_000 };

  it('gives a call without a deadline the default one', () => {
    const before = Date.now();
    const deadline = effectiveDeadline(options(), policy, undefined);
    expect(deadline).toBeGreaterThanOrEqual(before + 1_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 1_000);
  });

  it('keeps the deadline the caller set', () => {
    const own = Date.now() + 5_000;
    expect(effectiveDeadline(options(own), policy, undefined)).toBe(own);
  });

  it('never lets a call outlive the call being served', () => {
    const served = Date.now() + 200;
    const own = Date.now() + 5_000;
    expect(effectiveDeadline(options(own), policy, parent(served))).toBe(
      served,
    );
  });

  it('keeps an earlier own deadline inside a served call', () => {
    const own = Date.now() + 100;
    const served = Date.now() + 5_000;
    expect(effectiveDeadline(options(own), policy, parent(served))).toBe(own);
  });
});
