import { status } from '@grpc/grpc-js';
import { PlayerStore } from '../../../services/user/player-store';

describe('PlayerStore', () => {
  it('makes a new player at every login, with its own token', () => {
    const store = new PlayerStore();

    const first = store.login('ada');
    const second = store.login('ada');

    expect(first.playerId).not.toBe(second.playerId);
    expect(first.token).toMatch(/^[0-9a-f]{32}$/);
    expect(() => store.authenticate(first.playerId, first.token)).not.toThrow();
  });

  it("refuses a token that is not the player's", () => {
    const store = new PlayerStore();
    const ada = store.login('ada');
    const bob = store.login('bob');

    expect(() => store.authenticate(ada.playerId, bob.token)).toThrow(
      expect.objectContaining({
        code: status.PERMISSION_DENIED,
        message: `join: the token given is not the one of player "${ada.playerId}"; log in again`,
      }),
    );
    expect(() => store.authenticate(ada.playerId, 'not hex')).toThrow(
      expect.objectContaining({ code: status.PERMISSION_DENIED }),
    );
  });

  it('remembers the session a player joined last', () => {
    const store = new PlayerStore();
    const { playerId } = store.login('ada');
    expect(store.joinedSession(playerId)).toBe('');

    store.setJoinedSession(playerId, 's-1');
    store.setJoinedSession(playerId, 's-2');

    expect(store.joinedSession(playerId)).toBe('s-2');
  });

  it('answers NOT_FOUND for a player who never logged in', () => {
    const store = new PlayerStore();

    expect(() => store.joinedSession('p-9')).toThrow(
      expect.objectContaining({
        code: status.NOT_FOUND,
        message: 'user: no player "p-9" is logged in here; log in first',
      }),
    );
  });

  it('refuses a name too long and a login past the limit', () => {
    const store = new PlayerStore(1);

    expect(() => store.login('x'.repeat(33))).toThrow(
      expect.objectContaining({
        code: status.INVALID_ARGUMENT,
        message: `login: player name "${'x'.repeat(33)}" has 33 characters; give 1 to 32`,
      }),
    );
    store.login('ada');
    expect(() => store.login('bob')).toThrow(
      expect.objectContaining({
        code: status.RESOURCE_EXHAUSTED,
        message: 'login: 1 players are logged in, the limit; retry later',
      }),
    );
  });
});
