import type { CallReplyFrame } from '../../../gen/switchboard/v1/call_stream';
import {
  ReplyAssembly,
  splitReply,
} from '../../../services/mesh/call-stream-pieces';

function replyFrame(payload: Buffer): CallReplyFrame {
  return {
    callId: 7,
    code: 0,
    message: '',
    initialMetadata: [{ key: 'x-a', value: { $case: 'text', value: 'a' } }],
    trailingMetadata: [{ key: 'x-t', value: { $case: 'text', value: 't' } }],
    payload,
    more: false,
  };
}

describe('splitReply', () => {
  it('leaves a reply within one piece as it is', () => {
    const frame = replyFrame(Buffer.alloc(10));
    expect(splitReply(frame, 10)).toEqual([frame]);
  });

  it('cuts a large payload into pieces that only the last one completes', () => {
    const payload = Buffer.from([...Array(25).keys()]);
    const frames = splitReply(replyFrame(payload), 10);
    expect(frames.map((f) => f.payload.length)).toEqual([10, 10, 5]);
    expect(frames.map((f) => f.more)).toEqual([true, true, false]);
    expect(frames[0].initialMetadata).toEqual([]);
    expect(frames[2].initialMetadata).toHaveLength(1);
    expect(frames[2].trailingMetadata).toHaveLength(1);
    expect(Buffer.concat(frames.map((f) => f.payload))).toEqual(payload);
  });
});

describe('ReplyAssembly', () => {
  it('joins the pieces of a call with its last frame', () => {
    const assembly = new ReplyAssembly(100);
    expect(assembly.add(1, Buffer.from('ab'))).toBe(true);
    expect(assembly.add(2, Buffer.from('xy'))).toBe(true);
    expect(assembly.add(1, Buffer.from('cd'))).toBe(true);
    expect(assembly.finish(1, Buffer.from('e'))?.toString()).toBe('abcde');
    expect(assembly.finish(2, Buffer.from('z'))?.toString()).toBe('xyz');
  });

  it('hands back a reply that came in one frame', () => {
    const last = Buffer.from('whole');
    expect(new ReplyAssembly(100).finish(3, last)).toBe(last);
  });

  it('refuses a reply that grows past the limit and forgets its pieces', () => {
    const assembly = new ReplyAssembly(5);
    expect(assembly.add(1, Buffer.from('abc'))).toBe(true);
    expect(assembly.add(1, Buffer.from('def'))).toBe(false);
    expect(assembly.finish(1, Buffer.from('g'))?.toString()).toBe('g');
    expect(assembly.finish(4, Buffer.from('123456'))).toBeUndefined();
  });

  it('forgets the pieces of a cancelled call', () => {
    const assembly = new ReplyAssembly(100);
    assembly.add(1, Buffer.from('old'));
    assembly.forget(1);
    expect(assembly.finish(1, Buffer.from('new'))?.toString()).toBe('new');
  });
});
