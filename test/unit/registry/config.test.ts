import {
  ConfigError,
  readRegistryConfig,
  registryHelp,
} from '../../../registry/config';
import { DEFAULT_LIMITS } from '../../../registry/limits';

describe('readRegistryConfig', () => {
  it('answers the defaults when given no flags and no environment', () => {
    expect(readRegistryConfig([], {})).toEqual({
      host: '127.0.0.1',
      port: 7400,
      logLevel: 'info',
      heartbeatIntervalMs: 5_000,
      heartbeatDeadlineMs: undefined,
      limits: DEFAULT_LIMITS,
      help: false,
    });
  });

  it('reads every flag, as `--flag value` or `--flag=value`', () => {
    const config = readRegistryConfig(
      [
        '--host',
        '127.0.0.2',
        '--port=7401',
        '--log-level',
        'debug',
        '--heartbeat-interval-ms',
        '100',
        '--heartbeat-deadline-ms=250',
        '--max-message-bytes',
        '65536',
        '--max-services',
        '4',
        '--max-methods',
        '8',
        '--max-labels',
        '0',
      ],
      {},
    );

    expect(config).toMatchObject({
      host: '127.0.0.2',
      port: 7401,
      logLevel: 'debug',
      heartbeatIntervalMs: 100,
      heartbeatDeadlineMs: 250,
      limits: {
        ...DEFAULT_LIMITS,
        maxMessageBytes: 65_536,
        maxServices: 4,
        maxMethodsPerService: 8,
        maxLabels: 0,
      },
    });
  });

  it('reads the environment, and lets a flag win over it', () => {
    const env = {
      SWITCHBOARD_PORT: '7500',
      SWITCHBOARD_MAX_SERVICES: '3',
      LOG_LEVEL: 'warn',
    };

    const config = readRegistryConfig(['--port', '7600'], env);

    expect(config.port).toBe(7600);
    expect(config.limits.maxServices).toBe(3);
    expect(config.logLevel).toBe('warn');
  });

  it('lets the last of two equal flags win', () => {
    expect(readRegistryConfig(['--port', '0', '--port', '7402'], {}).port).toBe(
      7402,
    );
  });

  it('ignores an empty environment variable', () => {
    expect(readRegistryConfig([], { SWITCHBOARD_PORT: '' }).port).toBe(7400);
  });

  it('never changes the default limits it starts from', () => {
    readRegistryConfig(['--max-services', '1'], {});

    expect(DEFAULT_LIMITS.maxServices).toBe(64);
  });

  it('notes a request for help', () => {
    expect(readRegistryConfig(['--help'], {}).help).toBe(true);
    expect(readRegistryConfig(['-h'], {}).help).toBe(true);
  });

  it.each([
    [
      ['--port', '65536'],
      'registry: --port (SWITCHBOARD_PORT) is "65536"; give a whole number from 0 to 65535',
    ],
    [
      ['--port', '-1'],
      'registry: --port (SWITCHBOARD_PORT) is "-1"; give a whole number from 0 to 65535',
    ],
    [
      ['--heartbeat-interval-ms', '1.5'],
      'registry: --heartbeat-interval-ms (SWITCHBOARD_HEARTBEAT_INTERVAL_MS) ' +
        'is "1.5"; give a whole number from 10 to 3600000',
    ],
    [
      ['--max-message-bytes', '512'],
      'registry: --max-message-bytes (SWITCHBOARD_MAX_MESSAGE_BYTES) is "512"; ' +
        'give a whole number from 1024 to 1073741824',
    ],
    [
      ['--max-services', '0'],
      'registry: --max-services (SWITCHBOARD_MAX_SERVICES) is "0"; give a ' +
        'whole number from 1 to 100000',
    ],
    [['--port'], 'registry: --port needs a value; see --help'],
    [['--colour', 'blue'], 'registry: unknown argument "--colour"; see --help'],
    [['registry'], 'registry: unknown argument "registry"; see --help'],
  ])('refuses %j', (argv, message) => {
    expect(() => readRegistryConfig(argv, {})).toThrow(
      new ConfigError(message),
    );
  });

  it('refuses a bad environment variable, naming it', () => {
    expect(() =>
      readRegistryConfig([], { SWITCHBOARD_HEARTBEAT_DEADLINE_MS: 'soon' }),
    ).toThrow(
      'registry: --heartbeat-deadline-ms (SWITCHBOARD_HEARTBEAT_DEADLINE_MS) ' +
        'is "soon"; give a whole number from 10 to 3600000',
    );
  });

  it('throws a ConfigError, so that the command can tell it from a bug', () => {
    expect(() => readRegistryConfig(['--nope'], {})).toThrow(ConfigError);
  });
});

describe('registryHelp', () => {
  it('lists every flag with its environment variable', () => {
    const help = registryHelp();

    for (const [flag, env] of [
      ['--host', 'SWITCHBOARD_HOST'],
      ['--port', 'SWITCHBOARD_PORT'],
      ['--log-level', 'LOG_LEVEL'],
      ['--heartbeat-interval-ms', 'SWITCHBOARD_HEARTBEAT_INTERVAL_MS'],
      ['--heartbeat-deadline-ms', 'SWITCHBOARD_HEARTBEAT_DEADLINE_MS'],
      ['--max-message-bytes', 'SWITCHBOARD_MAX_MESSAGE_BYTES'],
      ['--max-services', 'SWITCHBOARD_MAX_SERVICES'],
      ['--max-methods', 'SWITCHBOARD_MAX_METHODS'],
      ['--max-labels', 'SWITCHBOARD_MAX_LABELS'],
    ]) {
      expect(help).toContain(`${flag} <value>`);
      expect(help).toContain(`env: ${env}`);
    }
    expect(help.startsWith('usage: switchboard registry [options]')).toBe(true);
  });
});
