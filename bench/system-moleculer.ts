/**
 * The `moleculer tcp` rows: two Moleculer brokers in two processes, the
 * TCP transporter and the JSON serializer, an `echo.echo` action. A broker
 * with its own discovery and transport, for scale next to gRPC.
 *
 * The payload travels as a JSON string of the same number of ASCII bytes:
 * Moleculer's JSON serializer would turn a Buffer into an array of numbers
 * several times its size. Moleculer has no message stream comparable to a
 * gRPC bidi call, so the system has no bidi rows.
 */
import { CALL_DEADLINE_MS } from './bench-config';
import { startEchoServer } from './echo-server-process';
import { MOLECULER_SERVER_NODE_ID } from './echo-server';
import { createLoopbackBroker } from './moleculer-loopback';
import type { BenchCaller, BenchSystem } from './system';

const CALLER_NODE_ID = 'bench-caller';
const ACTION = 'echo.echo';

/** The `moleculer tcp` system. */
export const moleculerSystem: BenchSystem = {
  name: 'moleculer tcp',
  settings: {
    transporter: 'TCP, udpDiscovery off, static URL, 127.0.0.1 only',
    serializer: 'JSON',
  },
  async startServer() {
    const server = await startEchoServer('moleculer');
    const port = Number(server.address.split(':').pop());
    return {
      createCaller: () => createMoleculerCaller(port),
      cpuUsageUs: () => server.process.cpuUsageUs(),
      stop: () => server.process.stop(),
    };
  },
};

async function createMoleculerCaller(serverPort: number): Promise<BenchCaller> {
  const { broker } = createLoopbackBroker(CALLER_NODE_ID, [
    { nodeID: MOLECULER_SERVER_NODE_ID, port: serverPort },
  ]);
  await broker.start();
  try {
    await broker.waitForServices('echo', CALL_DEADLINE_MS);
  } catch (error: unknown) {
    await broker.stop();
    throw error;
  }
  return {
    unary(payload) {
      const params = { payload: payload.toString('latin1') };
      const options = { timeout: CALL_DEADLINE_MS };
      return () =>
        broker
          .call<{ payload: string }, typeof params>(ACTION, params, options)
          .then((reply) => reply.payload.length);
    },
    close: () => broker.stop(),
  };
}
