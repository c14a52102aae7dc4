import { status } from '@grpc/grpc-js';
import { SessionStore } from '../../../services/session/session-store';

describe('SessionStore', () => {
  it('starts a session it has not seen when asked about it', () => {
    const store = new SessionStore({ instanceId: 'session-1' });

    const session = store.open('made-elsewhere');

    expect(session.id).toBe('made-elsewhere');
    expect(store.open('made-elsewhere')).toBe(session);
    expect(store.size).toBe(1);
  });

  it('refuses an id not of the form of ids', () => {
    const store = new SessionStore({ instanceId: 'session-1' });

    expect(() => store.open('no spaces')).toThrow(
      expect.objectContaining({
        code: status.INVALID_ARGUMENT,
        message:
          'session: session id "no spaces" is not 1 to 64 letters, digits, "-" or "_"',
      }),
    );
  });

  it('forgets a session once its last player left', () => {
    const store = new SessionStore({ instanceId: 'session-1' });
    const session = store.create();
    session.join('a', { send: () => undefined });
    store.release(session);
    expect(store.size).toBe(1);

    session.leave('a');
    store.release(session);

    expect(store.size).toBe(0);
  });

  it('makes room by forgetting idle sessions, and refuses when there is none', () => {
    let now = 1_000;
    const store = new SessionStore({
      instanceId: 'session-1',
      maxSessions: 2,
      idleMs: 500,
      now: () => now,
    });
    store.open('old');
    store.open('busy').join('a', { send: () => undefined });

    expect(() => store.open('new')).toThrow(
      expect.objectContaining({
        code: status.RESOURCE_EXHAUSTED,
        message:
          'session: instance "session-1" holds 2 sessions, its limit; ' +
          'retry later or on another instance',
      }),
    );
    now += 500;
    expect(store.open('new').id).toBe('new');
    expect(store.size).toBe(2);
  });
});
