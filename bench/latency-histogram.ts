/**
 * Latencies kept in buckets that grow geometrically, so that memory is
 * fixed whatever the number of calls, and every percentile read back is
 * within {@link LATENCY_PRECISION} of the true value.
 */

/** Relative width of a bucket: percentiles are read within 1%. */
export const LATENCY_PRECISION = 0.01;

const MIN_US = 1;
const MAX_US = 120_000_000;
const LOG_GROWTH = Math.log1p(LATENCY_PRECISION);
const BUCKETS = Math.ceil(Math.log(MAX_US / MIN_US) / LOG_GROWTH) + 1;

/**
 * A latency histogram from 1 µs to 120 s. Values outside that range are
 * counted in the first or last bucket rather than dropped.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;

  /** Number of latencies recorded. */
  get count(): number {
    return this.total;
  }

  /** Records one latency, in ms. */
  record(latencyMs: number): void {
    const us = latencyMs * 1000;
    const index =
      us <= MIN_US ? 0 : Math.ceil(Math.log(us / MIN_US) / LOG_GROWTH);
    this.counts[Math.min(index, BUCKETS - 1)] += 1;
    this.total += 1;
  }

  /**
   * The latency, in ms, that `quantile` (0 < quantile ≤ 1) of the recorded
   * calls did not exceed: the upper bound of its bucket. NaN when empty.
   */
  percentile(quantile: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(quantile * this.total));
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.counts[index];
      if (seen >= rank) return (MIN_US * Math.exp(index * LOG_GROWTH)) / 1000;
    }
    return MAX_US / 1000;
  }

  /** Forgets every recorded latency. */
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }
}
