import { createLogger } from '../services/mesh/logger';
import { ConfigError, readRegistryConfig, registryHelp } from './config';
import { createRegistry } from './registry-server';

const USAGE = [
  'usage: switchboard <command> [options]',
  '',
  'commands:',
  '  registry   run the registry-broker (switchboard registry --help)',
  '',
].join('\n');

/**
 * The `switchboard` command. Resolves to the process exit code; a running
 * registry resolves only after SIGINT or SIGTERM has stopped it.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'registry') return runRegistry(rest);
  const asked =
    command === undefined || command === '--help' || command === '-h';
  (asked ? process.stdout : process.stderr).write(USAGE);
  return asked ? 0 : 2;
}

async function runRegistry(argv: string[]): Promise<number> {
  let config;
  try {
    config = readRegistryConfig(argv);
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  if (config.help) {
    process.stdout.write(registryHelp());
    return 0;
  }
  const logger = createLogger({ level: config.logLevel });
  const registry = createRegistry({
    host: config.host,
    port: config.port,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatDeadlineMs: config.heartbeatDeadlineMs,
    limits: config.limits,
    logger,
  });
  const address = await registry.start();
  process.stdout.write(`switchboard registry listening on ${address}\n`);
  await untilSignal();
  await registry.stop();
  logger.flush();
  return 0;
}

/**
 * Resolves on the first SIGINT or SIGTERM. The handlers stay installed, so
 * a second signal while the registry stops is ignored instead of killing
 * the process before it exits 0.
 */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.on('SIGINT', resolve);
    process.on('SIGTERM', resolve);
  });
}
