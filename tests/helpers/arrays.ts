/** Comparing numeric arrays in tests. */
import { expect } from 'vitest';

/** The largest |a[i] − b[i]|; a length mismatch fails the test rather than comparing a prefix. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
