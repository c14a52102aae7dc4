import { Metadata, status } from '@grpc/grpc-js';
// grpc-js's own reading of a service config, to check ours against it.
import { getDefaultConfigSelector } from '@grpc/grpc-js/build/src/resolving-load-balancer';
import { validateServiceConfig } from '@grpc/grpc-js/build/src/service-config';
import { MAX_CALL_ATTEMPTS } from '../../../services/mesh/call-retry';
import { createServiceConfig } from '../../../services/mesh/service-config';

describe('createServiceConfig', () => {
  it('balances round robin and retries nothing without retryable methods', () => {
    expect(createServiceConfig('testing.v1.Probe', [])).toEqual({
      loadBalancingConfig: [{ round_robin: {} }],
      methodConfig: [],
    });
  });

  it('retries the named methods on UNAVAILABLE, MAX_CALL_ATTEMPTS in all', () => {
    const config = createServiceConfig('testing.v1.Probe', ['Lookup', 'Get']);
    expect(config.methodConfig).toHaveLength(1);
    const [methods] = config.methodConfig;
    expect(methods.name).toEqual([
      { service: 'testing.v1.Probe', method: 'Lookup' },
      { service: 'testing.v1.Probe', method: 'Get' },
    ]);
    expect(methods.retryPolicy).toMatchObject({
      maxAttempts: MAX_CALL_ATTEMPTS,
      retryableStatusCodes: [status.UNAVAILABLE],
    });
  });

  it('is a service config grpc-js accepts as it is', () => {
    const config = createServiceConfig('testing.v1.Probe', ['Lookup']);
    const parsed = validateServiceConfig(JSON.parse(JSON.stringify(config)));
    expect(parsed.methodConfig).toEqual(config.methodConfig);
    expect(parsed.loadBalancingConfig).toEqual(config.loadBalancingConfig);
  });

  it('gives a retry policy to the named methods and to no other', () => {
    const selector = getDefaultConfigSelector(
      createServiceConfig('testing.v1.Probe', ['Lookup']),
    );
    const policyOf = (path: string) =>
      selector.invoke(path, new Metadata(), 0).methodConfig.retryPolicy;
    expect(policyOf('/testing.v1.Probe/Lookup')?.maxAttempts).toBe(
      MAX_CALL_ATTEMPTS,
    );
    expect(policyOf('/testing.v1.Probe/Unary')).toBeUndefined();
    expect(policyOf('/testing.v1.Relay/Lookup')).toBeUndefined();
  });
});
