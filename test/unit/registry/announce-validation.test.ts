import { status } from '@grpc/grpc-js';
import {
  InstanceState,
  StreamingKind,
} from '../../../gen/switchboard/v1/registry';
import type { InstanceAnnouncement } from '../../../gen/switchboard/v1/registry';
import {
  quote,
  validateAnnouncement,
} from '../../../registry/announce-validation';
import { DEFAULT_LIMITS } from '../../../registry/limits';
import type { RegistryLimits } from '../../../registry/limits';
import {
  announcementOf,
  registryAnnouncementOf,
} from '../../helpers/registry-client';

const LIMITS: RegistryLimits = {
  ...DEFAULT_LIMITS,
  maxServices: 2,
  maxMethodsPerService: 5,
  maxLabels: 2,
  maxFileDescriptors: 2,
};

const UNARY = StreamingKind.STREAMING_KIND_UNARY;

function valid(): InstanceAnnouncement {
  return announcementOf('echo-1', 'demo.v1.Echo', ['Say']);
}

function withMethods(...fullNames: string[]): InstanceAnnouncement {
  return {
    ...valid(),
    services: [
      {
        name: 'demo.v1.Echo',
        methods: fullNames.map((fullName) => ({ fullName, kind: UNARY })),
      },
    ],
  };
}

function withKind(kind: StreamingKind): InstanceAnnouncement {
  return {
    ...valid(),
    services: [
      {
        name: 'demo.v1.Echo',
        methods: [{ fullName: '/demo.v1.Echo/Say', kind }],
      },
    ],
  };
}

function withServiceNamed(name: string): InstanceAnnouncement {
  return {
    ...valid(),
    services: [{ name, methods: [{ fullName: `/${name}/Say`, kind: UNARY }] }],
  };
}

const LONG_SERVICE = `demo.${'S'.repeat(252)}`;

