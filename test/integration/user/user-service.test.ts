import { status } from '@grpc/grpc-js';
import { UserClient } from '../../../gen/demo/v1/user';
import type {
  GetJoinedSessionReply,
  LoginReply,
  SetJoinedSessionReply,
  SetJoinedSessionRequest,
} from '../../../gen/demo/v1/user';
import type { Mesh } from '../../../services/mesh';
import { serveGameInstances } from '../../helpers/game-instances';
import { callError } from '../../helpers/registry-client';
import { startRegistryProcess } from '../../helpers/registry-process';
import type { RegistryProcess } from '../../helpers/registry-process';

let registry: RegistryProcess;
let mesh: Mesh;
let users: UserClient;

function login(playerName: string): Promise<LoginReply> {
  return new Promise((resolve, reject) =>
    users.login({ playerName }, (e, r) => (e ? reject(e) : resolve(r))),
  );
}

function setJoinedSession(
  request: SetJoinedSessionRequest,
): Promise<SetJoinedSessionReply> {
  return new Promise((resolve, reject) =>
    users.setJoinedSession(request, (e, r) => (e ? reject(e) : resolve(r))),
  );
}

function getJoinedSession(playerId: string): Promise<GetJoinedSessionReply> {
  return new Promise((resolve, reject) =>
    users.getJoinedSession({ playerId }, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  );
}

beforeAll(async () => {
  registry = await startRegistryProcess();
  mesh = await serveGameInstances(registry.address);
  users = mesh.client(UserClient);
});

afterAll(async () => {
  await mesh?.close();
  await registry?.stop();
});

describe('User.SetJoinedSession', () => {
  it('asks the Session service to admit the player, then remembers the session', async () => {
    const { playerId, token } = await login('ada');

    const reply = await setJoinedSession({
      playerId,
      token,
      sessionId: 's-1',
    });

    expect(reply).toEqual({ sessionId: 's-1', sessionInstanceId: 'session-t' });
    expect(await getJoinedSession(playerId)).toEqual({ sessionId: 's-1' });
  });

  it("refuses a token that is not the player's, without calling Session", async () => {
    const ada = await login('ada');
    const bob = await login('bob');

    const error = await callError(
      setJoinedSession({
        playerId: ada.playerId,
        token: bob.token,
        sessionId: 's-1',
      }),
    );

    expect(error).toEqual({
      code: status.PERMISSION_DENIED,
      details: `join: the token given is not the one of player "${ada.playerId}"; log in again`,
    });
  });

  it('passes on the refusal of the Session service with its code', async () => {
    const { playerId, token } = await login('ada');

    const error = await callError(
      setJoinedSession({ playerId, token, sessionId: 'not an id' }),
    );

    expect(error).toEqual({
      code: status.INVALID_ARGUMENT,
      details:
        `join: the Session service did not admit player "${playerId}" ` +
        'to session "not an id": session: session id "not an id" ' +
        'is not 1 to 64 letters, digits, "-" or "_"',
    });
    expect(await getJoinedSession(playerId)).toEqual({ sessionId: '' });
  });
});

describe('User.Login', () => {
  it('refuses an empty name', async () => {
    const error = await callError(login(''));

    expect(error).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'login: player name "" has 0 characters; give 1 to 32',
    });
  });
});
