import { status } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { PlayerInput, SessionState } from '../../gen/demo/v1/session';
import { createStatusError, isStatusError } from '../mesh';
import type { Logger } from '../mesh';
import { isMove } from './game-session';
import type { GameSession } from './game-session';
import { checkPlayerId } from './ids';
import type { SessionStore } from './session-store';

type PlayCall = ServerDuplexStream<PlayerInput, SessionState>;

/**
 * Serves one Play call: its first input puts the player in the session
 * (started here if new to this instance), every input is applied in order,
 * and the player leaves the session when the stream ends, however it ends.
 * A bad input ends the stream with its status; the inputs before it stay
 * applied.
 */
export function servePlay(
  call: PlayCall,
  store: SessionStore,
  log: Logger,
): void {
  new PlayStream(call, store, log).start();
}

class PlayStream {
  private session: GameSession | undefined;
  private playerId = '';
  private over = false;

  constructor(
    private readonly call: PlayCall,
    private readonly store: SessionStore,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.call.on('data', (input: PlayerInput) => this.receive(input));
    this.call.on('end', () => this.finish());
    this.call.on('cancelled', () => this.leave());
    this.call.on('error', () => this.leave());
  }

  private receive(input: PlayerInput): void {
    if (this.over) return;
    try {
      checkInput(input);
      const session = this.session ?? this.enter(input);
      checkSameStream(input, session.id, this.playerId);
      session.apply(this.playerId, input.sequence, input.move);
    } catch (error: unknown) {
      this.fail(error);
    }
  }

  private enter(input: PlayerInput): GameSession {
    const session = this.store.open(input.sessionId);
    session.join(input.playerId, {
      send: (state, ownInput) => this.send(state, ownInput),
    });
    this.session = session;
    this.playerId = input.playerId;
    this.log.debug(
      { sessionId: session.id, playerId: this.playerId },
      'player entered session',
    );
    return session;
  }

  // A state for another player's input is skipped while this stream is
  // backed up: the next state replaces it anyway, and a slow player must not
  // make the instance buffer without bound.
  private send(state: SessionState, ownInput: boolean): void {
    if (this.over) return;
    if (!ownInput && this.call.writableNeedDrain) return;
    this.call.write(state);
  }

  private finish(): void {
    this.leave();
    this.call.end();
  }

  private fail(error: unknown): void {
    this.leave();
    const outgoing = isStatusError(error) ? error : unexpected(error, this.log);
    this.call.emit('error', outgoing);
  }

  private leave(): void {
    if (this.over) return;
    this.over = true;
    if (!this.session) return;
    this.session.leave(this.playerId);
    this.store.release(this.session);
  }
}

function checkInput(input: PlayerInput): void {
  checkPlayerId(input.playerId);
  if (!isMove(input.move)) {
    throw createStatusError(
      status.INVALID_ARGUMENT,
      `play: move ${input.move} of player "${input.playerId}" ` +
        'is not one of MOVE_STAY to MOVE_RIGHT',
    );
  }
}

function checkSameStream(
  input: PlayerInput,
  sessionId: string,
  playerId: string,
): void {
  if (input.sessionId !== sessionId || input.playerId !== playerId) {
    throw createStatusError(
      status.INVALID_ARGUMENT,
      `play: input ${input.sequence} names session "${input.sessionId}" ` +
        `and player "${input.playerId}", but the stream plays session ` +
        `"${sessionId}" as player "${playerId}"; ` +
        'open one stream per session and player',
    );
  }
}

function unexpected(error: unknown, log: Logger) {
  log.error({ err: error }, 'play input failed');
  return createStatusError(
    status.UNKNOWN,
    'play: the input failed unexpectedly; see the instance log',
  );
}
