import { Metadata, credentials, status } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';
import { CallStreamClient } from '../../../gen/switchboard/v1/call_stream';
import type {
  CallReplyFrame,
  CallStreamResponse,
} from '../../../gen/switchboard/v1/call_stream';
import {
  ProbeClient,
  ProbeRequest,
  ProbeService,
} from '../../../gen/testing/v1/probe';
import type { ProbeServer } from '../../../gen/testing/v1/probe';
import { createMesh } from '../../../services/mesh';
import type { Mesh, MeshInstance, MeshTransport } from '../../../services/mesh';
import { probeRequest } from '../../helpers/probe-calls';
import { startRegistryProcess } from '../../helpers/registry-process';
import type { RegistryProcess } from '../../helpers/registry-process';
import { sleep, waitFor, withTimeout } from '../../helpers/wait';

const TRANSPORTS: MeshTransport[] = ['standard', 'call-streams'];

/** A probe whose Unary echoes metadata: `x-in` as header, bytes as trailer. */
function echoingProbe(): ProbeServer {
  const fail = () => {
    throw new Error('not used');
  };
  return {
    unary(call, callback) {
      const headers = new Metadata();
      headers.set('x-echo', String(call.metadata.get('x-in')[0] ?? ''));
      call.sendMetadata(headers);
      const trailer = new Metadata();
      trailer.set('x-trailer-bin', Buffer.from([1, 2, 3]));
      const reply = { text: call.request.text, instanceId: 'local' };
      callback(
        null,
        { ...reply, index: 0, remainingDeadlineMs: 0, cancelled: false },
        trailer,
      );
    },
    lookup: fail,
    serverStream: fail,
    clientStream: fail,
    bidi: fail,
  };
}

interface Answer {
  headers: Metadata;
  outcome: StatusObject;
}

function callWithMetadata(client: ProbeClient): Promise<Answer> {
  const metadata = new Metadata();
  metadata.set('x-in', 'hello');
  return withTimeout(
    new Promise<Answer>((resolve) => {
      let headers = new Metadata();
      const call = client.unary(
        probeRequest({ text: 'm' }),
        metadata,
        { deadline: Date.now() + 5_000 },
        () => undefined,
      );
      call.on('metadata', (received: Metadata) => (headers = received));
      call.on('status', (outcome: StatusObject) =>
        resolve({ headers, outcome }),
      );
    }),
    6_000,
    'a call with metadata',
  );
}

describe('CallStream metadata', () => {
  let registry: RegistryProcess;
  let server: Mesh;
  let instance: MeshInstance;

  beforeAll(async () => {
    registry = await startRegistryProcess();
    server = createMesh({ registryAddress: registry.address });
    instance = await server.serve({
      services: [{ definition: ProbeService, implementation: echoingProbe() }],
    });
  });

  afterAll(async () => {
    await server?.close();
    await registry?.stop();
  });

  it.each(TRANSPORTS)(
    'carries metadata both ways over the %s transport',
    async (transport) => {
      const mesh = createMesh({ registryAddress: registry.address, transport });
      try {
        const client = mesh.client(ProbeClient);
        // The first calls of call-streams go the standard way while the
        // pool opens; a later call travels on it.
        await callWithMetadata(client);
        await sleep(200);
        const answer = await callWithMetadata(client);
        expect(answer.outcome.code).toBe(status.OK);
        expect(answer.headers.get('x-echo')).toEqual(['hello']);
        expect(answer.outcome.metadata.get('x-trailer-bin')).toEqual([
          Buffer.from([1, 2, 3]),
        ]);
      } finally {
        await mesh.close();
      }
    },
  );

  describe('CallStream.Open', () => {
    let client: CallStreamClient;

    beforeAll(() => {
      client = new CallStreamClient(
        instance.address,
        credentials.createInsecure(),
      );
    });

    afterAll(() => client.close());

    async function replyTo(method: string, payload: Buffer) {
      const stream = client.open();
      const replies: CallReplyFrame[] = [];
      stream.on('data', (r: CallStreamResponse) => replies.push(...r.frames));
      stream.on('error', () => undefined);
      stream.write({
        frames: [
          {
            callId: 7,
            kind: {
              $case: 'start',
              value: { method, deadlineMs: 5_000, metadata: [], payload },
            },
          },
        ],
      });
      try {
        await waitFor(() => replies.length > 0, { description: 'a reply' });
      } finally {
        stream.cancel();
      }
      return replies[0];
    }

    it('answers a method the instance does not serve with UNIMPLEMENTED', async () => {
      const reply = await replyTo('/testing.v1.Probe/Nope', Buffer.alloc(0));
      expect(reply.callId).toBe(7);
      expect(reply.code).toBe(status.UNIMPLEMENTED);
      expect(reply.message).toMatch(
        /^call stream: method "\/testing.v1.Probe\/Nope" is not served by instance "/,
      );
    });

    it('answers a request that does not decode with INVALID_ARGUMENT', async () => {
      const reply = await replyTo(
        '/testing.v1.Probe/Unary',
        Buffer.from([0xff, 0xff, 0xff]),
      );
      expect(reply.code).toBe(status.INVALID_ARGUMENT);
      expect(reply.message).toBe(
        'call stream: the request of /testing.v1.Probe/Unary does not decode',
      );
    });

    it('answers a valid request with the handler reply', async () => {
      const payload = Buffer.from(
        ProbeRequest.encode(probeRequest({ text: 'raw' })).finish(),
      );
      const reply = await replyTo('/testing.v1.Probe/Unary', payload);
      expect(reply.code).toBe(status.OK);
    });
  });
});
