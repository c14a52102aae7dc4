/**
 * How many calls' frames one turn of the event loop handles, at least,
 * before the batches received after them wait for the next turn.
 */
export const FRAMES_PER_TURN = 16;

/**
 * Batches carrying this many payload bytes or more are not counted
 * against a turn's share: writing their replies takes more than one turn
 * of the event loop whatever the pacing, and measured with 4 KiB calls,
 * pacing them only added turns (0.85–0.94× the calls per second
 * unpaced, with 64 calls in flight).
 */
export const UNPACED_BATCH_BYTES = 64 * 1024;

interface PacedWork {
  frames: number;
  run: () => void;
}

/**
 * Hands received call-stream batches to their handlers a few per turn of
 * the event loop, so that the replies to the first ones leave before the
 * next ones are handled.
 *
 * Why: Node's HTTP/2 sends what JavaScript wrote only once the running
 * turn is over. A process that handled in one turn every batch one read
 * brought would answer all of them at once, and its peer would get them
 * all at once: caller and instance would take turns with every call in
 * flight, each idle while the other works. Measured with 64 calls in
 * flight on two streams, 32 B: both processes ~50% idle without pacing,
 * and 1.4–1.5× the calls per second with it (see issue 4's notes). A turn
 * handles at least FRAMES_PER_TURN frames, so that many small batches
 * from many callers do not each cost a turn.
 *
 * Every event of a stream that must come after its batches (its end, its
 * status) goes through the same line, which keeps them in order.
 */
export class TurnPacer {
  private framesThisTurn = 0;
  private turnEndScheduled = false;
  private readonly queue: PacedWork[] = [];

  /**
   * Runs `run` now, or in a later turn once this one has handled its
   * share; `frames` is how many calls' frames it handles, `bytes` how many
   * payload bytes they carry.
   */
  run(frames: number, bytes: number, run: () => void): void {
    if (bytes >= UNPACED_BATCH_BYTES) frames = 0;
    if (this.queue.length > 0 || this.framesThisTurn >= FRAMES_PER_TURN) {
      this.queue.push({ frames, run });
      this.scheduleTurnEnd();
      return;
    }
    this.runNow({ frames, run });
  }

  private runNow(work: PacedWork): void {
    this.framesThisTurn += work.frames;
    this.scheduleTurnEnd();
    work.run();
  }

  private scheduleTurnEnd(): void {
    if (this.turnEndScheduled) return;
    this.turnEndScheduled = true;
    // The next turn starts after Node's HTTP/2 has sent what this one
    // wrote: Node runs its own immediates (the send) before JavaScript's.
    setImmediate(() => this.nextTurn());
  }

  private nextTurn(): void {
    this.turnEndScheduled = false;
    this.framesThisTurn = 0;
    while (this.queue.length > 0 && this.framesThisTurn < FRAMES_PER_TURN) {
      this.runNow(this.queue.shift() as PacedWork);
    }
    if (this.queue.length > 0) this.scheduleTurnEnd();
  }
}

const pacer = new TurnPacer();

/**
 * Runs `run` through the process's one pacer (see {@link TurnPacer}): the
 * event loop is the process's, so batches received as a caller and as an
 * instance share its turns.
 */
export function inItsTurn(
  frames: number,
  bytes: number,
  run: () => void,
): void {
  pacer.run(frames, bytes, run);
}
