/** Bytes before every gRPC message on the wire: a flag, then the length. */
export const GRPC_PREFIX_BYTES = 5;

/**
 * Cuts the bytes of a gRPC stream (the body of an HTTP/2 stream, arriving
 * in chunks cut anywhere) into its length-prefixed messages. A message is
 * joined from its chunks once, when its last byte arrives; one that fits
 * in one chunk is a view of it.
 */
export class GrpcMessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the message being read, prefix included; -1 before its prefix. */
  private expected = -1;

  /**
   * `onMessage` gets every whole message; `onRefused` why the reader
   * stopped, at a message over `maxMessageBytes` or a compressed one,
   * after which it takes nothing more.
   */
  constructor(
    private readonly maxMessageBytes: number,
    private readonly onMessage: (message: Buffer) => void,
    private readonly onRefused: (details: string) => void,
  ) {}

  /** Takes the next chunk of the stream. */
  push(chunk: Buffer): void {
    if (this.expected === -2) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= GRPC_PREFIX_BYTES) {
      if (this.expected < 0 && !this.readPrefix()) return;
      if (this.buffered < this.expected) return;
      const all = this.chunks.length === 1 ? this.chunks[0] : this.join();
      const message = all.subarray(GRPC_PREFIX_BYTES, this.expected);
      const rest = all.subarray(this.expected);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.expected = -1;
      this.onMessage(message);
    }
  }

  /** Reads the prefix of the next message; false once the reader stops. */
  private readPrefix(): boolean {
    const head =
      this.chunks[0].length >= GRPC_PREFIX_BYTES ? this.chunks[0] : this.join();
    const compressed = head[0] !== 0;
    const length = head.readUInt32BE(1);
    if (compressed || length > this.maxMessageBytes) {
      this.expected = -2;
      this.chunks = [];
      // Call streams are never compressed: a compressed message is refused
      // rather than handed on as garbage.
      this.onRefused(
        compressed
          ? 'grpc: a compressed message arrived on an uncompressed stream'
          : `grpc: a message of ${length} bytes is over the limit of ${this.maxMessageBytes}`,
      );
      return false;
    }
    this.expected = length + GRPC_PREFIX_BYTES;
    return true;
  }

  private join(): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }
}

/** `message` with its gRPC prefix, uncompressed, in one new buffer. */
export function frameGrpcMessage(message: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(message.length + GRPC_PREFIX_BYTES);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, GRPC_PREFIX_BYTES);
  return framed;
}
