/**
 * Moleculer brokers that talk over its TCP transporter on 127.0.0.1 only,
 * for the `moleculer tcp` rows.
 *
 * Left to its defaults, Moleculer's TCP transporter (0.15) multicasts UDP
 * discovery, listens on every interface, and dials a peer at its host name
 * or first network address. Here discovery is off (`udpDiscovery: false`)
 * and the peer is given as a static `tcp://127.0.0.1:<port>/<nodeID>` URL,
 * but two gaps have no option: the TCP reader calls
 * `server.listen({ port, exclusive })` with no host, and the address a
 * node advertises in its gossip HELLO (and that peers dial back) comes from
 * `getNodeAddress`, which prefers a host name. So the transporter below
 * overrides both.
 *
 * How this was checked: while `BENCH_SYSTEMS='moleculer tcp' make bench`
 * ran, `ss -tuanp` once a second for 15 s, keeping the lines of the pids of
 * dist/bench/run.js and of `echo-server.js --mode moleculer`. Both
 * listeners were bound to 127.0.0.1 (neither 0.0.0.0 nor [::]); every
 * established socket went from 127.0.0.1 to 127.0.0.1 (two connections,
 * as each broker dials the other); neither process held a UDP socket.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ServiceBroker, Transporters } from 'moleculer';

type TcpReader = import('moleculer/src/transporters/tcp/tcp-reader');
type TcpWriter = import('moleculer/src/transporters/tcp/tcp-writer');
type ReaderClass = new (transporter: unknown, opts: unknown) => TcpReader;
type WriterClass = new (transporter: unknown, opts: unknown) => TcpWriter;

/** The only address a loopback broker listens on, advertises or dials. */
export const LOOPBACK = '127.0.0.1';

// moleculer's package.json exports only its root, which does not re-export
// the TCP reader and writer; a file path is not subject to `exports`.
const TCP_SOURCES = path.join(
  path.dirname(require.resolve('moleculer')),
  'src/transporters/tcp',
);
const BaseReader = require(path.join(TCP_SOURCES, 'tcp-reader.js'));
const Writer = require(path.join(TCP_SOURCES, 'tcp-writer.js')) as WriterClass;

/** A TCP reader whose listener is bound to 127.0.0.1 only. */
class LoopbackTcpReader extends (BaseReader as ReaderClass) {
  override listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) =>
        this.onTcpClientConnected(socket),
      );
      server.once('error', reject);
      const port = Number(this.opts.port) || 0;
      server.listen({ host: LOOPBACK, port, exclusive: true }, () => {
        server.off('error', reject);
        this.opts.port = (server.address() as AddressInfo).port;
        this.connected = true;
        resolve(this.opts.port);
      });
      this.server = server;
    });
  }
}

/** Moleculer's TCP transporter pinned to 127.0.0.1; see the file comment. */
class LoopbackTcpTransporter extends Transporters.TCP {
  override getNodeAddress(): string {
    return LOOPBACK;
  }

  override startTcpServer(): Promise<void> {
    const writer = new Writer(this, this.opts);
    const reader = new LoopbackTcpReader(this, this.opts);
    // As the stock transporter does: a lost connection marks the peer node
    // disconnected, so that its next packet dials it again.
    writer.on('error', (_error: unknown, nodeID: string) =>
      this.nodes.disconnected(nodeID, false),
    );
    writer.on('end', (nodeID: string) =>
      this.nodes.disconnected(nodeID, false),
    );
    Object.assign(this, { writer, reader });
    return reader.listen().then(() => undefined);
  }

  /** The TCP port the reader listens on, once connected. */
  get listeningPort(): number {
    return Number(this.opts.port);
  }
}

/** A broker and the transporter that carries its packets. */
export interface LoopbackBroker {
  readonly broker: ServiceBroker;
  /** The TCP port the broker listens on, once started. */
  port(): number;
}

/** A peer a broker knows from the start. */
export interface LoopbackPeer {
  nodeID: string;
  port: number;
}

/**
 * Creates (without starting) a broker named `nodeID` with the TCP
 * transporter and the JSON serializer, on 127.0.0.1 only, that knows
 * `peers` from the start instead of discovering them. Metrics, tracing and
 * logging below warn are off, so that the figures measure calls only.
 */
export function createLoopbackBroker(
  nodeID: string,
  peers: LoopbackPeer[] = [],
): LoopbackBroker {
  const transporter = new LoopbackTcpTransporter({
    udpDiscovery: false,
    useHostname: false,
    port: 0,
    urls: peers
      .map((peer) => `tcp://${LOOPBACK}:${peer.port}/${peer.nodeID}`)
      .join(','),
  });
  const broker = new ServiceBroker({
    nodeID,
    transporter,
    serializer: 'JSON',
    logger: { type: 'Console', options: { level: 'warn' } },
    metrics: false,
    tracing: false,
  });
  return { broker, port: () => transporter.listeningPort };
}
