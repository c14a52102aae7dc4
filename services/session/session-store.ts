import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { createStatusError } from '../mesh';
import { GameSession } from './game-session';
import { checkSessionId } from './ids';

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  /** The instance whose sessions these are; named in states and errors. */
  instanceId: string;
  /** Sessions held at once. Default 1,000. */
  maxSessions?: number;
  /** Players of one session on this instance. Default 16. */
  maxPlayersPerSession?: number;
  /**
   * How long a session without players is kept before a full store may
   * forget it, in ms. Default 60,000.
   */
  idleMs?: number;
  /** Clock, ms since the epoch; tests pass their own. */
  now?: () => number;
}

/**
 * The sessions one Session instance holds. It holds every session it is
 * asked about: a session id it has not seen yet, in JoinSession or Play, is
 * a new empty session here.
 *
 * Why: sessions should live on one owner, but the mesh balances calls round
 * robin and has no route keys yet, so the players of one session may reach
 * different Session instances. Rather than refuse them, each instance keeps
 * its own copy of the session with the players that reached it, and every
 * state names the instance, so that a split session shows as one. A later
 * issue makes `session_id` the route key of the Session service: every input
 * of a session then reaches the same instance, and the session has one copy.
 * Sessions are not shared between instances, nor kept when one stops.
 */
export class SessionStore {
  private readonly sessions = new Map<string, GameSession>();
  private readonly maxSessions: number;
  private readonly maxPlayers: number;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SessionStoreOptions) {
    this.maxSessions = options.maxSessions ?? 1_000;
    this.maxPlayers = options.maxPlayersPerSession ?? 16;
    this.idleMs = options.idleMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Sessions held now. */
  get size(): number {
    return this.sessions.size;
  }

  /** Starts a session under a new id; RESOURCE_EXHAUSTED when full. */
  create(): GameSession {
    let id = newSessionId();
    while (this.sessions.has(id)) id = newSessionId();
    return this.add(id);
  }

  /**
   * The session `sessionId`, started here if this instance has not seen it.
   * Fails with INVALID_ARGUMENT for an id not of the form of ids, and with
   * RESOURCE_EXHAUSTED when a new session would not fit.
   */
  open(sessionId: string): GameSession {
    checkSessionId(sessionId);
    return this.sessions.get(sessionId) ?? this.add(sessionId);
  }

  /** Forgets `session` if no player plays it any more: its game is over. */
  release(session: GameSession): void {
    if (session.playerCount > 0) return;
    if (this.sessions.get(session.id) === session) {
      this.sessions.delete(session.id);
    }
  }

  private add(id: string): GameSession {
    if (this.sessions.size >= this.maxSessions) this.forgetIdle();
    if (this.sessions.size >= this.maxSessions) {
      throw createStatusError(
        status.RESOURCE_EXHAUSTED,
        `session: instance "${this.options.instanceId}" holds ` +
          `${this.sessions.size} sessions, its limit; ` +
          'retry later or on another instance',
      );
    }
    const session = new GameSession(
      id,
      this.options.instanceId,
      this.maxPlayers,
      Math.random,
      this.now(),
    );
    this.sessions.set(id, session);
    return session;
  }

  // Sessions created or joined but never played would otherwise fill the
  // store for good; they are only forgotten when room is needed.
  private forgetIdle(): void {
    const cutoff = this.now() - this.idleMs;
    for (const [id, session] of this.sessions) {
      const since = session.emptySince();
      if (since !== undefined && since <= cutoff) this.sessions.delete(id);
    }
  }
}

function newSessionId(): string {
  return `s-${randomBytes(3).toString('hex')}`;
}
