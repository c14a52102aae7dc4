/**
 * The largest message, in bytes, that clients made by the runtime receive
 * and instances it serves accept, unless told otherwise: 16 MiB, four times
 * the gRPC default, so that a 4 MiB payload with its envelope passes.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
