/** The resolution of a deadline wheel, in ms. */
export const DEADLINE_TICK_MS = 5;

/**
 * Runs callbacks when their deadlines pass, to within DEADLINE_TICK_MS,
 * with one interval timer for all of them instead of a timer per call: a
 * call that ends in time costs a Set insertion and deletion. The timer
 * runs only while some deadline is pending, and never holds the process.
 */
export class DeadlineWheel {
  private readonly slots = new Map<number, Set<() => void>>();
  private pending = 0;
  private lastSlot = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * Runs `fn` once `deadlineMs` (ms since the epoch) has passed; returns
   * the function that cancels it. An infinite deadline never fires.
   */
  add(deadlineMs: number, fn: () => void): () => void {
    if (!Number.isFinite(deadlineMs)) return noop;
    // Ticking first: a deadline already past lands in the next slot.
    this.startTicking();
    const slot = Math.max(
      Math.ceil(deadlineMs / DEADLINE_TICK_MS),
      this.lastSlot + 1,
    );
    let entries = this.slots.get(slot);
    if (!entries) {
      entries = new Set();
      this.slots.set(slot, entries);
    }
    entries.add(fn);
    this.pending += 1;
    const owner = entries;
    return () => {
      if (owner.delete(fn)) this.pending -= 1;
    };
  }

  private startTicking(): void {
    if (this.timer) return;
    this.lastSlot = Math.floor(Date.now() / DEADLINE_TICK_MS);
    this.timer = setInterval(() => this.tick(), DEADLINE_TICK_MS);
    this.timer.unref();
  }

  private tick(): void {
    const now = Math.floor(Date.now() / DEADLINE_TICK_MS);
    for (let slot = this.lastSlot + 1; slot <= now; slot++) {
      const entries = this.slots.get(slot);
      if (!entries) continue;
      this.slots.delete(slot);
      this.pending -= entries.size;
      for (const fn of entries) fn();
    }
    this.lastSlot = now;
    if (this.pending === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.slots.clear();
    }
  }
}

function noop(): void {}

/** The wheel shared by every call of the process. */
export const deadlines = new DeadlineWheel();
