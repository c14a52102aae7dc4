import { status } from '@grpc/grpc-js';
import { Move, SessionClient } from '../../../gen/demo/v1/session';
import type {
  CreateSessionReply,
  JoinSessionReply,
} from '../../../gen/demo/v1/session';
import type { Mesh } from '../../../services/mesh';
import { recordPlay, serveGameInstances } from '../../helpers/game-instances';
import { callError } from '../../helpers/registry-client';
import { startRegistryProcess } from '../../helpers/registry-process';
import type { RegistryProcess } from '../../helpers/registry-process';
import { waitFor, withTimeout } from '../../helpers/wait';

let registry: RegistryProcess;
let mesh: Mesh;
let sessions: SessionClient;

function createSession(): Promise<CreateSessionReply> {
  return new Promise((resolve, reject) =>
    sessions.createSession({}, (e, r) => (e ? reject(e) : resolve(r))),
  );
}

function joinSession(
  sessionId: string,
  playerId: string,
): Promise<JoinSessionReply> {
  return new Promise((resolve, reject) =>
    sessions.joinSession({ sessionId, playerId }, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  );
}

beforeAll(async () => {
  registry = await startRegistryProcess();
  mesh = await serveGameInstances(registry.address);
  sessions = mesh.client(SessionClient);
});

afterAll(async () => {
  await mesh?.close();
  await registry?.stop();
});

describe('Session.CreateSession and Session.JoinSession', () => {
  it('creates a session and admits a player to it', async () => {
    const created = await createSession();
    const joined = await joinSession(created.sessionId, 'p-1');

    expect(created).toEqual({
      sessionId: expect.stringMatching(/^s-[0-9a-f]{6}$/),
      instanceId: 'session-t',
    });
    expect(joined).toEqual({ instanceId: 'session-t', players: 0 });
  });

  it('refuses a session id not of the form of ids', async () => {
    const error = await callError(joinSession('a b', 'p-1'));

    expect(error).toEqual({
      code: status.INVALID_ARGUMENT,
      details:
        'session: session id "a b" is not 1 to 64 letters, digits, "-" or "_"',
    });
  });
});

describe('Session.Play', () => {
  it('acknowledges every input with a state that names the instance', async () => {
    const play = recordPlay(sessions);
    play.send({ sessionId: 's-ack', sequence: 1, move: Move.MOVE_UP });
    play.send({ sessionId: 's-ack', sequence: 2, move: Move.MOVE_LEFT });

    const outcome = await play.finish();

    expect(outcome.code).toBe(status.OK);
    expect(play.states.map((s) => [s.tick, s.players[0].lastSequence])).toEqual(
      [
        [1, 1],
        [2, 2],
      ],
    );
    expect(play.states[1]).toMatchObject({
      sessionId: 's-ack',
      instanceId: 'session-t',
    });
  });

  it('sends every player the inputs of the others', async () => {
    const a = recordPlay(sessions);
    const b = recordPlay(sessions);
    a.send({ sessionId: 's-two', playerId: 'a' });
    await waitFor(() => a.states.length === 1, { description: 'a in game' });
    b.send({ sessionId: 's-two', playerId: 'b' });
    await waitFor(() => a.states.length === 2, { description: "b's input" });

    expect(a.states[1].players.map((p) => p.playerId).sort()).toEqual([
      'a',
      'b',
    ]);
    await Promise.all([a.finish(), b.finish()]);
  });

  it('ends the stream at a sequence that does not grow', async () => {
    const play = recordPlay(sessions);
    play.send({ sessionId: 's-seq', sequence: 4 });
    play.send({ sessionId: 's-seq', sequence: 3 });

    const outcome = await withTimeout(play.ended, 5_000, 'the refusal');

    expect(outcome).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details:
        'play: sequence 3 of player "p-1" is not above the last one ' +
        'applied, 4; sequences must grow',
    });
    expect(play.states).toHaveLength(1);
  });

  it('ends a stream whose input names another session', async () => {
    const play = recordPlay(sessions);
    play.send({ sessionId: 's-one', sequence: 1 });
    play.send({ sessionId: 's-other', sequence: 2 });

    const outcome = await withTimeout(play.ended, 5_000, 'the refusal');

    expect(outcome).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details:
        'play: input 2 names session "s-other" and player "p-1", ' +
        'but the stream plays session "s-one" as player "p-1"; ' +
        'open one stream per session and player',
    });
  });

  it('refuses a second stream of a player who already plays', async () => {
    const first = recordPlay(sessions);
    first.send({ sessionId: 's-dup' });
    await waitFor(() => first.states.length === 1, { description: 'a state' });
    const second = recordPlay(sessions);
    second.send({ sessionId: 's-dup' });

    const outcome = await withTimeout(second.ended, 5_000, 'the refusal');

    expect(outcome).toMatchObject({
      code: status.FAILED_PRECONDITION,
      details:
        'play: player "p-1" already plays session "s-dup" on another ' +
        'stream of instance "session-t"; end that stream first',
    });
    await first.finish();
  });

  it('refuses a move out of the enum', async () => {
    const play = recordPlay(sessions);
    play.send({ sessionId: 's-move', move: Move.MOVE_UNSPECIFIED });

    const outcome = await withTimeout(play.ended, 5_000, 'the refusal');

    expect(outcome).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details:
        'play: move 0 of player "p-1" is not one of MOVE_STAY to MOVE_RIGHT',
    });
  });
});
