import { status } from '@grpc/grpc-js';
import { InstanceState } from '../gen/switchboard/v1/registry';
import type {
  ListServicesResponse,
  MethodInfo,
  ResolveResponse,
  ServiceSummary,
} from '../gen/switchboard/v1/registry';
import { isServiceName, parseMethodName } from '../services/mesh/names';
import { createStatusError } from '../services/mesh/status-error';
import { quote } from './announce-validation';
import type { RegistryLimits } from './limits';
import type { Store } from './store';
import { toInstance } from './instance-view';

/** A parsed Resolve target: a service, and maybe one of its methods. */
export interface ResolveTarget {
  service: string;
  method?: string;
}

/**
 * Parses a Resolve target, `pkg.Service` or `/pkg.Service/Method`; throws
 * INVALID_ARGUMENT naming the rule when it is neither.
 */
export function parseResolveTarget(
  target: string,
  limits: RegistryLimits,
): ResolveTarget {
  if (target.length === 0) {
    throw invalidQuery('resolve', 'target is empty; give pkg.Service');
  }
  if (target.length > limits.maxNameLength) {
    throw invalidQuery(
      'resolve',
      `target of ${target.length} characters is over the limit of ${limits.maxNameLength}`,
    );
  }
  if (target.startsWith('/')) {
    const parsed = parseMethodName(target);
    if (parsed) return { service: parsed.service, method: target };
  } else if (isServiceName(target)) {
    return { service: target };
  }
  throw invalidQuery(
    'resolve',
    `target ${quote(target)} is neither pkg.Service nor /pkg.Service/Method`,
  );
}

/**
 * Checks the service a watcher asks for: empty (the whole catalog) or
 * `pkg.Service`.
 */
export function checkWatchedService(
  service: string,
  limits: RegistryLimits,
): void {
  if (service === '') return;
  if (service.length > limits.maxNameLength || !isServiceName(service)) {
    throw invalidQuery(
      'watch',
      `service ${quote(service)} is not of the form pkg.Service ` +
        `(at most ${limits.maxNameLength} characters)`,
    );
  }
}

function invalidQuery(context: string, specifics: string) {
  return createStatusError(status.INVALID_ARGUMENT, `${context}: ${specifics}`);
}

/** The serving instances of a target, read at one revision. */
export async function resolve(
  store: Store,
  target: ResolveTarget,
): Promise<ResolveResponse> {
  const view = await store.read(target.service);
  const instances = view.instances.filter(
    (record) =>
      record.state === InstanceState.INSTANCE_STATE_SERVING &&
      (target.method === undefined ||
        record.services.some((s) =>
          s.methods.some((m) => m.fullName === target.method),
        )),
  );
  return { instances: instances.map(toInstance), revision: view.revision };
}

/** The whole catalog grouped by service, sorted by name. */
export async function listServices(
  store: Store,
): Promise<ListServicesResponse> {
  const view = await store.read();
  const byName = new Map<string, ServiceSummary & { since: number }>();
  for (const record of view.instances) {
    for (const service of record.services) {
      const summary = byName.get(service.name) ?? emptySummary(service.name);
      byName.set(service.name, summary);
      if (record.announcedAtMs >= summary.since) {
        summary.methods = service.methods;
        summary.since = record.announcedAtMs;
      }
      const ids =
        record.state === InstanceState.INSTANCE_STATE_DRAINING
          ? summary.drainingInstanceIds
          : summary.servingInstanceIds;
      ids.push(record.instanceId);
    }
  }
  const services = [...byName.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ since: _since, ...summary }) => summary);
  return { services, revision: view.revision };
}

function emptySummary(name: string): ServiceSummary & { since: number } {
  const methods: MethodInfo[] = [];
  return {
    name,
    methods,
    servingInstanceIds: [],
    drainingInstanceIds: [],
    since: -1,
  };
}
