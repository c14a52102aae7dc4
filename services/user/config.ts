/** The settings of a User instance, from its environment. */
export interface UserConfig {
  /** `REGISTRY_ADDRESS`, host:port. Default 127.0.0.1:7400. */
  registryAddress: string;
  /** `INSTANCE_ID`. Default `user-` and the process id. */
  instanceId: string;
  /** `PORT` to listen on, on 127.0.0.1; 0 picks a free one. Default 0. */
  port: number;
  /** `LOG_LEVEL`, a pino level. Default info. */
  logLevel: string;
}

const HOST_PORT = /^[^\s:]+:[0-9]{1,5}$/;

/**
 * Reads the settings of a User instance; the only module of the service
 * that reads the environment. Throws an Error naming the variable and its
 * rule for a bad value.
 */
export function readUserConfig(
  env: NodeJS.ProcessEnv = process.env,
): UserConfig {
  const registryAddress = env.REGISTRY_ADDRESS || '127.0.0.1:7400';
  if (!HOST_PORT.test(registryAddress)) {
    throw new Error(
      `user config: REGISTRY_ADDRESS is "${registryAddress}"; give host:port`,
    );
  }
  const port = Number(env.PORT || '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(
      `user config: PORT is "${env.PORT}"; give a whole number from 0 to 65535`,
    );
  }
  return {
    registryAddress,
    instanceId: env.INSTANCE_ID || `user-${process.pid}`,
    port,
    logLevel: env.LOG_LEVEL || 'info',
  };
}
