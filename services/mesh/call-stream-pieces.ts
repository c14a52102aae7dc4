import type { CallReplyFrame } from '../../gen/switchboard/v1/call_stream';

/**
 * The size of a piece of a large message on a call stream, in bytes. A
 * request larger than this takes an HTTP/2 stream of its own (see
 * call-stream-client.ts); a response larger than this is sent in pieces
 * of this size, with the replies of other calls between them. Either way
 * a small call waits behind at most one piece, not a whole large message.
 */
export const PIECE_BYTES = 256 * 1024;

/**
 * A reply frame as the frames that carry it: the payload cut into pieces
 * of `pieceBytes`, every one but the last marked `more` and carrying
 * nothing else, the last one carrying the status and metadata.
 */
export function splitReply(
  frame: CallReplyFrame,
  pieceBytes = PIECE_BYTES,
): CallReplyFrame[] {
  const { payload } = frame;
  if (payload.length <= pieceBytes) return [frame];
  const frames: CallReplyFrame[] = [];
  let offset = 0;
  for (; offset + pieceBytes < payload.length; offset += pieceBytes) {
    frames.push({
      callId: frame.callId,
      code: 0,
      message: '',
      initialMetadata: [],
      trailingMetadata: [],
      payload: payload.subarray(offset, offset + pieceBytes),
      more: true,
    });
  }
  frames.push({ ...frame, payload: payload.subarray(offset), more: false });
  return frames;
}

/**
 * The pieces of large replies a caller has received, per call, until the
 * last one arrives. A reply that grows past `maxBytes` (the caller's
 * receive limit) is dropped at once rather than held in memory.
 */
export class ReplyAssembly {
  private readonly partial = new Map<number, Buffer[]>();
  private readonly sizes = new Map<number, number>();

  constructor(private readonly maxBytes: number) {}

  /**
   * Keeps a piece of the reply of `callId`. False when the reply has
   * grown past the limit: its pieces are dropped, and the call should
   * fail.
   */
  add(callId: number, piece: Buffer): boolean {
    const size = (this.sizes.get(callId) ?? 0) + piece.length;
    if (size > this.maxBytes) {
      this.forget(callId);
      return false;
    }
    const pieces = this.partial.get(callId);
    // A piece is a view of the received message; copying it lets that
    // message be collected while the rest of the reply arrives.
    if (pieces) pieces.push(Buffer.from(piece));
    else this.partial.set(callId, [Buffer.from(piece)]);
    this.sizes.set(callId, size);
    return true;
  }

  /**
   * The whole payload of `callId`, ending with `last`; `last` itself when
   * the reply came in one frame. Undefined when it is over the limit.
   */
  finish(callId: number, last: Buffer): Buffer | undefined {
    const pieces = this.partial.size > 0 ? this.partial.get(callId) : undefined;
    if (!pieces) return last.length > this.maxBytes ? undefined : last;
    const size = (this.sizes.get(callId) ?? 0) + last.length;
    this.forget(callId);
    if (size > this.maxBytes) return undefined;
    return Buffer.concat([...pieces, last], size);
  }

  /** Drops what was received of the reply of `callId`. */
  forget(callId: number): void {
    this.partial.delete(callId);
    this.sizes.delete(callId);
  }

  /** Drops every partial reply. */
  clear(): void {
    this.partial.clear();
    this.sizes.clear();
  }
}
