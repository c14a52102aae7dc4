import { status } from '@grpc/grpc-js';
import type { ClientDuplexStream, StatusObject } from '@grpc/grpc-js';
import { Move } from '../../gen/demo/v1/session';
import type {
  PlayerInput,
  SessionClient,
  SessionState,
} from '../../gen/demo/v1/session';
import type { Tally } from './tally';

/** Options of {@link startPlayRun}. */
export interface PlayOptions {
  /** Pause between two inputs, in ms. */
  inputIntervalMs: number;
  /** Deadline of the Play stream, ms since the epoch; Infinity for none. */
  deadlineMs: number;
  /** Where inputs, acknowledgements and failures are counted. */
  tally: Tally;
}

/** Who plays, and what: a player that logged in and joined a session. */
export interface PlayerSeat {
  name: string;
  playerId: string;
  sessionId: string;
}

/** One player's Play stream, sending an input every interval. */
export interface PlayRun {
  /**
   * Stops sending, half-closes the stream and waits for its status, at most
   * `timeoutMs`. Counts a failure when the stream did not end with OK, ended
   * late, or left inputs unacknowledged; never rejects.
   */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Opens the Play stream of `seat` and starts sending inputs, the first one
 * after a random part of the interval so that the players' inputs spread.
 * Every state received acknowledges the player's inputs up to its
 * `last_sequence`; the time from sending an input to that state is its
 * round trip.
 */
export function startPlayRun(
  seat: PlayerSeat,
  sessions: SessionClient,
  options: PlayOptions,
): PlayRun {
  return new PlayStreamRun(seat, sessions, options);
}

class PlayStreamRun implements PlayRun {
  private readonly call: ClientDuplexStream<PlayerInput, SessionState>;
  private readonly ended: Promise<StatusObject>;
  // Sequence of each input in flight, in the order sent, to its send time.
  private readonly inFlight = new Map<number, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private sequence = 0;
  private last: SessionState | undefined;
  private done = false;
  private abandoned = false;

  constructor(
    private readonly seat: PlayerSeat,
    sessions: SessionClient,
    private readonly options: PlayOptions,
  ) {
    this.call = sessions.play({ deadline: options.deadlineMs });
    this.call.on('data', (state: SessionState) => this.receive(state));
    // The status event carries the outcome; an 'error' event without a
    // listener would be thrown.
    this.call.on('error', () => undefined);
    this.ended = new Promise((resolve) => this.call.on('status', resolve));
    void this.ended.then((outcome) => this.onEnd(outcome));
    const delayMs = Math.random() * options.inputIntervalMs;
    this.timers.push(
      setTimeout(() => {
        this.send();
        this.timers.push(
          setInterval(() => this.send(), options.inputIntervalMs),
        );
      }, delayMs),
    );
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopSending();
    if (!this.done) this.call.end();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const outcome = await Promise.race([this.ended, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.abandoned = true;
      this.call.cancel();
      this.fail(
        `its stream did not end within ${timeoutMs} ms of the last input`,
      );
    } else if (outcome.code === status.OK && this.inFlight.size > 0) {
      this.fail(`${this.inFlight.size} inputs were never acknowledged`);
    }
  }

  private send(): void {
    // A stream whose buffer is full skips a turn rather than queue inputs.
    if (this.done || this.call.writableNeedDrain) return;
    this.sequence += 1;
    const { sessionId } = this.seat;
    this.call.write({
      sessionId,
      playerId: this.seat.playerId,
      sequence: this.sequence,
      move: chooseMove(this.last, this.seat.playerId),
    });
    this.inFlight.set(this.sequence, performance.now());
    this.options.tally.inputSent(sessionId);
  }

  private receive(state: SessionState): void {
    const { tally } = this.options;
    const { sessionId, playerId } = this.seat;
    if (!this.last) tally.streamServed(sessionId, state.instanceId);
    this.last = state;
    const me = state.players.find((p) => p.playerId === playerId);
    if (!me) return;
    const now = performance.now();
    for (const [sequence, sentAt] of this.inFlight) {
      if (sequence > me.lastSequence) break;
      this.inFlight.delete(sequence);
      tally.inputAcked(sessionId, now - sentAt);
    }
    tally.scored(sessionId, me.score);
  }

  private onEnd(outcome: StatusObject): void {
    this.done = true;
    this.stopSending();
    if (outcome.code !== status.OK && !this.abandoned) {
      this.fail(
        `its stream ended with ${status[outcome.code]}: ${outcome.details}`,
      );
    }
  }

  private stopSending(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  private fail(why: string): void {
    const { name, sessionId } = this.seat;
    this.options.tally.fail(`play: ${name} in session ${sessionId}: ${why}`);
  }
}

const MOVES = [Move.MOVE_UP, Move.MOVE_DOWN, Move.MOVE_LEFT, Move.MOVE_RIGHT];

/**
 * Heads for the coin, one square at a time, with a random step now and
 * then so that players who chase the same coin drift apart.
 */
function chooseMove(state: SessionState | undefined, playerId: string): Move {
  const me = state?.players.find((p) => p.playerId === playerId)?.position;
  const coin = state?.coin;
  if (!me || !coin || Math.random() < 0.2) {
    return MOVES[Math.floor(Math.random() * MOVES.length)];
  }
  if (coin.x !== me.x) return coin.x > me.x ? Move.MOVE_RIGHT : Move.MOVE_LEFT;
  if (coin.y !== me.y) return coin.y > me.y ? Move.MOVE_DOWN : Move.MOVE_UP;
  return Move.MOVE_STAY;
}
