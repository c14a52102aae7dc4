/**
 * The `raw grpc-js` rows: a plain grpc-js server and a plain ts-proto
 * client with a fixed address, no mesh in between. What the runtime's rows
 * are measured against.
 */
import { credentials } from '@grpc/grpc-js';
import type { ChannelOptions } from '@grpc/grpc-js';
import { EchoClient } from '../gen/bench/v1/echo';
import { startEchoServer } from './echo-server-process';
import { createGrpcCaller } from './grpc-caller';
import type { BenchSystem } from './system';

/**
 * Channel options of the raw client: grpc-js defaults. The runtime's
 * clients should be compared with the same, or the difference recorded.
 */
export const RAW_CHANNEL_OPTIONS: ChannelOptions = {};

/** The `raw grpc-js` system. */
export const rawGrpcSystem: BenchSystem = {
  name: 'raw grpc-js',
  settings: { channelOptions: RAW_CHANNEL_OPTIONS },
  async startServer() {
    const server = await startEchoServer('grpc');
    return {
      async createCaller() {
        const client = new EchoClient(
          server.address,
          credentials.createInsecure(),
          RAW_CHANNEL_OPTIONS,
        );
        await waitForReady(client);
        return createGrpcCaller(client);
      },
      cpuUsageUs: () => server.process.cpuUsageUs(),
      stop: () => server.process.stop(),
    };
  },
};

function waitForReady(client: EchoClient): Promise<void> {
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (error) =>
      error ? reject(error) : resolve(),
    ),
  );
}
