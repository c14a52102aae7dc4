import type { ServiceError } from '@grpc/grpc-js';
import type { SessionClient } from '../../gen/demo/v1/session';
import type { UserServer } from '../../gen/demo/v1/user';
import { createStatusError } from '../mesh';
import type { Logger } from '../mesh';
import type { PlayerStore } from './player-store';

/** What the User handlers need. */
export interface UserServiceOptions {
  /** The players of this instance. */
  store: PlayerStore;
  /** A mesh client of `demo.v1.Session`, for admitting players. */
  sessions: SessionClient;
  /** The instance's logger; the service takes a child of it. */
  log: Logger;
}

/**
 * The handlers of `demo.v1.User`. SetJoinedSession calls Session.JoinSession
 * from inside the handler, so that call inherits the caller's deadline and
 * cancellation; a refusal of the Session service reaches the caller with
 * its status code.
 */
export function createUserService(options: UserServiceOptions): UserServer {
  const { store, sessions } = options;
  const log = options.log.child({ component: 'user-service' });
  return {
    login(call, callback) {
      const player = store.login(call.request.playerName);
      log.debug({ playerId: player.playerId }, 'player logged in');
      callback(null, player);
    },
    setJoinedSession(call, callback) {
      const { playerId, token, sessionId } = call.request;
      store.authenticate(playerId, token);
      sessions.joinSession({ sessionId, playerId }, (error, reply) => {
        if (error) {
          callback(refusal(error, sessionId, playerId));
          return;
        }
        store.setJoinedSession(playerId, sessionId);
        log.debug({ playerId, sessionId }, 'player joined session');
        callback(null, { sessionId, sessionInstanceId: reply.instanceId });
      });
    },
    getJoinedSession(call, callback) {
      const sessionId = store.joinedSession(call.request.playerId);
      callback(null, { sessionId });
    },
  };
}

function refusal(
  error: ServiceError,
  sessionId: string,
  playerId: string,
): ServiceError {
  return createStatusError(
    error.code,
    `join: the Session service did not admit player "${playerId}" ` +
      `to session "${sessionId.slice(0, 80)}": ${error.details}`,
  );
}
