import {
  DEADLINE_TICK_MS,
  DeadlineWheel,
} from '../../../services/mesh/deadline-wheel';
import { sleep, waitFor } from '../../helpers/wait';

describe('DeadlineWheel', () => {
  it('runs a callback once its deadline has passed, not before', async () => {
    const wheel = new DeadlineWheel();
    const started = Date.now();
    let firedAt = 0;
    wheel.add(started + 50, () => (firedAt = Date.now()));
    await waitFor(() => firedAt > 0, { timeoutMs: 1_000 });
    expect(firedAt - started).toBeGreaterThanOrEqual(50);
    expect(firedAt - started).toBeLessThan(50 + 10 * DEADLINE_TICK_MS + 100);
  });

  it('never runs a cancelled callback', async () => {
    const wheel = new DeadlineWheel();
    const fn = jest.fn();
    const cancel = wheel.add(Date.now() + 20, fn);
    cancel();
    await sleep(80);
    expect(fn).not.toHaveBeenCalled();
  });

  it('runs a deadline already past at the next tick', async () => {
    const wheel = new DeadlineWheel();
    const fn = jest.fn();
    wheel.add(Date.now() - 1_000, fn);
    await waitFor(() => fn.mock.calls.length === 1, { timeoutMs: 500 });
  });

  it('ignores an infinite deadline', async () => {
    const wheel = new DeadlineWheel();
    const fn = jest.fn();
    wheel.add(Infinity, fn)();
    await sleep(30);
    expect(fn).not.toHaveBeenCalled();
  });

  it('runs many deadlines of one slot each once', async () => {
    const wheel = new DeadlineWheel();
    const fired: number[] = [];
    const at = Date.now() + 30;
    for (let i = 0; i < 100; i++) wheel.add(at, () => fired.push(i));
    await waitFor(() => fired.length === 100, { timeoutMs: 1_000 });
    await sleep(30);
    expect(fired).toHaveLength(100);
  });
});
