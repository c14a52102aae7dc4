/**
 * Calls to `bench.v1.Echo` through a ts-proto grpc-js client, however the
 * client was made: with a fixed address (raw grpc-js) or by the runtime.
 */
import { Metadata } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import type { EchoClient, EchoReply } from '../gen/bench/v1/echo';
import { CALL_DEADLINE_MS } from './bench-config';
import type {
  BenchCaller,
  EchoStreamListener,
  EchoStreamSender,
} from './system';

/**
 * Wraps `client` as a caller. Every unary call carries a deadline of
 * CALL_DEADLINE_MS and every stream the deadline it is opened with, so that
 * nothing the benchmark sends can wait forever. The caller's `close` runs
 * `close`, by default closing the client.
 */
export function createGrpcCaller(
  client: EchoClient,
  close: () => Promise<void> = async () => client.close(),
): BenchCaller {
  return {
    unary(payload) {
      const request = { payload };
      return () =>
        new Promise<number>((resolve, reject) => {
          const deadline = Date.now() + CALL_DEADLINE_MS;
          // A fresh Metadata each call, as grpc-js makes when given none:
          // interceptors may add to it.
          client.echo(
            request,
            new Metadata(),
            { deadline },
            (error: ServiceError | null, reply: EchoReply) =>
              error ? reject(error) : resolve(reply.payload.length),
          );
        });
    },
    openStream: (payload, listener, deadlineMs) =>
      openEchoStream(client, payload, listener, deadlineMs),
    close,
  };
}

function openEchoStream(
  client: EchoClient,
  payload: Buffer,
  listener: EchoStreamListener,
  deadlineMs: number,
): EchoStreamSender {
  const request = { payload };
  const call = client.echoStream({ deadline: Date.now() + deadlineMs });
  const ended = new Promise<void>((resolve, reject) => {
    call.on('status', () => resolve());
    call.on('error', reject);
  });
  // The round has its own stall timer; this keeps an early failure from
  // surfacing as an unhandled rejection before `end` is awaited.
  ended.catch(() => undefined);
  call.on('data', (reply: EchoReply) => listener.onReply(reply.payload.length));
  call.on('error', (error: Error) => listener.onError(error));
  return {
    send: () => {
      call.write(request);
    },
    end: () => {
      call.end();
      return ended;
    },
  };
}
