import { CallStreamService } from '../../gen/switchboard/v1/call_stream';
import type {
  CallReplyFrame,
  CallRequestFrame,
  CallStart,
  CallStreamRequest,
  CallStreamResponse,
  MetadataEntry,
} from '../../gen/switchboard/v1/call_stream';
import { ProtoReader, ProtoWriter, fieldSize, varintSize } from './proto-wire';

/**
 * The wire codec of call-stream messages: the protobuf encoding of
 * `switchboard.v1.CallStreamRequest` and `CallStreamResponse`, byte for
 * byte what any protobuf library reads and writes, but written into one
 * buffer of the exact size and read without copying payloads (they are
 * views of the received message). The generic generated codec grows and
 * copies its buffer for every nested message, which made a 4 KiB call cost
 * several times a small one; calls on call streams are the hot path.
 */

/** Serializes a batch of request frames. */
export function encodeCallStreamRequest(request: CallStreamRequest): Buffer {
  const sizes = request.frames.map(requestFrameSize);
  const writer = new ProtoWriter(sizes.reduce((a, s) => a + fieldSize(s), 0));
  request.frames.forEach((frame, i) => {
    writer.lengthHeader(1, sizes[i]);
    writeRequestFrame(writer, frame);
  });
  return writer.finish();
}

/** Serializes a batch of reply frames. */
export function encodeCallStreamResponse(response: CallStreamResponse): Buffer {
  const sizes = response.frames.map(replyFrameSize);
  const writer = new ProtoWriter(sizes.reduce((a, s) => a + fieldSize(s), 0));
  response.frames.forEach((frame, i) => {
    writer.lengthHeader(1, sizes[i]);
    writeReplyFrame(writer, frame);
  });
  return writer.finish();
}

/** Reads a batch of request frames; throws on malformed bytes. */
export function decodeCallStreamRequest(bytes: Buffer): CallStreamRequest {
  const frames: CallRequestFrame[] = [];
  const reader = new ProtoReader(bytes);
  while (reader.more()) {
    const field = reader.tag();
    if (field === 1) frames.push(readRequestFrame(reader.message()));
    else reader.skip();
  }
  return { frames };
}

/** Reads a batch of reply frames; throws on malformed bytes. */
export function decodeCallStreamResponse(bytes: Buffer): CallStreamResponse {
  const frames: CallReplyFrame[] = [];
  const reader = new ProtoReader(bytes);
  while (reader.more()) {
    const field = reader.tag();
    if (field === 1) frames.push(readReplyFrame(reader.message()));
    else reader.skip();
  }
  return { frames };
}

function requestFrameSize(frame: CallRequestFrame): number {
  let size = 1 + varintSize(frame.callId);
  if (frame.kind?.$case === 'start')
    size += fieldSize(startSize(frame.kind.value));
  else if (frame.kind?.$case === 'cancel') size += fieldSize(0);
  return size;
}

function writeRequestFrame(writer: ProtoWriter, frame: CallRequestFrame): void {
  writer.varintField(1, frame.callId);
  if (frame.kind?.$case === 'start') {
    const start = frame.kind.value;
    writer.lengthHeader(2, startSize(start));
    writer.stringField(1, start.method);
    if (start.deadlineMs > 0) writer.varintField(2, start.deadlineMs);
    writeEntries(writer, 3, start.metadata);
    if (start.payload.length > 0) writer.bytesField(4, start.payload);
  } else if (frame.kind?.$case === 'cancel') {
    writer.lengthHeader(3, 0);
  }
}

function startSize(start: CallStart): number {
  let size = fieldSize(Buffer.byteLength(start.method));
  if (start.deadlineMs > 0) size += 1 + varintSize(start.deadlineMs);
  size += entriesSize(start.metadata);
  if (start.payload.length > 0) size += fieldSize(start.payload.length);
  return size;
}

function replyFrameSize(frame: CallReplyFrame): number {
  let size = 1 + varintSize(frame.callId);
  if (frame.code !== 0) size += 1 + varintSize(frame.code);
  if (frame.message) size += fieldSize(Buffer.byteLength(frame.message));
  size += entriesSize(frame.initialMetadata);
  size += entriesSize(frame.trailingMetadata);
  if (frame.payload.length > 0) size += fieldSize(frame.payload.length);
  if (frame.more) size += 2;
  return size;
}

