/** Each bucket is this much wider than the one before: 5% resolution. */
const GROWTH = 1.05;
/** The lower bound of the first bucket, in ms. */
const FLOOR_MS = 0.001;
/** Enough buckets to reach well past any deadline: 1 µs to about 35 min. */
const BUCKETS = 440;

/**
 * Latencies counted in buckets whose width grows by 5%, so that a demo that
 * runs for hours keeps a fixed amount of memory. Percentiles are read to
 * within 5%.
 */
export class LatencyHistogram {
  private readonly counts = new Array<number>(BUCKETS).fill(0);
  private total = 0;

  /** Latencies recorded. */
  get count(): number {
    return this.total;
  }

  /** Records one latency, in ms. */
  record(latencyMs: number): void {
    const ratio = Math.max(latencyMs, FLOOR_MS) / FLOOR_MS;
    const index = Math.floor(Math.log(ratio) / Math.log(GROWTH));
    this.counts[Math.min(index, BUCKETS - 1)] += 1;
    this.total += 1;
  }

  /**
   * The latency under which a share `q` (0 to 1) of the recorded ones lie,
   * in ms: the upper bound of the bucket it falls in. NaN when empty.
   */
  percentile(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return FLOOR_MS * GROWTH ** (i + 1);
    }
    return FLOOR_MS * GROWTH ** BUCKETS;
  }

  /** Forgets every latency recorded. */
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }
}
