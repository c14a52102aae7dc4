import { status } from '@grpc/grpc-js';
import { Move } from '../../gen/demo/v1/session';
import type {
  PlayerState,
  Position,
  SessionState,
} from '../../gen/demo/v1/session';
import { createStatusError } from '../mesh';

/** Width and height of every board, in squares. */
export const BOARD_SIZE = 16;

/** Where a player's states go: the player's Play stream. */
export interface StateSink {
  /**
   * Delivers `state`. `ownInput` is true when the state follows an input
   * of this very player, and so acknowledges it: such a state must not be
   * dropped. Any other state may be, since each one is a full snapshot.
   */
  send(state: SessionState, ownInput: boolean): void;
}

interface Player {
  position: Position;
  score: number;
  lastSequence: number;
  sink: StateSink;
}

/**
 * One game on one instance: the players playing it here, their positions
 * and scores, and a coin to pick up. Every input applied advances the tick
 * by one and sends the new state to every player of the session here.
 * Players are in the game from `join` to `leave`, that is, while their Play
 * stream is open.
 */
export class GameSession {
  private readonly players = new Map<string, Player>();
  private coin: Position;
  private tick = 0;
  private emptySinceMs: number;

  /**
   * @param random a source of numbers in [0, 1), for start squares and
   * coins; tests pass a predictable one.
   */
  constructor(
    readonly id: string,
    private readonly instanceId: string,
    private readonly maxPlayers: number,
    private readonly random: () => number = Math.random,
    nowMs: number = Date.now(),
  ) {
    this.coin = this.randomSquare();
    this.emptySinceMs = nowMs;
  }

  /** Players playing the session here now. */
  get playerCount(): number {
    return this.players.size;
  }

  /** Since when the session has had no player, in ms since the epoch. */
  emptySince(): number | undefined {
    return this.players.size === 0 ? this.emptySinceMs : undefined;
  }

  /**
   * Fails with RESOURCE_EXHAUSTED when one more player would not fit; the
   * check of JoinSession, which admits without adding.
   */
  checkRoom(): void {
    if (this.players.size >= this.maxPlayers) {
      throw createStatusError(
        status.RESOURCE_EXHAUSTED,
        `join: session "${this.id}" has ${this.players.size} players, ` +
          `the most it takes on instance "${this.instanceId}"; ` +
          'create another session',
      );
    }
  }

  /**
   * Adds a player whose states go to `sink`. Fails with FAILED_PRECONDITION
   * if the player already plays the session here on another stream, and
   * with RESOURCE_EXHAUSTED when the session is full.
   */
  join(playerId: string, sink: StateSink): void {
    if (this.players.has(playerId)) {
      throw createStatusError(
        status.FAILED_PRECONDITION,
        `play: player "${playerId}" already plays session "${this.id}" ` +
          `on another stream of instance "${this.instanceId}"; ` +
          'end that stream first',
      );
    }
    this.checkRoom();
    this.players.set(playerId, {
      position: this.randomSquare(),
      score: 0,
      lastSequence: 0,
      sink,
    });
  }

  /** Removes a player; nothing happens if it is not in the game. */
  leave(playerId: string, nowMs: number = Date.now()): void {
    if (!this.players.delete(playerId)) return;
    if (this.players.size === 0) this.emptySinceMs = nowMs;
  }

  /**
   * Applies one input of a player in the game and sends the new state to
   * every player. Fails with INVALID_ARGUMENT, applying nothing, when the
   * sequence does not grow.
   */
  apply(playerId: string, sequence: number, move: Move): void {
    const player = this.players.get(playerId);
    if (!player) {
      throw new Error(`game: player "${playerId}" is not in "${this.id}"`);
    }
    if (sequence <= player.lastSequence) {
      throw createStatusError(
        status.INVALID_ARGUMENT,
        `play: sequence ${sequence} of player "${playerId}" is not above ` +
          `the last one applied, ${player.lastSequence}; sequences must grow`,
      );
    }
    player.lastSequence = sequence;
    player.position = step(player.position, move);
    if (samePosition(player.position, this.coin)) {
      player.score += 1;
      this.coin = this.randomSquare();
    }
    this.tick += 1;
    this.broadcast(playerId);
  }

  /** The state of the session now, as players receive it. */
  snapshot(): SessionState {
    const players: PlayerState[] = [];
    for (const [playerId, player] of this.players) {
      players.push({
        playerId,
        position: { ...player.position },
        score: player.score,
        lastSequence: player.lastSequence,
      });
    }
    return {
      sessionId: this.id,
      tick: this.tick,
      players,
      coin: { ...this.coin },
      instanceId: this.instanceId,
    };
  }

  private broadcast(mover: string): void {
    const state = this.snapshot();
    for (const [playerId, player] of this.players) {
      player.sink.send(state, playerId === mover);
    }
  }

  private randomSquare(): Position {
    return {
      x: Math.floor(this.random() * BOARD_SIZE),
      y: Math.floor(this.random() * BOARD_SIZE),
    };
  }
}

/** Tells whether `move` is one a player may send. */
export function isMove(move: number): move is Move {
  return move >= Move.MOVE_STAY && move <= Move.MOVE_RIGHT;
}

/** The square one move away; the board's edges stop a player. */
export function step(from: Position, move: Move): Position {
  const last = BOARD_SIZE - 1;
  switch (move) {
    case Move.MOVE_UP:
      return { x: from.x, y: Math.max(0, from.y - 1) };
    case Move.MOVE_DOWN:
      return { x: from.x, y: Math.min(last, from.y + 1) };
    case Move.MOVE_LEFT:
      return { x: Math.max(0, from.x - 1), y: from.y };
    case Move.MOVE_RIGHT:
      return { x: Math.min(last, from.x + 1), y: from.y };
    default:
      return { ...from };
  }
}

function samePosition(a: Position, b: Position): boolean {
  return a.x === b.x && a.y === b.y;
}