function writeReplyFrame(writer: ProtoWriter, frame: CallReplyFrame): void {
  writer.varintField(1, frame.callId);
  if (frame.code !== 0) writer.varintField(2, frame.code);
  if (frame.message) writer.stringField(3, frame.message);
  writeEntries(writer, 4, frame.initialMetadata);
  writeEntries(writer, 5, frame.trailingMetadata);
  if (frame.payload.length > 0) writer.bytesField(6, frame.payload);
  if (frame.more) writer.varintField(7, 1);
}

function entrySize(entry: MetadataEntry): number {
  let size = fieldSize(Buffer.byteLength(entry.key));
  const value = entry.value;
  if (value?.$case === 'text')
    size += fieldSize(Buffer.byteLength(value.value));
  else if (value?.$case === 'binary') size += fieldSize(value.value.length);
  return size;
}

function entriesSize(entries: MetadataEntry[]): number {
  let size = 0;
  for (const entry of entries) size += fieldSize(entrySize(entry));
  return size;
}

function writeEntries(
  writer: ProtoWriter,
  field: number,
  entries: MetadataEntry[],
): void {
  for (const entry of entries) {
    writer.lengthHeader(field, entrySize(entry));
    writer.stringField(1, entry.key);
    const value = entry.value;
    if (value?.$case === 'text') writer.stringField(2, value.value);
    else if (value?.$case === 'binary') writer.bytesField(3, value.value);
  }
}

function readRequestFrame(reader: ProtoReader): CallRequestFrame {
  const frame: CallRequestFrame = { callId: 0, kind: undefined };
  while (reader.more()) {
    const field = reader.tag();
    if (field === 1) frame.callId = reader.varint();
    else if (field === 2) {
      frame.kind = { $case: 'start', value: readStart(reader.message()) };
    } else if (field === 3) {
      reader.message();
      frame.kind = { $case: 'cancel', value: {} };
    } else reader.skip();
  }
  return frame;
}

function readStart(reader: ProtoReader): CallStart {
  const start: CallStart = {
    method: '',
    deadlineMs: 0,
    metadata: [],
    payload: EMPTY,
  };
  while (reader.more()) {
    const field = reader.tag();
    if (field === 1) start.method = reader.string();
    else if (field === 2) start.deadlineMs = reader.varint();
    else if (field === 3) start.metadata.push(readEntry(reader.message()));
    else if (field === 4) start.payload = reader.bytes();
    else reader.skip();
  }
  return start;
}

function readReplyFrame(reader: ProtoReader): CallReplyFrame {
  const frame: CallReplyFrame = {
    callId: 0,
    code: 0,
    message: '',
    initialMetadata: [],
    trailingMetadata: [],
    payload: EMPTY,
    more: false,
  };
  while (reader.more()) {
    const field = reader.tag();
    if (field === 1) frame.callId = reader.varint();
    else if (field === 2) frame.code = reader.varint();
    else if (field === 3) frame.message = reader.string();
    else if (field === 4)
      frame.initialMetadata.push(readEntry(reader.message()));
    else if (field === 5)
      frame.trailingMetadata.push(readEntry(reader.message()));
    else if (field === 6) frame.payload = reader.bytes();
    else if (field === 7) frame.more = reader.varint() !== 0;
    else reader.skip();
  }
  return frame;
}

function readEntry(reader: ProtoReader): MetadataEntry {
  const entry: MetadataEntry = { key: '', value: undefined };
  while (reader.more()) {
    const field = reader.tag();
    if (field === 1) entry.key = reader.string();
    else if (field === 2)
      entry.value = { $case: 'text', value: reader.string() };
    else if (field === 3)
      entry.value = { $case: 'binary', value: reader.bytes() };
    else reader.skip();
  }
  return entry;
}

const EMPTY = Buffer.alloc(0);

/**
 * `switchboard.v1.CallStream` with this codec in place of the generated
 * one, as instances serve it (callers of the runtime frame the same bytes
 * over node:http2; see call-stream-http2.ts). Other peers may use any
 * protobuf codec; the bytes are the same.
 */
export const CALL_STREAM_SERVICE: typeof CallStreamService = {
  open: {
    ...CallStreamService.open,
    requestSerialize: encodeCallStreamRequest,
    requestDeserialize: decodeCallStreamRequest,
    responseSerialize: encodeCallStreamResponse,
    responseDeserialize: decodeCallStreamResponse,
  },
};
