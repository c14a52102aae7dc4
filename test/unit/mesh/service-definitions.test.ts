import { StreamingKind } from '../../../gen/switchboard/v1/registry';
import { ProbeService } from '../../../gen/testing/v1/probe';
import { describeService } from '../../../services/mesh/service-definitions';

describe('describeService', () => {
  it('reads every method and its streaming kind from a definition', () => {
    expect(describeService(ProbeService)).toEqual({
      name: 'testing.v1.Probe',
      methods: [
        {
          fullName: '/testing.v1.Probe/Unary',
          kind: StreamingKind.STREAMING_KIND_UNARY,
        },
        {
          fullName: '/testing.v1.Probe/ServerStream',
          kind: StreamingKind.STREAMING_KIND_SERVER_STREAM,
        },
        {
          fullName: '/testing.v1.Probe/ClientStream',
          kind: StreamingKind.STREAMING_KIND_CLIENT_STREAM,
        },
        {
          fullName: '/testing.v1.Probe/Bidi',
          kind: StreamingKind.STREAMING_KIND_BIDI_STREAM,
        },
        {
          fullName: '/testing.v1.Probe/Lookup',
          kind: StreamingKind.STREAMING_KIND_UNARY,
        },
      ],
    });
  });

  it('refuses a definition without methods', () => {
    expect(() => describeService({})).toThrow(
      'serve: a service definition has no methods',
    );
  });

  it('refuses a definition that mixes services', () => {
    const mixed = {
      a: { ...ProbeService.unary },
      b: { ...ProbeService.unary, path: '/other.v1.Thing/Unary' },
    };
    expect(() => describeService(mixed)).toThrow(
      'serve: one definition mixes services "testing.v1.Probe" and "other.v1.Thing"',
    );
  });
});
