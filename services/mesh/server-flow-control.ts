import type { ServerHttp2Session, Http2Server, Settings } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

/**
 * The HTTP/2 receive window an instance gives each stream and each
 * connection, in bytes. Node's default of 65,535 stalls a connection that
 * carries many 4 KiB requests at once: past 64 KiB unread, the caller
 * waits a round trip for WINDOW_UPDATE.
 */
export const SERVER_FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

/** The parts of grpc-js's Server this module reaches into. */
interface ServerInternals {
  commonServerOptions?: { settings?: Settings };
  http2Servers?: Map<Http2Server, unknown>;
}

/**
 * Widens the receive windows of a grpc-js server, before it binds: every
 * stream starts with `bytes` of window, and every connection is given as
 * much once it opens.
 *
 * grpc-js 1.14 sets windows on the client side only
 * (`grpc-node.flow_control_window`); its server passes Node no window
 * settings and offers no option for them. So this reaches into two private
 * fields of its Server: the options it hands `http2.createServer`, and the
 * HTTP/2 servers it made. Returns false, changing nothing, when a grpc-js
 * upgrade has renamed them; the caller then logs it, and calls still work
 * with Node's default windows.
 */
export function widenServerWindows(server: Server, bytes: number): boolean {
  const internals = server as unknown as ServerInternals;
  const options = internals.commonServerOptions;
  if (!options || !(internals.http2Servers instanceof Map)) return false;
  options.settings = { ...options.settings, initialWindowSize: bytes };
  return true;
}

/**
 * Gives every connection of the HTTP/2 servers `server` has bound a
 * receive window of `bytes`; call it after each bind. See
 * {@link widenServerWindows}.
 */
export function widenConnectionWindows(server: Server, bytes: number): void {
  const servers = (server as unknown as ServerInternals).http2Servers;
  if (!(servers instanceof Map)) return;
  for (const http2Server of servers.keys()) {
    http2Server.on('session', (session: ServerHttp2Session) => {
      // As grpc-js does on its client side: once the peer's settings are in,
      // the session is ready for a WINDOW_UPDATE.
      session.once('remoteSettings', () => session.setLocalWindowSize(bytes));
    });
  }
}
