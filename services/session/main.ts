/**
 * A Session instance as a process: `node dist/services/session/main.js`,
 * configured by its environment (see config.ts). It prints `session
 * instance ID serving at ADDRESS` once it serves, and drains on SIGTERM or
 * SIGINT, then exits 0.
 */
import { SessionService } from '../../gen/demo/v1/session';
import { createLogger, createMesh } from '../mesh';
import { readSessionConfig } from './config';
import { createSessionService } from './session-service';
import { SessionStore } from './session-store';

async function main(): Promise<void> {
  const config = readSessionConfig();
  const { instanceId } = config;
  const logger = createLogger({ level: config.logLevel });
  const mesh = createMesh({ registryAddress: config.registryAddress, logger });
  const store = new SessionStore({ instanceId });
  const log = logger.child({ instanceId });
  const implementation = createSessionService({ instanceId, store, log });
  const instance = await mesh.serve({
    services: [{ definition: SessionService, implementation }],
    host: '127.0.0.1',
    port: config.port,
    instanceId,
    handleSignals: true,
  });
  process.stdout.write(
    `session instance ${instanceId} serving at ${instance.address}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
