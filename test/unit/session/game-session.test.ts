import { status } from '@grpc/grpc-js';
import { Move } from '../../../gen/demo/v1/session';
import type { SessionState } from '../../../gen/demo/v1/session';
import {
  BOARD_SIZE,
  GameSession,
  step,
} from '../../../services/session/game-session';

/** A sink that keeps what it receives. */
function recordingSink() {
  const received: Array<{ state: SessionState; ownInput: boolean }> = [];
  return {
    received,
    send: (state: SessionState, ownInput: boolean) =>
      received.push({ state, ownInput }),
  };
}

/** Numbers in [0, 1) from a fixed list, in turn. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

describe('GameSession', () => {
  it('sends the state after an input to every player, marking the mover', () => {
    const session = new GameSession('s-1', 'session-1', 4, sequence(0.5));
    const a = recordingSink();
    const b = recordingSink();
    session.join('a', a);
    session.join('b', b);

    session.apply('a', 1, Move.MOVE_UP);

    expect(a.received.map((r) => r.ownInput)).toEqual([true]);
    expect(b.received.map((r) => r.ownInput)).toEqual([false]);
    const { state } = a.received[0];
    expect(state).toMatchObject({
      sessionId: 's-1',
      tick: 1,
      instanceId: 'session-1',
    });
    expect(state.players.find((p) => p.playerId === 'a')).toMatchObject({
      lastSequence: 1,
      position: { x: 8, y: 7 },
    });
  });

  it('scores a player who steps on the coin and moves the coin', () => {
    // The coin is placed first, at (5, 5); the player starts at (4, 5).
    const random = sequence(5 / 16, 5 / 16, 4 / 16, 5 / 16, 0, 0);
    const session = new GameSession('s-1', 'session-1', 4, random);
    const sink = recordingSink();
    session.join('a', sink);

    session.apply('a', 1, Move.MOVE_RIGHT);

    const state = sink.received[0].state;
    expect(state.players[0]).toMatchObject({ score: 1 });
    expect(state.coin).toEqual({ x: 0, y: 0 });
  });

  it('refuses a sequence that does not grow, applying nothing', () => {
    const session = new GameSession('s-1', 'session-1', 4);
    const sink = recordingSink();
    session.join('a', sink);
    session.apply('a', 5, Move.MOVE_STAY);

    expect(() => session.apply('a', 5, Move.MOVE_UP)).toThrow(
      expect.objectContaining({
        code: status.INVALID_ARGUMENT,
        message:
          'play: sequence 5 of player "a" is not above the last one ' +
          'applied, 5; sequences must grow',
      }),
    );
    expect(session.snapshot().tick).toBe(1);
  });

  it('refuses a player who already plays the session', () => {
    const session = new GameSession('s-1', 'session-1', 4);
    session.join('a', recordingSink());

    expect(() => session.join('a', recordingSink())).toThrow(
      expect.objectContaining({
        code: status.FAILED_PRECONDITION,
        message:
          'play: player "a" already plays session "s-1" on another ' +
          'stream of instance "session-1"; end that stream first',
      }),
    );
  });

  it('refuses a player past the most it takes', () => {
    const session = new GameSession('s-1', 'session-1', 1);
    session.join('a', recordingSink());

    expect(() => session.join('b', recordingSink())).toThrow(
      expect.objectContaining({
        code: status.RESOURCE_EXHAUSTED,
        message:
          'join: session "s-1" has 1 players, ' +
          'the most it takes on instance "session-1"; ' +
          'create another session',
      }),
    );
  });

  it('knows since when it has had no player', () => {
    const session = new GameSession('s-1', 'i', 4, Math.random, 100);
    session.join('a', recordingSink());
    expect(session.emptySince()).toBeUndefined();

    session.leave('a', 250);

    expect(session.emptySince()).toBe(250);
  });
});

describe('step', () => {
  it('stops at the edges of the board', () => {
    const last = BOARD_SIZE - 1;
    expect(step({ x: 0, y: 0 }, Move.MOVE_UP)).toEqual({ x: 0, y: 0 });
    expect(step({ x: 0, y: 0 }, Move.MOVE_LEFT)).toEqual({ x: 0, y: 0 });
    expect(step({ x: last, y: last }, Move.MOVE_DOWN)).toEqual({
      x: last,
      y: last,
    });
    expect(step({ x: last, y: 3 }, Move.MOVE_RIGHT)).toEqual({ x: last, y: 3 });
  });
});
