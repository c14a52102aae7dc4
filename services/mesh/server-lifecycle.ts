import { ServerCredentials } from '@grpc/grpc-js';
import type { Server } from '@grpc/grpc-js';

/**
 * Binds `server` to `host:port` without TLS (an IPv6 host is bracketed) and
 * resolves to the bound port: the chosen one when `port` is 0.
 */
export function bindServer(
  server: Server,
  host: string,
  port: number,
): Promise<number> {
  const target = `${formatHost(host)}:${port}`;
  return new Promise((resolve, reject) =>
    server.bindAsync(target, ServerCredentials.createInsecure(), (e, bound) =>
      e ? reject(e) : resolve(bound),
    ),
  );
}

/** `host` as it stands before `:port`: IPv6 addresses in brackets. */
export function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Shuts `server` down gracefully — no new calls, calls in flight finish —
 * and forcibly once `graceMs` has passed, so a stop never hangs on a stream
 * that does not end.
 */
export function shutDownServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
