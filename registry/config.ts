import { DEFAULT_LIMITS } from './limits';
import type { RegistryLimits } from './limits';

/** Everything `switchboard registry` takes from its flags and environment. */
export interface RegistryConfig {
  host: string;
  port: number;
  logLevel: string;
  heartbeatIntervalMs: number;
  heartbeatDeadlineMs: number | undefined;
  limits: RegistryLimits;
  help: boolean;
}

interface Setting {
  flag: string;
  env: string;
  help: string;
  apply(config: RegistryConfig, value: string): void;
}

/** The configuration error of one flag or variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const SETTINGS: Setting[] = [
  text(
    '--host',
    'SWITCHBOARD_HOST',
    'interface to listen on (default 127.0.0.1)',
    (c, v) => (c.host = v),
  ),
  integer(
    '--port',
    'SWITCHBOARD_PORT',
    'port to listen on; 0 picks a free one (default 7400)',
    0,
    65535,
    (c, v) => (c.port = v),
  ),
  text(
    '--log-level',
    'LOG_LEVEL',
    'trace, debug, info, warn, error or silent (default info)',
    (c, v) => (c.logLevel = v),
  ),
  integer(
    '--heartbeat-interval-ms',
    'SWITCHBOARD_HEARTBEAT_INTERVAL_MS',
    'how often instances send a heartbeat (default 5000)',
    10,
    3_600_000,
    (c, v) => (c.heartbeatIntervalMs = v),
  ),
  integer(
    '--heartbeat-deadline-ms',
    'SWITCHBOARD_HEARTBEAT_DEADLINE_MS',
    'silence after which an instance is removed (default 3 intervals)',
    10,
    3_600_000,
    (c, v) => (c.heartbeatDeadlineMs = v),
  ),
  integer(
    '--max-message-bytes',
    'SWITCHBOARD_MAX_MESSAGE_BYTES',
    'largest message the registry receives (default 4194304)',
    1024,
    1 << 30,
    (c, v) => (c.limits.maxMessageBytes = v),
  ),
  integer(
    '--max-services',
    'SWITCHBOARD_MAX_SERVICES',
    'services one instance may announce (default 64)',
    1,
    100_000,
    (c, v) => (c.limits.maxServices = v),
  ),
  integer(
    '--max-methods',
    'SWITCHBOARD_MAX_METHODS',
    'methods one service may have (default 512)',
    1,
    100_000,
    (c, v) => (c.limits.maxMethodsPerService = v),
  ),
  integer(
    '--max-labels',
    'SWITCHBOARD_MAX_LABELS',
    'labels one instance may carry (default 64)',
    0,
    10_000,
    (c, v) => (c.limits.maxLabels = v),
  ),
];

/**
 * Reads the registry's configuration: flags win over environment variables,
 * which win over defaults. Throws {@link ConfigError} naming the flag and
 * its rule for a bad value or an unknown flag. This is the only module of
 * the registry that reads the environment.
 */
export function readRegistryConfig(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): RegistryConfig {
  const config: RegistryConfig = {
    host: '127.0.0.1',
    port: 7400,
    logLevel: 'info',
    heartbeatIntervalMs: 5_000,
    heartbeatDeadlineMs: undefined,
    limits: { ...DEFAULT_LIMITS },
    help: false,
  };
  for (const setting of SETTINGS) {
    const value = env[setting.env];
    if (value !== undefined && value !== '') setting.apply(config, value);
  }
  applyFlags(config, argv);
  return config;
}

function applyFlags(config: RegistryConfig, argv: string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      config.help = true;
      continue;
    }
    const [flag, inline] = arg.split(/=(.*)/s, 2);
    const setting = SETTINGS.find((s) => s.flag === flag);
    if (!setting) {
      throw new ConfigError(`registry: unknown argument "${arg}"; see --help`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) {
      throw new ConfigError(`registry: ${flag} needs a value; see --help`);
    }
    setting.apply(config, value);
  }
}

/** The text of `switchboard registry --help`. */
export function registryHelp(): string {
  const rows = SETTINGS.map(
    (s) =>
      `  ${`${s.flag} <value>`.padEnd(30)} ${s.help}\n  ${''.padEnd(30)} env: ${s.env}`,
  );
  return [
    'usage: switchboard registry [options]',
    '',
    'Runs the Switchboard registry-broker with the embedded memory store.',
    'Flags win over environment variables.',
    '',
    ...rows,
    `  ${'--help'.padEnd(30)} print this text`,
    '',
  ].join('\n');
}

function text(
  flag: string,
  env: string,
  help: string,
  set: (c: RegistryConfig, v: string) => void,
): Setting {
  return { flag, env, help, apply: set };
}

function integer(
  flag: string,
  env: string,
  help: string,
  min: number,
  max: number,
  set: (c: RegistryConfig, v: number) => void,
): Setting {
  return {
    flag,
    env,
    help,
    apply(config, value) {
      const n = Number(value);
      if (!/^[0-9]+$/.test(value) || n < min || n > max) {
        throw new ConfigError(
          `registry: ${flag} (${env}) is "${value}"; give a whole number from ${min} to ${max}`,
        );
      }
      set(config, n);
    },
  };
}
