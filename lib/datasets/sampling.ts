/**
 * Seeded sampling without replacement, shared by every source so that the
 * same (source, seed, n) always yields the same images.
 */
import { Rng } from '../pcace/random';

export function checkSampleOptions(opts: { n: number; seed: number }): void {
  if (!Number.isInteger(opts.n) || opts.n < 1) throw new Error(`n must be a positive integer, got ${opts.n}`);
  if (!Number.isSafeInteger(opts.seed)) throw new Error(`seed must be an integer, got ${opts.seed}`);
}

/**
 * Split n over the classes of a mix in proportion to its weights: floors
 * first, then the remaining units to the largest remainders (ties go to the
 * class that sorts first) so the counts always sum to n.
 */
export function allocateMix(mix: Record<string, number>, n: number): Map<string, number> {
  const names = Object.keys(mix).sort();
  if (names.length === 0) throw new Error('mix: no classes given');
  for (const name of names) {
    const w = mix[name];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new Error(`mix: weight of class '${name}' must be a finite number ≥ 0, got ${w}`);
    }
  }
  const total = names.reduce((s, k) => s + mix[k], 0);
  if (!(total > 0)) throw new Error('mix: weights sum to 0');
  const exact = names.map((k) => (n * mix[k]) / total);
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = names.map((_, i) => i).sort((a, b) => exact[b] - counts[b] - (exact[a] - counts[a]) || a - b);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) counts[order[j]]++;
  return new Map(names.map((k, i) => [k, counts[i]]));
}

/**
 * Seed for one class's draw: mixing the class name in means adding a class to
 * a mix does not change which images the other classes get.
 */
export function classSeed(seed: number, className: string): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < className.length; i++) {
    h ^= className.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h ^ (seed >>> 0) ^ Math.floor(seed / 2 ** 32)) >>> 0;
}

/**
 * Draw up to `quota` members of `pool` (catalogue indices) in seeded random
 * order, keeping only those `check` accepts (it returns a reason to reject).
 * Candidates are checked in rounds of at most `concurrency` so decoding runs
 * in parallel while the outcome stays independent of timing. Returns the
 * accepted indices in catalogue order, so "use all" keeps the natural order.
 */
export async function drawChecked(
  pool: readonly number[],
  quota: number,
  seed: number,
  check: (index: number) => Promise<string | null>,
  concurrency = 8,
): Promise<{ accepted: number[]; rejected: { index: number; reason: string }[] }> {
  const rng = new Rng(seed);
  const perm = Int32Array.from(pool);
  const accepted: number[] = [];
  const rejected: { index: number; reason: string }[] = [];
  let next = 0; // perm[0..next) are drawn (partial Fisher–Yates)
  while (accepted.length < quota && next < perm.length) {
    const round: number[] = [];
    const want = Math.min(quota - accepted.length, concurrency, perm.length - next);
    for (let r = 0; r < want; r++, next++) {
      const j = next + rng.int(perm.length - next);
      const t = perm[next];
      perm[next] = perm[j];
      perm[j] = t;
      round.push(perm[next]);
    }
    const reasons = await Promise.all(round.map(check));
    round.forEach((index, r) => {
      const reason = reasons[r];
      if (reason === null) accepted.push(index);
      else rejected.push({ index, reason });
    });
  }
  accepted.sort((a, b) => a - b);
  return { accepted, rejected };
}

/** Run `fn` over 0..count-1 with at most `limit` in flight. */
export async function forEachLimited(count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}
