/**
 * Agreement statistics for the compare views, on top of lib/pcace/ranking
 * (Spearman with its test, top-k overlap with its hypergeometric p): pairs
 * with a missing value are dropped first, and undefined results (fewer than
 * 3 pairs, a constant ranking) become null instead of throwing or NaN, so one
 * degenerate layer does not fail a whole comparison.
 */
import { spearman, topKOverlap } from '../pcace/ranking';

/** The pairs where both values are finite. */
export function finitePairs(a: ArrayLike<number>, b: ArrayLike<number>): [Float64Array, Float64Array] {
  const keep: number[] = [];
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]) && Number.isFinite(b[i])) keep.push(i);
  return [Float64Array.from(keep, (i) => a[i]), Float64Array.from(keep, (i) => b[i])];
}

export function spearmanOrNull(a: ArrayLike<number>, b: ArrayLike<number>): { rho: number; p: number; n: number; method: 'exact' | 't' } | null {
  const [x, y] = finitePairs(a, b);
  if (x.length < 3) return null;
  const s = spearman(x, y);
  if (!Number.isFinite(s.rho) || !Number.isFinite(s.pValue)) return null;
  return { rho: s.rho, p: s.pValue, n: s.n, method: s.method };
}

/** Top-k overlap with k capped at the channels both rankings score. */
export function topKOrNull(a: ArrayLike<number>, b: ArrayLike<number>, k: number): { k: number; shared: number; expected: number; p: number } | null {
  const [x, y] = finitePairs(a, b);
  if (x.length === 0) return null;
  const t = topKOverlap(x, y, Math.min(k, x.length));
  return { k: t.k, shared: t.shared, expected: t.expected, p: t.pValue };
}

/**
 * Kendall's τ-b with the normal approximation of its null distribution
 * (variance 2(2n+5)/9n(n−1), adequate from n ≈ 10; layers have ≥ 16 channels).
 * O(n²): layers up to 4,096 channels (8 M pairs, tens of ms, and cached); wider ones get null.
 */
export function kendallOrNull(a: ArrayLike<number>, b: ArrayLike<number>): { tau: number; p: number } | null {
  const [x, y] = finitePairs(a, b);
  const n = x.length;
  if (n < 3 || n > 4096) return null;
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  if (denom === 0) return null;
  const tau = (concordant - discordant) / denom;
  const z = (3 * tau * Math.sqrt(n * (n - 1))) / Math.sqrt(2 * (2 * n + 5));
  return { tau, p: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}

/** Complementary error function (Numerical Recipes erfcc, relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
