import type { ServiceDefinition } from '@grpc/grpc-js';
import { StreamingKind } from '../../gen/switchboard/v1/registry';
import type { ServiceInfo } from '../../gen/switchboard/v1/registry';
import { parseMethodName } from './names';

/**
 * Reads what a generated grpc-js service definition serves: the service's
 * full name and every method's full name and streaming kind. Nothing is
 * listed by hand, so an announcement always matches the contract the code
 * was generated from. Throws when the definition has no methods or mixes
 * services.
 */
export function describeService(definition: ServiceDefinition): ServiceInfo {
  let name: string | undefined;
  const methods = Object.values(definition).map((method) => {
    const parsed = parseMethodName(method.path);
    if (!parsed) {
      throw new Error(
        `serve: method path "${method.path}" is not of the form /pkg.Service/Method`,
      );
    }
    if (name !== undefined && parsed.service !== name) {
      throw new Error(
        `serve: one definition mixes services "${name}" and "${parsed.service}"`,
      );
    }
    name = parsed.service;
    return {
      fullName: method.path,
      kind: streamingKind(method.requestStream, method.responseStream),
    };
  });
  if (name === undefined) {
    throw new Error('serve: a service definition has no methods');
  }
  return { name, methods };
}

function streamingKind(
  requestStream: boolean,
  responseStream: boolean,
): StreamingKind {
  if (requestStream && responseStream) {
    return StreamingKind.STREAMING_KIND_BIDI_STREAM;
  }
  if (requestStream) return StreamingKind.STREAMING_KIND_CLIENT_STREAM;
  if (responseStream) return StreamingKind.STREAMING_KIND_SERVER_STREAM;
  return StreamingKind.STREAMING_KIND_UNARY;
}
