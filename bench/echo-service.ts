/**
 * The `bench.v1.Echo` handlers, shared by every gRPC server of the
 * benchmark so that raw grpc-js and the runtime serve the same code.
 */
import type { EchoServer } from '../gen/bench/v1/echo';

/**
 * Echoes each request's payload back: once for a unary call, once per
 * message, in order, on a stream. The stream ends when the caller
 * half-closes it.
 */
export const echoImplementation: EchoServer = {
  echo(call, callback) {
    callback(null, { payload: call.request.payload });
  },
  echoStream(call) {
    call.on('data', (request: { payload: Buffer }) => {
      call.write({ payload: request.payload });
    });
    call.on('end', () => call.end());
    // A caller that cancels is not a server fault; grpc-js has already
    // ended the call.
    call.on('error', () => undefined);
  },
};
