/**
 * Rankings and their agreement: rank a layer, Spearman's ρ with its test (Zar
 * 1972, as the paper cites), and top-k overlap.
 */
import { pearson } from './stats';
import { studentTTwoSided } from './special';
import { PcaceInputError } from './validate';

/**
 * Rank 1 = highest score. Ties share their average rank (so Spearman stays exact);
 * NaN scores rank last.
 */
export function rankDescending(scores: ArrayLike<number>): Float64Array {
  const n = scores.length;
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => key(b) - key(a) || a - b);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && key(order[end]) === key(order[start])) end++;
    const avg = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) ranks[order[i]] = avg;
    start = end;
  }
  return ranks;
}

/** Rank 1 = highest; ties broken by position (the order a table shows). NaN last. */
export function ordinalRanks(scores: ArrayLike<number>): Int32Array {
  const n = scores.length;
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => key(b) - key(a) || a - b);
  const ranks = new Int32Array(n);
  order.forEach((c, r) => (ranks[c] = r + 1));
  return ranks;
}

export interface SpearmanResult {
  rho: number;
  n: number;
  /** Two-sided p-value of H0: ρ = 0. */
  pValue: number;
  /** 'exact' (all permutations, n ≤ 9) or 't' (Zar's t approximation). */
  method: 'exact' | 't';
}

/** Spearman's ρ between two score vectors (ranked internally, ties averaged). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): SpearmanResult {
  const n = a.length;
  if (b.length !== n) throw new PcaceInputError(`rankings have different lengths (${n} vs ${b.length})`);
  if (n < 3) throw new PcaceInputError(`Spearman's test needs at least 3 pairs, got ${n}`);
  const ra = rankDescending(a);
  const rb = rankDescending(b);
  const rho = pearson(ra, rb);
  if (n <= 9) return { rho, n, pValue: exactSpearmanP(ra, rb, rho), method: 'exact' };
  // Zar (1972): t = ρ √((n − 2)/(1 − ρ²)) with n − 2 degrees of freedom.
  const t = Math.abs(rho) >= 1 ? Infinity : rho * Math.sqrt((n - 2) / (1 - rho * rho));
  return { rho, n, pValue: studentTTwoSided(t, n - 2), method: 't' };
}

/** Fraction of all n! pairings whose |ρ| reaches the observed one. */
function exactSpearmanP(ra: Float64Array, rb: Float64Array, rho: number): number {
  const n = ra.length;
  const perm = Float64Array.from(rb);
  let hits = 0;
  let total = 0;
  const target = Math.abs(rho) - 1e-12;
  const c = new Int32Array(n);
  const visit = () => {
    total++;
    if (Math.abs(pearson(ra, perm)) >= target) hits++;
  };
  // Heap's algorithm enumerates every permutation once.
  visit();
  let i = 0;
  while (i < n) {
    if (c[i] < i) {
      const j = i % 2 === 0 ? 0 : c[i];
      const t = perm[j];
      perm[j] = perm[i];
      perm[i] = t;
      visit();
      c[i]++;
      i = 0;
    } else {
      c[i] = 0;
      i++;
    }
  }
  return hits / total;
}

export interface TopKOverlap {
  k: number;
  shared: number;
  /** shared / k */
  fraction: number;
  /** Expected shared count if the two top-k sets were independent: k²/n. */
  expected: number;
  /** P(shared ≥ observed) under independence (hypergeometric upper tail). */
  pValue: number;
}

/** How many of the k best channels two rankings have in common. */
export function topKOverlap(a: ArrayLike<number>, b: ArrayLike<number>, k: number): TopKOverlap {
  const n = a.length;
  if (b.length !== n) throw new PcaceInputError(`rankings have different lengths (${n} vs ${b.length})`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new PcaceInputError(`k must be an integer in 1..${n}, got ${k}`);
  const top = (s: ArrayLike<number>) =>
    new Set(Array.from({ length: n }, (_, i) => i).sort((x, y) => s[y] - s[x] || x - y).slice(0, k));
  const ta = top(a);
  let shared = 0;
  for (const i of top(b)) if (ta.has(i)) shared++;
  return { k, shared, fraction: shared / k, expected: (k * k) / n, pValue: hypergeometricUpper(shared, n, k, k) };
}

/** P(X ≥ x) for X ~ Hypergeometric(population n, successes K, draws d). */
function hypergeometricUpper(x: number, n: number, K: number, d: number): number {
  const lnChoose = (a: number, b: number) => {
    let s = 0;
    for (let i = 1; i <= b; i++) s += Math.log((a - b + i) / i);
    return s;
  };
  let p = 0;
  const denom = lnChoose(n, d);
  for (let i = x; i <= Math.min(K, d); i++) {
    if (d - i > n - K) continue;
    p += Math.exp(lnChoose(K, i) + lnChoose(n - K, d - i) - denom);
  }
  return Math.min(1, p);
}
