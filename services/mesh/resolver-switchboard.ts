import { experimental, status } from '@grpc/grpc-js';
import type { ChannelOptions, ServiceConfig } from '@grpc/grpc-js';
import type { Instance } from '../../gen/switchboard/v1/registry';
import { readRetryableMethods } from './call-retry';
import { isServiceName } from './names';
import { acquireRegistryLink, releaseRegistryLink } from './registry-link';
import type { RegistryLink } from './registry-link';
import { createServiceConfig } from './service-config';
import { isServing } from './service-watch';
import type { ServiceView } from './service-watch';
import { weightedRotation } from './weighted-rotation';

/** The URI scheme of mesh targets: `switchboard:///pkg.Service`. */
export const SWITCHBOARD_SCHEME = 'switchboard';

/**
 * Channel option naming the registry (`host:port`) for targets without an
 * authority, `switchboard:///pkg.Service`. A target with an authority,
 * `switchboard://host:port/pkg.Service`, names its registry itself.
 */
export const REGISTRY_ADDRESS_OPTION = 'switchboard.registry_address';

/**
 * Resolves `switchboard` targets through the registry: it subscribes to the
 * shared Watch of the target's service and hands grpc-js the serving
 * instances on every change. Calls never go through the registry. While the
 * registry is away the last endpoints stay in use; before the first answer
 * nothing is reported, so calls wait within their deadline. With the
 * instances goes the service config: round robin, and a retry policy for
 * the methods named in channel option RETRYABLE_METHODS_OPTION.
 */
class SwitchboardResolver implements experimental.Resolver {
  private readonly link: RegistryLink | undefined;
  private readonly unsubscribe: () => void = () => {};
  private readonly serviceConfig: ServiceConfig;

  constructor(
    target: experimental.GrpcUri,
    private readonly listener: experimental.ResolverListener,
    options: ChannelOptions,
  ) {
    const service = target.path.replace(/^\//, '');
    this.serviceConfig = createServiceConfig(
      service,
      readRetryableMethods(options),
    );
    const address =
      target.authority || (options[REGISTRY_ADDRESS_OPTION] as string);
    if (!isServiceName(service) || !address) {
      this.fail(
        `resolve: target "${experimental.uriToString(target)}" ` +
          'must be switchboard:///pkg.Service with the registry address ' +
          `in channel option ${REGISTRY_ADDRESS_OPTION}, ` +
          'or switchboard://host:port/pkg.Service',
      );
      return;
    }
    this.link = acquireRegistryLink(address);
    const watch = this.link.watch(service);
    this.unsubscribe = watch.subscribe((view) =>
      this.report(service, address, view),
    );
  }

  static getDefaultAuthority(target: experimental.GrpcUri): string {
    return target.path.replace(/^\//, '');
  }

  updateResolution(): void {
    // Changes are pushed by the Watch stream; there is nothing to poll.
  }

  destroy(): void {
    this.unsubscribe();
    if (this.link) releaseRegistryLink(this.link);
  }

  private report(service: string, registry: string, view: ServiceView): void {
    const endpoints = toEndpoints(view.instances.filter(isServing));
    if (endpoints.length === 0) {
      this.fail(
        `resolve: no serving instance of "${service}" is announced ` +
          `to the registry at ${registry}; start one, or check that it announced`,
      );
      return;
    }
    this.listener(
      experimental.statusOrFromValue(endpoints),
      {},
      experimental.statusOrFromValue(this.serviceConfig),
      `${endpoints.length} endpoints from the registry`,
    );
  }

  /**
   * Reports that no endpoint can be used. The service config goes with the
   * error: without it grpc-js falls back to its default policy, pick_first,
   * which drops the round robin children and every endpoint still working
   * (as after a registry restart, whose first snapshot is empty).
   */
  private fail(details: string): void {
    this.listener(
      experimental.statusOrFromError({ code: status.UNAVAILABLE, details }),
      {},
      experimental.statusOrFromValue(this.serviceConfig),
      details,
    );
  }
}

/** The serving instances as endpoints, repeated by weight. */
function toEndpoints(instances: Instance[]): experimental.Endpoint[] {
  const endpoints: experimental.Endpoint[] = [];
  for (const instance of weightedRotation(instances)) {
    const hostPort = experimental.splitHostPort(instance.address);
    if (!hostPort || hostPort.port === undefined) continue;
    endpoints.push({
      addresses: [{ host: hostPort.host, port: hostPort.port }],
    });
  }
  return endpoints;
}

let registered = false;

/** Registers the `switchboard` scheme with grpc-js; idempotent. */
export function setupSwitchboardResolver(): void {
  if (registered) return;
  registered = true;
  experimental.registerResolver(SWITCHBOARD_SCHEME, SwitchboardResolver);
}