/** [the rule broken, the announcement, the message it is refused with] */
const REFUSALS: Array<[string, InstanceAnnouncement, string]> = [
  [
    'an empty instance id',
    { ...valid(), instanceId: '' },
    'announce: instance_id is empty; give each instance an id',
  ],
  [
    'an instance id over the length limit',
    { ...valid(), instanceId: 'i'.repeat(129) },
    'announce: instance_id is 129 characters, over the limit of 128',
  ],
  [
    'an instance id with a space',
    { ...valid(), instanceId: 'echo 1' },
    'announce: instance_id "echo 1" may hold only letters, digits and . _ : -',
  ],
  [
    'an instance id that starts with a dash',
    { ...valid(), instanceId: '-echo' },
    'announce: instance_id "-echo" may hold only letters, digits and . _ : -',
  ],
  [
    'an address without a port',
    { ...valid(), address: 'localhost' },
    'announce: address "localhost" is not of the form host:port with a port from 1 to 65535',
  ],
  [
    'an address with port 0',
    { ...valid(), address: '127.0.0.1:0' },
    'announce: address "127.0.0.1:0" is not of the form host:port with a port from 1 to 65535',
  ],
  [
    'an address with a port over 65535',
    { ...valid(), address: '127.0.0.1:65536' },
    'announce: address "127.0.0.1:65536" is not of the form host:port with a port from 1 to 65535',
  ],
  [
    'an address with a named port',
    { ...valid(), address: '127.0.0.1:http' },
    'announce: address "127.0.0.1:http" is not of the form host:port with a port from 1 to 65535',
  ],
  [
    'an address without a host',
    { ...valid(), address: ':7000' },
    'announce: address ":7000" is not of the form host:port with a port from 1 to 65535',
  ],
  [
    'an address whose host has a space',
    { ...valid(), address: 'my host:7000' },
    'announce: address "my host:7000" is not of the form host:port with a port from 1 to 65535',
  ],
  [
    'no services',
    { ...valid(), services: [] },
    'announce: services is empty; announce at least one service',
  ],
  [
    'more services than the limit',
    {
      ...valid(),
      services: ['a.v1.A', 'b.v1.B', 'c.v1.C'].map(
        (name) => withServiceNamed(name).services[0],
      ),
    },
    'announce: 3 services announced, over the limit of 2',
  ],
  [
    'an empty service name',
    withServiceNamed(''),
    'announce: a service name is empty',
  ],
  [
    'a service name over the length limit',
    withServiceNamed(LONG_SERVICE),
    'announce: service name of 257 characters is over the limit of 256',
  ],
  [
    'a service name without a package',
    withServiceNamed('Echo'),
    'announce: service name "Echo" is not of the form pkg.Service',
  ],
  [
    'a service name with a dash',
    withServiceNamed('demo.v1.Echo-Service'),
    'announce: service name "demo.v1.Echo-Service" is not of the form pkg.Service',
  ],
  [
    'a service without methods',
    { ...valid(), services: [{ name: 'demo.v1.Echo', methods: [] }] },
    'announce: service "demo.v1.Echo" has no methods',
  ],
  [
    'more methods than the limit',
    withMethods(
      ...['A', 'B', 'C', 'D', 'E', 'F'].map((m) => `/demo.v1.Echo/${m}`),
    ),
    'announce: service "demo.v1.Echo" has 6 methods, over the limit of 5',
  ],
  [
    'a method name without a service',
    withMethods('Say'),
    'announce: method name "Say" is not of the form /pkg.Service/Method',
  ],
  [
    'a method name without its leading slash',
    withMethods('demo.v1.Echo/Say'),
    'announce: method name "demo.v1.Echo/Say" is not of the form /pkg.Service/Method',
  ],
  [
    'a method name over the length limit',
    withMethods(`/demo.v1.Echo/${'M'.repeat(243)}`),
    'announce: method name of 257 characters is over the limit of 256',
  ],
  [
    'a method listed under another service',
    withMethods('/demo.v1.Other/Say'),
    'announce: method "/demo.v1.Other/Say" is listed under service "demo.v1.Echo", not its own',
  ],
  [
    'a service announced twice',
    {
      ...valid(),
      services: [valid().services[0], valid().services[0]],
    },
    'announce: service "demo.v1.Echo" is announced twice',
  ],
  [
    'a method announced twice',
    withMethods('/demo.v1.Echo/Say', '/demo.v1.Echo/Say'),
    'announce: method "/demo.v1.Echo/Say" is announced twice',
  ],
  [
    'a method of unspecified streaming kind',
    withKind(StreamingKind.STREAMING_KIND_UNSPECIFIED),
    'announce: method "/demo.v1.Echo/Say" has no streaming kind; give unary, ' +
      'server, client or bidi stream',
  ],
  [
    'a method of an unknown streaming kind',
    withKind(9 as StreamingKind),
    'announce: method "/demo.v1.Echo/Say" has no streaming kind; give unary, ' +
      'server, client or bidi stream',
  ],
  [
    'more labels than the limit',
    { ...valid(), labels: { a: '1', b: '2', c: '3' } },
    'announce: 3 labels, over the limit of 2',
  ],
  [
    'an empty label key',
    { ...valid(), labels: { '': 'x' } },
    'announce: label key "" must have 1 to 63 characters',
  ],
  [
    'a label key over the length limit',
    { ...valid(), labels: { ['k'.repeat(64)]: 'x' } },
    `announce: label key ${quote('k'.repeat(64))} must have 1 to 63 characters`,
  ],
  [
    'a label key with a space',
    { ...valid(), labels: { 'zone name': 'x' } },
    'announce: label key "zone name" may hold only letters, digits and . _ / -',
  ],
  [
    'a label value over the length limit',
    { ...valid(), labels: { zone: 'v'.repeat(257) } },
    'announce: label "zone" has a value of 257 characters, over the limit of 256',
  ],
  [
    'a weight over the limit',
    { ...valid(), weight: 10_001 },
    'announce: weight 10001 is over the limit of 10000',
  ],
  [
    'an unknown initial state',
    { ...valid(), state: 7 as InstanceState },
    'announce: state 7 is neither serving nor draining',
  ],
  [
    'more file descriptors than the limit',
    {
      ...valid(),
      fileDescriptors: [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)],
    },
    'announce: 3 file_descriptors, over the limit of 2',
  ],
  [
    'a file descriptor that is not a FileDescriptorProto',
    { ...valid(), fileDescriptors: [Buffer.from('not a descriptor')] },
    'announce: file_descriptors[0] is not a serialized FileDescriptorProto',
  ],
  [
    'file descriptors that do not define the announced service',
    {
      ...valid(),
      fileDescriptors: registryAnnouncementOf('x').fileDescriptors,
    },
    'announce: service "demo.v1.Echo" is not defined in the announced file_descriptors',
  ],
  [
    'file descriptors that do not define an announced method',
    (() => {
      const announcement = registryAnnouncementOf('registry-1');
      announcement.services[0].methods.push({
        fullName: '/switchboard.v1.Registry/Forward',
        kind: UNARY,
      });
      return announcement;
    })(),
    'announce: method "/switchboard.v1.Registry/Forward" is not defined in ' +
      'the announced file_descriptors',
  ],
];

