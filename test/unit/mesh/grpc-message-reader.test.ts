import {
  GrpcMessageReader,
  frameGrpcMessage,
} from '../../../services/mesh/grpc-message-reader';

function reader(maxBytes = 1024) {
  const messages: string[] = [];
  const refusals: string[] = [];
  const r = new GrpcMessageReader(
    maxBytes,
    (message) => messages.push(message.toString()),
    (details) => refusals.push(details),
  );
  return { r, messages, refusals };
}

describe('GrpcMessageReader', () => {
  it('reads several messages from one chunk', () => {
    const { r, messages } = reader();
    r.push(
      Buffer.concat([
        frameGrpcMessage(Buffer.from('one')),
        frameGrpcMessage(Buffer.from('')),
        frameGrpcMessage(Buffer.from('three')),
      ]),
    );
    expect(messages).toEqual(['one', '', 'three']);
  });

  it('joins a message cut anywhere, prefix included', () => {
    const bytes = Buffer.concat([
      frameGrpcMessage(Buffer.from('hello')),
      frameGrpcMessage(Buffer.from('world!')),
    ]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const { r, messages } = reader();
      r.push(bytes.subarray(0, cut));
      r.push(bytes.subarray(cut));
      expect(messages).toEqual(['hello', 'world!']);
    }
    const { r, messages } = reader();
    for (const byte of bytes) r.push(Buffer.from([byte]));
    expect(messages).toEqual(['hello', 'world!']);
  });

  it('refuses a message over the limit, naming its length and the limit', () => {
    const { r, messages, refusals } = reader(4);
    r.push(frameGrpcMessage(Buffer.from('ok')));
    r.push(frameGrpcMessage(Buffer.from('too long')));
    r.push(frameGrpcMessage(Buffer.from('ok')));
    expect(messages).toEqual(['ok']);
    expect(refusals).toEqual([
      'grpc: a message of 8 bytes is over the limit of 4',
    ]);
  });

  it('refuses a compressed message', () => {
    const { r, messages, refusals } = reader();
    const framed = frameGrpcMessage(Buffer.from('zz'));
    framed[0] = 1;
    r.push(framed);
    expect(messages).toEqual([]);
    expect(refusals).toEqual([
      'grpc: a compressed message arrived on an uncompressed stream',
    ]);
  });
});
