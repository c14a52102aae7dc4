import {
  CallStreamRequest,
  CallStreamResponse,
} from '../../../gen/switchboard/v1/call_stream';
import {
  decodeCallStreamRequest,
  decodeCallStreamResponse,
  encodeCallStreamRequest,
  encodeCallStreamResponse,
} from '../../../services/mesh/call-stream-codec';

const request: CallStreamRequest = {
  frames: [
    {
      callId: 1,
      kind: {
        $case: 'start',
        value: {
          method: '/testing.v1.Probe/Unary',
          deadlineMs: 1_500,
          metadata: [
            { key: 'x-in', value: { $case: 'text', value: 'héllo' } },
            {
              key: 'x-id-bin',
              value: { $case: 'binary', value: Buffer.from([0, 255, 7]) },
            },
          ],
          payload: Buffer.alloc(4096, 7),
        },
      },
    },
    { callId: 2 ** 40 + 3, kind: { $case: 'cancel', value: {} } },
    {
      callId: 300,
      kind: {
        $case: 'start',
        value: {
          method: '/a.v1.B/C',
          deadlineMs: 0,
          metadata: [],
          payload: Buffer.alloc(0),
        },
      },
    },
  ],
};

const response: CallStreamResponse = {
  frames: [
    {
      callId: 1,
      code: 0,
      message: '',
      initialMetadata: [
        { key: 'x-echo', value: { $case: 'text', value: 'a' } },
      ],
      trailingMetadata: [],
      payload: Buffer.from('reply'),
      more: false,
    },
    {
      callId: 3,
      code: 0,
      message: '',
      initialMetadata: [],
      trailingMetadata: [],
      payload: Buffer.alloc(300, 9),
      more: true,
    },
    {
      callId: 2 ** 33,
      code: 5,
      message: 'probe: not found — ünïcode',
      initialMetadata: [],
      trailingMetadata: [
        { key: 'x-t-bin', value: { $case: 'binary', value: Buffer.from([1]) } },
      ],
      payload: Buffer.alloc(0),
      more: false,
    },
  ],
};

describe('call-stream codec', () => {
  it('writes requests the generated protobuf codec reads alike', () => {
    const bytes = encodeCallStreamRequest(request);
    expect(CallStreamRequest.decode(bytes)).toEqual(request);
  });

  it('writes the same bytes as the generated protobuf codec', () => {
    expect(encodeCallStreamRequest(request)).toEqual(
      Buffer.from(CallStreamRequest.encode(request).finish()),
    );
    expect(encodeCallStreamResponse(response)).toEqual(
      Buffer.from(CallStreamResponse.encode(response).finish()),
    );
  });

  it('reads what the generated protobuf codec writes', () => {
    const requestBytes = Buffer.from(
      CallStreamRequest.encode(request).finish(),
    );
    expect(decodeCallStreamRequest(requestBytes)).toEqual(request);
    const responseBytes = Buffer.from(
      CallStreamResponse.encode(response).finish(),
    );
    expect(decodeCallStreamResponse(responseBytes)).toEqual(response);
  });

  it('skips fields it does not know', () => {
    const known = encodeCallStreamResponse(response);
    const unknown = Buffer.from([0x78, 0x2a, 0x82, 0x01, 0x02, 0x01, 0x02]);
    const decoded = decodeCallStreamResponse(Buffer.concat([unknown, known]));
    expect(decoded).toEqual(response);
  });

  it('refuses truncated bytes with an error', () => {
    const bytes = encodeCallStreamRequest(request);
    expect(() => decodeCallStreamRequest(bytes.subarray(0, 20))).toThrow(
      /proto-wire/,
    );
  });
});