describe('validateAnnouncement', () => {
  it.each(REFUSALS)('refuses %s', (_rule, announcement, message) => {
    expect(() => validateAnnouncement(announcement, LIMITS)).toThrow(
      expect.objectContaining({
        code: status.INVALID_ARGUMENT,
        details: message,
        message,
      }),
    );
  });

  it('accepts the smallest announcement, with weight 1 and serving by default', () => {
    const accepted = validateAnnouncement(valid(), LIMITS);

    expect(accepted).toEqual({
      instanceId: 'echo-1',
      address: '127.0.0.1:50051',
      services: valid().services,
      labels: {},
      weight: 1,
      state: InstanceState.INSTANCE_STATE_SERVING,
      fileDescriptors: [],
    });
  });

  it.each([
    ['an IPv4 address', '10.1.2.3:7000'],
    ['an IPv6 address', '[::1]:7000'],
    ['a host name', 'session-1.game.internal:65535'],
  ])('accepts %s', (_kind, address) => {
    expect(validateAnnouncement({ ...valid(), address }, LIMITS).address).toBe(
      address,
    );
  });

  it('accepts an instance that starts draining, with labels and a weight', () => {
    const accepted = validateAnnouncement(
      {
        ...valid(),
        state: InstanceState.INSTANCE_STATE_DRAINING,
        labels: { zone: 'eu-1', 'app.kubernetes.io/name': 'echo' },
        weight: 10_000,
      },
      DEFAULT_LIMITS,
    );

    expect(accepted.state).toBe(InstanceState.INSTANCE_STATE_DRAINING);
    expect(accepted.weight).toBe(10_000);
    expect(accepted.labels).toEqual({
      zone: 'eu-1',
      'app.kubernetes.io/name': 'echo',
    });
  });

  it('accepts services whose file descriptors define them', () => {
    const announcement = registryAnnouncementOf('registry-1');

    const accepted = validateAnnouncement(announcement, LIMITS);

    expect(accepted.fileDescriptors).toHaveLength(1);
  });

  it('reports the first rule broken, in field order', () => {
    const announcement = { ...valid(), instanceId: '', address: 'nowhere' };

    expect(() => validateAnnouncement(announcement, LIMITS)).toThrow(
      'announce: instance_id is empty; give each instance an id',
    );
  });
});

describe('quote', () => {
  it('cuts a long value to 64 characters and marks the cut', () => {
    expect(quote('x'.repeat(100))).toBe(`"${'x'.repeat(64)}…"`);
  });
});
