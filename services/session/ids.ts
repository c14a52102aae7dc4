import { status } from '@grpc/grpc-js';
import { createStatusError } from '../mesh';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Fails with INVALID_ARGUMENT unless `sessionId` is 1 to 64 letters,
 * digits, "-" or "_": the form of ids the store makes, and a bound on what
 * a caller can make the instance hold.
 */
export function checkSessionId(sessionId: string): void {
  checkId('session id', sessionId);
}

/** Fails with INVALID_ARGUMENT unless `playerId` has the form of ids. */
export function checkPlayerId(playerId: string): void {
  checkId('player id', playerId);
}

function checkId(what: string, id: string): void {
  if (ID.test(id)) return;
  throw createStatusError(
    status.INVALID_ARGUMENT,
    `session: ${what} "${id.slice(0, 80)}" is not 1 to 64 letters, digits, "-" or "_"`,
  );
}
