/** The lower bound of the first bucket, in ms: 1 µs. */
const FLOOR_MS = 0.001;
/** The upper bound of the last bucket, in ms: about 35 minutes. */
const CEILING_MS = 2_100_000;

/**
 * Latencies counted in buckets whose width grows by `precision` (5% by
 * default), so that a run of hours keeps a fixed amount of memory.
 * Percentiles are read to within that precision. The benchmarks use the
 * same class at 1%.
 */
export class LatencyHistogram {
  private readonly counts: Float64Array;
  private readonly growth: number;
  private total = 0;

  constructor(precision = 0.05) {
    this.growth = 1 + precision;
    const buckets = Math.log(CEILING_MS / FLOOR_MS) / Math.log(this.growth);
    this.counts = new Float64Array(Math.ceil(buckets) + 1);
  }

  /** Latencies recorded. */
  get count(): number {
    return this.total;
  }

  /** Records one latency, in ms. */
  record(latencyMs: number): void {
    const ratio = Math.max(latencyMs, FLOOR_MS) / FLOOR_MS;
    const index = Math.floor(Math.log(ratio) / Math.log(this.growth));
    this.counts[Math.min(index, this.counts.length - 1)] += 1;
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
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return FLOOR_MS * this.growth ** (i + 1);
    }
    return FLOOR_MS * this.growth ** this.counts.length;
  }

  /** Forgets every latency recorded. */
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }
}
