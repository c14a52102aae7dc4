import { Metadata } from '@grpc/grpc-js';
import type { MetadataValue } from '@grpc/grpc-js';
import type {
  CallReplyFrame,
  CallRequestFrame,
  MetadataEntry,
} from '../../gen/switchboard/v1/call_stream';

/** Metadata as call-stream entries, keys and values in order. */
export function metadataToEntries(metadata: Metadata): MetadataEntry[] {
  const entries: MetadataEntry[] = [];
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    for (const value of values) entries.push(toEntry(key, value));
  }
  return entries;
}

/**
 * Call-stream entries as Metadata. An entry whose value does not fit its
 * key (text on a `-bin` key, say) is dropped, as grpc-js drops such
 * headers, rather than failing the call.
 */
export function entriesToMetadata(entries: MetadataEntry[]): Metadata {
  const metadata = new Metadata();
  for (const entry of entries) {
    const value = entry.value?.value;
    if (value === undefined) continue;
    try {
      metadata.add(entry.key, value);
    } catch {
      // Metadata.add throws on a bad key or a value of the wrong kind.
    }
  }
  return metadata;
}

function toEntry(key: string, value: MetadataValue): MetadataEntry {
  return typeof value === 'string'
    ? { key, value: { $case: 'text', value } }
    : { key, value: { $case: 'binary', value } };
}

/** The payload bytes a request frame carries: a start frame's request. */
export function requestPayloadBytes(frame: CallRequestFrame): number {
  return frame.kind?.$case === 'start' ? frame.kind.value.payload.length : 0;
}

/** The payload bytes a reply frame carries. */
export function replyPayloadBytes(frame: CallReplyFrame): number {
  return frame.payload.length;
}

/** The payload bytes of a batch of frames, each sized by `sizeOf`. */
export function batchPayloadBytes<F>(
  frames: F[],
  sizeOf: (frame: F) => number,
): number {
  let bytes = 0;
  for (const frame of frames) bytes += sizeOf(frame);
  return bytes;
}

/** What a batch of frames may hold before it is sent, in payload bytes. */
export const MAX_BATCH_BYTES = 1024 * 1024;

/**
 * Frames a batch may hold before it is sent: a burst of calls leaves in
 * several messages, so the instance starts on the first while the rest are
 * still being written (measured: 64 beats both 8 and unbounded).
 */
export const MAX_BATCH_FRAMES = 64;

/**
 * Gathers the frames written by one run of JavaScript (say, the callbacks
 * of every reply in a message) and hands them to `flush` as one batch,
 * so that many calls share a message. The flush is a microtask, not the
 * next turn of the event loop: a lone call leaves at once. A batch is
 * sent early once its payloads pass MAX_BATCH_BYTES, so that a batch never
 * grows past the message size limit of the other side.
 */
export class FrameBatcher<F> {
  private pending: F[] = [];
  private pendingBytes = 0;
  private scheduled = false;

  /** `sizeOf` tells a frame's payload bytes. */
  constructor(
    private readonly flush: (frames: F[]) => void,
    private readonly sizeOf: (frame: F) => number,
  ) {}

  /** Queues `frame` for the next flush. */
  push(frame: F): void {
    const bytes = this.sizeOf(frame);
    if (
      this.pendingBytes + bytes > MAX_BATCH_BYTES ||
      this.pending.length >= MAX_BATCH_FRAMES
    ) {
      this.flushNow();
    }
    this.pending.push(frame);
    this.pendingBytes += bytes;
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flushNow());
  }

  /** Sends what is queued now. */
  flushNow(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const frames = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.flush(frames);
  }
}
