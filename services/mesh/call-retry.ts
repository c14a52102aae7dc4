import type { ChannelOptions, ServiceDefinition } from '@grpc/grpc-js';
import { parseMethodName } from './names';

/**
 * How many times in all a unary call to a method marked
 * `idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT` is sent when the
 * instance it went to is lost before answering: once, then once more on
 * another instance, within the call's deadline. A lost call to any other
 * method is not sent again. Both transports read it: the call streams in
 * call-stream-client.ts, the standard transport through the retry policy
 * of its service config (service-config.ts).
 */
export const MAX_CALL_ATTEMPTS = 2;

/**
 * Channel option naming the methods of the channel's service whose lost
 * calls may be sent again, comma separated (`Get,List`). The `switchboard`
 * resolver reads it to give those methods a retry policy; the mesh sets it
 * with {@link retryChannelOptions}.
 */
export const RETRYABLE_METHODS_OPTION = 'switchboard.retryable_methods';

/**
 * grpc-js keeps a call's request until the first response headers arrive,
 * so as to send it again. A request over the per-call bound (counting its
 * 5-byte gRPC frame header), or one that would take the requests the
 * channel keeps past the per-channel bound, is not kept: its call is never
 * sent again, and fails as if its method were not idempotent. Both bounds
 * are grpc-js's defaults, made explicit because we rely on them. The
 * per-call one is well above LARGE_MESSAGE_BYTES (256 KiB): every request
 * the call streams carry would be retried on the standard path too, and
 * the larger requests that the call streams hand to the standard path are
 * retried there up to it. Call streams keep their requests without a
 * per-channel bound.
 */
const RETRY_BUFFER_BYTES_PER_CALL = 1024 * 1024;
const RETRY_BUFFER_BYTES_PER_CHANNEL = 16 * 1024 * 1024;

/**
 * The channel options that let the channel of a service retry calls: the
 * names of its unary methods that `isIdempotent` accepts (given
 * `/pkg.Service/Method`), and how much of their requests grpc-js keeps to
 * send them again. Streaming methods are never retried.
 */
export function retryChannelOptions(
  definition: ServiceDefinition,
  isIdempotent: (methodPath: string) => boolean,
): ChannelOptions {
  const methods: string[] = [];
  for (const method of Object.values(definition)) {
    if (method.requestStream || method.responseStream) continue;
    const name = parseMethodName(method.path);
    if (name && isIdempotent(method.path)) methods.push(name.method);
  }
  return {
    [RETRYABLE_METHODS_OPTION]: methods.join(','),
    'grpc.per_rpc_retry_buffer_size': RETRY_BUFFER_BYTES_PER_CALL,
    'grpc.retry_buffer_size': RETRY_BUFFER_BYTES_PER_CHANNEL,
  };
}

/** The method names {@link RETRYABLE_METHODS_OPTION} holds in `options`. */
export function readRetryableMethods(options: ChannelOptions): string[] {
  const value: unknown = options[RETRYABLE_METHODS_OPTION];
  if (typeof value !== 'string') return [];
  return value.split(',').filter((name) => name.length > 0);
}
