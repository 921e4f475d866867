/**
 * An idle worker's wake-up (lib/queue/wakeup.ts): a notification that arrives
 * while the worker is inside a claim that finds nothing must not be lost, or
 * the work it announced waits a whole poll interval.
 */
import { describe, expect, it } from 'vitest';
import { Wakeup } from '../../lib/queue/wakeup';

const within = async (p: Promise<void>, ms: number) => {
  const t0 = performance.now();
  await p;
  return performance.now() - t0 < ms;
};

describe('worker wake-up', () => {
  it('returns at once after a signal given before the wait (a notification mid-claim)', async () => {
    const w = new Wakeup();
    w.clear();
    w.signal();
    expect(await within(w.wait(60_000), 50)).toBe(true);
  });

  it('wakes a wait in progress, and waits the poll interval without a signal', async () => {
    const w = new Wakeup();
    const waiting = w.wait(60_000);
    setTimeout(() => w.signal(), 20);
    expect(await within(waiting, 1000)).toBe(true);
    w.clear();
    const t0 = performance.now();
    await w.wait(150);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('forgets a signal once the next claim starts (clear): that claim sees the work', async () => {
    const w = new Wakeup();
    w.signal();
    w.clear();
    const t0 = performance.now();
    await w.wait(100);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
  });
});
