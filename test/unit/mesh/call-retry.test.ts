import { DESCRIPTOR_SET } from '../../../gen/descriptors';
import { ProbeService } from '../../../gen/testing/v1/probe';
import {
  RETRYABLE_METHODS_OPTION,
  readRetryableMethods,
  retryChannelOptions,
} from '../../../services/mesh/call-retry';
import { LARGE_MESSAGE_BYTES } from '../../../services/mesh/call-stream-client';
import { DescriptorPool } from '../../../services/mesh/descriptor-pool';

/** The bytes gRPC puts before each message on the wire. */
const FRAME_HEADER_BYTES = 5;

describe('retryChannelOptions', () => {
  const pool = new DescriptorPool(DESCRIPTOR_SET);
  const isIdempotent = (path: string) => pool.isIdempotent(path);

  it('names the unary methods marked free of side effects', () => {
    const options = retryChannelOptions(ProbeService, isIdempotent);
    expect(options[RETRYABLE_METHODS_OPTION]).toBe('Lookup');
  });

  it('never names a streaming method', () => {
    const options = retryChannelOptions(ProbeService, () => true);
    expect(readRetryableMethods(options)).toEqual(['Unary', 'Lookup']);
  });

  it('keeps for a retry every request the call streams would carry', () => {
    const options = retryChannelOptions(ProbeService, isIdempotent);
    const perCall = options['grpc.per_rpc_retry_buffer_size'] as number;
    expect(perCall).toBeGreaterThanOrEqual(
      LARGE_MESSAGE_BYTES + FRAME_HEADER_BYTES,
    );
    expect(options['grpc.retry_buffer_size']).toBeGreaterThanOrEqual(perCall);
  });
});

describe('readRetryableMethods', () => {
  it('reads back the names retryChannelOptions wrote', () => {
    const options = retryChannelOptions(ProbeService, () => true);
    expect(readRetryableMethods(options)).toEqual(['Unary', 'Lookup']);
  });

  it('finds none in channel options without the option', () => {
    expect(readRetryableMethods({})).toEqual([]);
    expect(readRetryableMethods({ [RETRYABLE_METHODS_OPTION]: '' })).toEqual(
      [],
    );
  });
});
