import { LatencyHistogram } from '../../../services/demo/latency-histogram';

describe('LatencyHistogram', () => {
  it('reads percentiles to within 5%', () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 100; ms++) histogram.record(ms);

    expect(histogram.count).toBe(100);
    expect(histogram.percentile(0.5)).toBeGreaterThanOrEqual(50);
    expect(histogram.percentile(0.5)).toBeLessThanOrEqual(50 * 1.05);
    expect(histogram.percentile(0.99)).toBeGreaterThanOrEqual(99);
    expect(histogram.percentile(0.99)).toBeLessThanOrEqual(99 * 1.05);
  });

  it('answers NaN when empty, and after a reset', () => {
    const histogram = new LatencyHistogram();
    expect(histogram.percentile(0.5)).toBeNaN();

    histogram.record(3);
    histogram.reset();

    expect(histogram.count).toBe(0);
    expect(histogram.percentile(0.99)).toBeNaN();
  });

  it('keeps latencies out of its range in its first and last buckets', () => {
    const histogram = new LatencyHistogram();
    histogram.record(0);
    histogram.record(1e12);

    expect(histogram.percentile(0.5)).toBeLessThan(0.01);
    expect(histogram.percentile(1)).toBeGreaterThan(60_000);
  });
});
