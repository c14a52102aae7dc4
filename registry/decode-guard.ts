import type { ServiceDefinition } from '@grpc/grpc-js';

const MALFORMED = Symbol('malformed');

/** A request whose bytes could not be decoded, with the decoder's reason. */
export interface MalformedRequest {
  readonly [MALFORMED]: true;
  readonly reason: string;
}

/** Tells whether a received request failed to decode. */
export function isMalformed(value: unknown): value is MalformedRequest {
  return typeof value === 'object' && value !== null && MALFORMED in value;
}

/**
 * Returns a copy of `definition` whose request decoders never throw: bytes
 * that do not decode become a {@link MalformedRequest} for the handler to
 * refuse with INVALID_ARGUMENT. grpc-js would otherwise answer INTERNAL, a
 * code we keep for our own bugs, and the handler would never learn of it.
 */
export function guardRequestDecoding<T extends ServiceDefinition>(
  definition: T,
): T {
  const guarded: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(definition)) {
    const decode = method.requestDeserialize;
    guarded[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch (error: unknown) {
          const reason = error instanceof Error ? error.message : 'unknown';
          return { [MALFORMED]: true, reason } satisfies MalformedRequest;
        }
      },
    };
  }
  return guarded as unknown as T;
}
