/**
 * The Switchboard runtime: every instance and caller links it. Start with
 * {@link createMesh}; `mesh.serve` starts an instance that announces
 * itself, `mesh.client` makes a typed client resolved through the registry.
 */
export { createMesh } from './mesh';
export type {
  CallStreamOptions,
  GeneratedClientConstructor,
  Mesh,
  MeshClientOptions,
  MeshOptions,
  MeshTransport,
} from './mesh';
export type {
  MeshInstance,
  ServeOptions,
  ServedService,
} from './instance-server';
export { currentCallContext } from './call-context';
export type { CallContext } from './call-context';
export { createLogger, createSilentLogger } from './logger';
export type { Logger, LoggerOptions } from './logger';
export { createStatusError, isStatusError } from './status-error';
export type { StatusError } from './status-error';
export type { BackoffOptions } from './backoff';
export {
  REGISTRY_ADDRESS_OPTION,
  SWITCHBOARD_SCHEME,
  setupSwitchboardResolver,
} from './resolver-switchboard';
