import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';

/**
 * An Error that carries a gRPC status code, in the shape grpc-js sends as a
 * call's status when a handler fails with it, and hands to callers when a
 * call fails.
 */
export type StatusError = ServiceError;

/**
 * Creates an error that ends a call with `code` and `message`. The message
 * is sent to the caller as is: write it as `context: specifics`, quoting the
 * offending value and the limit.
 */
export function createStatusError(
  code: status,
  message: string,
  metadata: Metadata = new Metadata(),
): StatusError {
  const error = new Error(message) as StatusError;
  error.code = code;
  error.details = message;
  error.metadata = metadata;
  return error;
}

/** Tells whether `value` is an error that carries a gRPC status code. */
export function isStatusError(value: unknown): value is StatusError {
  return (
    value instanceof Error &&
    typeof (value as Partial<StatusError>).code === 'number'
  );
}
