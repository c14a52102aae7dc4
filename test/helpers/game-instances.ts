import type { ClientDuplexStream, StatusObject } from '@grpc/grpc-js';
import { SessionClient, SessionService } from '../../gen/demo/v1/session';
import type { PlayerInput, SessionState } from '../../gen/demo/v1/session';
import { UserService } from '../../gen/demo/v1/user';
import { createMesh, createSilentLogger } from '../../services/mesh';
import type { Mesh } from '../../services/mesh';
import { createSessionService } from '../../services/session/session-service';
import { SessionStore } from '../../services/session/session-store';
import { PlayerStore } from '../../services/user/player-store';
import { createUserService } from '../../services/user/user-service';
import { withTimeout } from './wait';

/**
 * Serves a Session instance (`session-t`) and a User instance (`user-t`)
 * in this process, announced to the registry at `registryAddress`, as the
 * game's main.ts files do. The caller closes the mesh.
 */
export async function serveGameInstances(
  registryAddress: string,
): Promise<Mesh> {
  const mesh = createMesh({ registryAddress });
  const log = createSilentLogger();
  const store = new SessionStore({ instanceId: 'session-t' });
  await mesh.serve({
    services: [
      {
        definition: SessionService,
        implementation: createSessionService({
          instanceId: 'session-t',
          store,
          log,
        }),
      },
    ],
    instanceId: 'session-t',
  });
  const implementation = createUserService({
    store: new PlayerStore(),
    sessions: mesh.client(SessionClient),
    log,
  });
  await mesh.serve({
    services: [{ definition: UserService, implementation }],
    instanceId: 'user-t',
  });
  return mesh;
}

/** A Play stream that records what it receives. */
export interface RecordedPlay {
  readonly states: SessionState[];
  /** Settles with the stream's status. */
  readonly ended: Promise<StatusObject>;
  send(input: Partial<PlayerInput>): void;
  /** Half-closes and waits (bounded) for the status. */
  finish(): Promise<StatusObject>;
}

/** Opens a Play stream on `client`; inputs default to a valid stay. */
export function recordPlay(client: SessionClient): RecordedPlay {
  const call: ClientDuplexStream<PlayerInput, SessionState> = client.play();
  const states: SessionState[] = [];
  call.on('data', (state: SessionState) => states.push(state));
  call.on('error', () => undefined);
  const ended = new Promise<StatusObject>((resolve) =>
    call.on('status', resolve),
  );
  return {
    states,
    ended,
    send: (input) =>
      call.write({
        sessionId: 's-t',
        playerId: 'p-1',
        sequence: 1,
        move: 1,
        ...input,
      }),
    finish: () => {
      call.end();
      return withTimeout(ended, 5_000, 'the end of a Play stream');
    },
  };
}
