/**
 * A User instance as a process: `node dist/services/user/main.js`,
 * configured by its environment (see config.ts). It prints `user instance
 * ID serving at ADDRESS` once it serves, and drains on SIGTERM or SIGINT,
 * then exits 0.
 */
import { SessionClient } from '../../gen/demo/v1/session';
import { UserService } from '../../gen/demo/v1/user';
import { createLogger, createMesh } from '../mesh';
import { readUserConfig } from './config';
import { PlayerStore } from './player-store';
import { createUserService } from './user-service';

async function main(): Promise<void> {
  const config = readUserConfig();
  const { instanceId } = config;
  const logger = createLogger({ level: config.logLevel });
  const mesh = createMesh({ registryAddress: config.registryAddress, logger });
  const implementation = createUserService({
    store: new PlayerStore(),
    sessions: mesh.client(SessionClient),
    log: logger.child({ instanceId }),
  });
  const instance = await mesh.serve({
    services: [{ definition: UserService, implementation }],
    host: '127.0.0.1',
    port: config.port,
    instanceId,
    handleSignals: true,
  });
  process.stdout.write(
    `user instance ${instanceId} serving at ${instance.address}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
