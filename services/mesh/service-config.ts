import { status } from '@grpc/grpc-js';
import type { MethodConfig, RetryPolicy, ServiceConfig } from '@grpc/grpc-js';
import { MAX_CALL_ATTEMPTS } from './call-retry';

/**
 * How a lost call is sent again. grpc-js sends a call again only while no
 * response headers have arrived, so a handler that has begun to answer is
 * never run twice. It cannot tell an instance that went away from one that
 * answered UNAVAILABLE before any headers (a draining instance refusing a
 * new call): it sends both again, which an idempotent method allows. Call
 * streams send again only a call whose stream was lost.
 */
const RETRY_POLICY: RetryPolicy = {
  maxAttempts: MAX_CALL_ATTEMPTS,
  // Long enough for round robin to drop the lost instance, short beside
  // any deadline; grpc-js adds ±20% jitter.
  initialBackoff: '0.02s',
  maxBackoff: '0.1s',
  backoffMultiplier: 2,
  retryableStatusCodes: [status.UNAVAILABLE],
};

/**
 * The grpc-js service config of the channel to `service`: round robin over
 * its instances, and for each of `retryableMethods` (method names, `Get`)
 * a retry policy. A call to one of them that fails with UNAVAILABLE before
 * any response headers arrived is sent again, after about 20 ms, to the
 * instance round robin picks next, up to MAX_CALL_ATTEMPTS in all and
 * within the call's deadline. A call to any other method is never sent
 * again, apart from grpc-js's transparent retry of a call that no handler
 * received. No retry throttling: MAX_CALL_ATTEMPTS bounds every call.
 */
export function createServiceConfig(
  service: string,
  retryableMethods: string[],
): ServiceConfig {
  const methodConfig: MethodConfig[] = [];
  if (retryableMethods.length > 0) {
    methodConfig.push({
      name: retryableMethods.map((method) => ({ service, method })),
      retryPolicy: RETRY_POLICY,
    });
  }
  return { loadBalancingConfig: [{ round_robin: {} }], methodConfig };
}
