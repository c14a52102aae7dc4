import { createBackoff, sleep } from '../../../services/mesh/backoff';

describe('createBackoff', () => {
  it('grows delays by the multiplier up to the cap', () => {
    const backoff = createBackoff({ initialMs: 100, maxMs: 500, jitter: 0 });
    const delays = [...Array(6)].map(() => backoff.next());
    expect(delays).toEqual([100, 200, 400, 500, 500, 500]);
  });

  it('shortens each delay by at most the jitter share', () => {
    const backoff = createBackoff({
      initialMs: 1_000,
      maxMs: 1_000,
      jitter: 0.5,
    });
    for (let i = 0; i < 100; i++) {
      const delay = backoff.next();
      expect(delay).toBeGreaterThanOrEqual(500);
      expect(delay).toBeLessThanOrEqual(1_000);
    }
  });

  it('starts over after a reset', () => {
    const backoff = createBackoff({ initialMs: 10, jitter: 0 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(10);
  });
});

describe('sleep', () => {
  it('ends early when its signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const slept = sleep(5_000, controller.signal);
    controller.abort();
    await slept;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
