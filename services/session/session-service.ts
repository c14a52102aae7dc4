import type { SessionServer } from '../../gen/demo/v1/session';
import type { Logger } from '../mesh';
import { checkPlayerId } from './ids';
import { servePlay } from './play-stream';
import type { SessionStore } from './session-store';

/** What the Session handlers need. */
export interface SessionServiceOptions {
  /** The instance serving, answered as the one that created or admitted. */
  instanceId: string;
  /** The sessions of this instance. */
  store: SessionStore;
  /** The instance's logger; the service takes a child of it. */
  log: Logger;
}

/**
 * The handlers of `demo.v1.Session`. Failures carry a gRPC status: see
 * {@link SessionStore} and `GameSession` for which.
 */
export function createSessionService(
  options: SessionServiceOptions,
): SessionServer {
  const { instanceId, store } = options;
  const log = options.log.child({ component: 'session-service' });
  return {
    createSession(_call, callback) {
      const session = store.create();
      log.info({ sessionId: session.id }, 'session created');
      callback(null, { sessionId: session.id, instanceId });
    },
    joinSession(call, callback) {
      const { sessionId, playerId } = call.request;
      checkPlayerId(playerId);
      const session = store.open(sessionId);
      session.checkRoom();
      log.debug({ sessionId, playerId }, 'player admitted');
      callback(null, { instanceId, players: session.playerCount });
    },
    play(call) {
      servePlay(call, store, log);
    },
  };
}
