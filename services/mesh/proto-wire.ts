/**
 * The few pieces of the protobuf wire format that hand-written codecs need:
 * varints up to 2^53, and length-delimited fields. Readers return views of
 * the bytes they read, never copies.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

/** Bytes of `value` as a varint; `value` is a whole number below 2^53. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size += 1;
  }
  return size;
}

/** Bytes of a length-delimited field with a one-byte tag and `length` bytes. */
export function fieldSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** Writes fields into one buffer allocated at its final size. */
export class ProtoWriter {
  private readonly buffer: Buffer;
  private pos = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  /** The bytes written; throws if the size given was wrong. */
  finish(): Buffer {
    if (this.pos !== this.buffer.length) {
      throw new Error(
        `proto-wire: wrote ${this.pos} bytes into a buffer of ${this.buffer.length}`,
      );
    }
    return this.buffer;
  }

  /** Field numbers here are below 16, so a tag takes one byte. */
  lengthHeader(field: number, length: number): void {
    this.buffer[this.pos++] = (field << 3) | WIRE_LENGTH;
    this.varint(length);
  }

  varintField(field: number, value: number): void {
    this.buffer[this.pos++] = (field << 3) | WIRE_VARINT;
    this.varint(value);
  }

  stringField(field: number, value: string): void {
    const length = Buffer.byteLength(value);
    this.lengthHeader(field, length);
    this.pos += this.buffer.write(value, this.pos, length, 'utf8');
  }

  bytesField(field: number, value: Uint8Array): void {
    this.lengthHeader(field, value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  private varint(value: number): void {
    while (value >= 0x80) {
      this.buffer[this.pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buffer[this.pos++] = value;
  }
}

/** Reads the fields of one message, or of a part of it. */
export class ProtoReader {
  private pos: number;
  private wireType = 0;

  constructor(
    private readonly source: Buffer,
    start = 0,
    private readonly end = source.length,
  ) {
    this.pos = start;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  /** Reads a field's tag; returns its number, keeps its wire type. */
  tag(): number {
    const tag = this.varint();
    this.wireType = tag & 7;
    return Math.floor(tag / 8);
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new Error('proto-wire: varint longer than 53 bits');
  }

  /** A length-delimited field, as a view of the bytes. */
  bytes(): Buffer {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.end) throw new Error('proto-wire: field past the end');
    return this.source.subarray(start, this.pos);
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  /** A nested message, as a reader of its bytes. */
  message(): ProtoReader {
    const length = this.varint();
    const start = this.pos;
    this.advance(length);
    return new ProtoReader(this.source, start, this.pos);
  }

  /** Skips a field of a number this codec does not know. */
  skip(): void {
    if (this.wireType === WIRE_VARINT) this.varint();
    else if (this.wireType === WIRE_LENGTH) this.bytes();
    else if (this.wireType === WIRE_FIXED64) this.advance(8);
    else if (this.wireType === WIRE_FIXED32) this.advance(4);
    else
      throw new Error(`proto-wire: wire type ${this.wireType} not supported`);
  }

  private advance(count: number): void {
    this.pos += count;
    if (this.pos > this.end) throw new Error('proto-wire: field past the end');
  }

  private byte(): number {
    if (this.pos >= this.end) throw new Error('proto-wire: truncated varint');
    return this.source[this.pos++];
  }
}
