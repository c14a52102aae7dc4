import { Metadata } from '@grpc/grpc-js';
import type { CallOptions } from '@grpc/grpc-js';
import type {
  ProbeClient,
  ProbeReply,
  ProbeRequest,
  RelayClient,
} from '../../gen/testing/v1/probe';

/** A full probe request from the fields a test cares about. */
export function probeRequest(fields: Partial<ProbeRequest> = {}): ProbeRequest {
  return { text: '', count: 0, delayMs: 0, failWithCode: 0, ...fields };
}

/** Probe.Unary as a promise. */
export function probeUnary(
  client: ProbeClient,
  fields: Partial<ProbeRequest> = {},
  options: Partial<CallOptions> = {},
): Promise<ProbeReply> {
  return new Promise((resolve, reject) =>
    client.unary(probeRequest(fields), new Metadata(), options, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  );
}

/** Relay.Forward as a promise. */
export function relayForward(
  client: RelayClient,
  fields: Partial<ProbeRequest> = {},
  options: Partial<CallOptions> = {},
): Promise<ProbeReply> {
  return new Promise((resolve, reject) =>
    client.forward(probeRequest(fields), new Metadata(), options, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  );
}
