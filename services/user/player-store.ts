import { randomBytes, timingSafeEqual } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { createStatusError } from '../mesh';

/** A player as Login made it. */
export interface NewPlayer {
  playerId: string;
  token: string;
}

interface Player {
  name: string;
  token: Buffer;
  sessionId: string;
}

/**
 * The players of one User instance, with their tokens and the session each
 * joined last. Players live as long as the instance: they are not shared
 * between User instances nor kept when one stops, which is why the demo runs
 * a single User instance.
 */
export class PlayerStore {
  private readonly players = new Map<string, Player>();
  private nextNumber = 1;

  /** @param maxPlayers players held at once; Login fails past it. */
  constructor(private readonly maxPlayers = 10_000) {}

  /**
   * Makes a new player. Fails with INVALID_ARGUMENT for a name not 1 to 32
   * characters, and with RESOURCE_EXHAUSTED when the store is full.
   */
  login(name: string): NewPlayer {
    if (name.length < 1 || name.length > 32) {
      throw createStatusError(
        status.INVALID_ARGUMENT,
        `login: player name "${name.slice(0, 40)}" has ${name.length} characters; give 1 to 32`,
      );
    }
    if (this.players.size >= this.maxPlayers) {
      throw createStatusError(
        status.RESOURCE_EXHAUSTED,
        `login: ${this.players.size} players are logged in, the limit; retry later`,
      );
    }
    const playerId = `p-${this.nextNumber++}`;
    const token = randomBytes(16);
    this.players.set(playerId, { name, token, sessionId: '' });
    return { playerId, token: token.toString('hex') };
  }

  /**
   * Fails with NOT_FOUND for an unknown player and with PERMISSION_DENIED
   * when `token` is not the player's.
   */
  authenticate(playerId: string, token: string): void {
    const player = this.find(playerId);
    const given = Buffer.from(token, 'hex');
    const matches =
      given.length === player.token.length &&
      timingSafeEqual(given, player.token);
    if (!matches) {
      throw createStatusError(
        status.PERMISSION_DENIED,
        `join: the token given is not the one of player "${playerId}"; log in again`,
      );
    }
  }

  /** Records the session `playerId` joined; NOT_FOUND for an unknown one. */
  setJoinedSession(playerId: string, sessionId: string): void {
    this.find(playerId).sessionId = sessionId;
  }

  /** The session `playerId` joined last, or ''; NOT_FOUND if unknown. */
  joinedSession(playerId: string): string {
    return this.find(playerId).sessionId;
  }

  private find(playerId: string): Player {
    const player = this.players.get(playerId);
    if (!player) {
      throw createStatusError(
        status.NOT_FOUND,
        `user: no player "${playerId.slice(0, 80)}" is logged in here; log in first`,
      );
    }
    return player;
  }
}
