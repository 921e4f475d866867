/**
 * A fitted ACE transform known only at the training points, turned into a
 * function: cross-fitting evaluates φ and θ on images the fit never saw.
 */

/**
 * Piecewise-linear through (x, f) with tied x averaged; constant beyond the ends.
 *
 * Built for every fold fit of every channel (≈ 30 per channel with the default
 * adaptive cross-fitting), so the knots come from a native numeric sort of a
 * copy of x rather than an index sort with a comparator (a tenth of a whole
 * network's CPU went there). Each tie group's f values are summed in index
 * order, as a stable index sort would add them, so the knots are bit-identical.
 */
export function piecewiseLinear(x: ArrayLike<number>, f: ArrayLike<number>): (v: number) => number {
  const n = x.length;
  const sorted = Float64Array.from(x).sort();
  // Distinct values: -0 and 0 are one knot, as the comparison below treats them.
  const xs = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) if (m === 0 || sorted[i] !== xs[m - 1]) xs[m++] = sorted[i];
  const sums = new Float64Array(m);
  const counts = new Int32Array(m);
  for (let i = 0; i < n; i++) {
    const k = knotAtOrBelow(xs, m, x[i]);
    sums[k] += f[i];
    counts[k]++;
  }
  const fs = new Float64Array(m);
  for (let k = 0; k < m; k++) fs[k] = sums[k] / counts[k];
  return (v: number) => {
    if (v <= xs[0]) return fs[0];
    if (v >= xs[m - 1]) return fs[m - 1];
    const lo = knotAtOrBelow(xs, m, v);
    const hi = lo + 1;
    const t = (v - xs[lo]) / (xs[hi] - xs[lo]);
    return fs[lo] + t * (fs[hi] - fs[lo]);
  };
}

/** The last knot ≤ v (v ≥ xs[0]), by bisection. */
function knotAtOrBelow(xs: Float64Array, m: number, v: number): number {
  let lo = 0;
  let hi = m;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= v) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Knot scratch for `interpolateFold` (capacity ≥ the sample size). */
export interface KnotScratch {
  xs: Float64Array;
  fs: Float64Array;
  counts: Int32Array;
}

export function createKnotScratch(n: number): KnotScratch {
  return { xs: new Float64Array(n), fs: new Float64Array(n), counts: new Int32Array(n) };
}

/** Indices 0..n−1 ordered by value, ties (−0 and 0 included) by index. */
export function sortedOrder(x: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: x.length }, (_, i) => i);
  return order.sort((a, b) => x[a] - x[b] || a - b);
}

/**
 * `piecewiseLinear` through the training points of a split, evaluated at its test
 * points: the very same numbers, from one walk over the whole sample's sorted
 * order instead of a sort per fit and a bisection per point.
 *
 * Cross-fitting builds ≈ 30 such interpolants per channel on halves of the same
 * sample, so the sample is sorted once (`order` from `sortedOrder(x)`) and each
 * fold filters it. Image i is in fold `fold[i]` at position `pos[i]`; the
 * training fold is `trainFold` with values `f` by position (every other image
 * is a test point), and its positions must rise with i (crossFitSplit's folds are sorted), so each tie group's f
 * values are summed in the order piecewiseLinear sums them. The test points come
 * in ascending order, so the knot below each is found by advancing one pointer;
 * the value at test position k is written to out[k], or added to it with `add`.
 */
export function interpolateFold(
  x: ArrayLike<number>,
  order: Int32Array,
  fold: Uint8Array,
  pos: Int32Array,
  trainFold: number,
  f: ArrayLike<number>,
  out: Float64Array,
  add: boolean,
  knots: KnotScratch,
): void {
  const n = order.length;
  const { xs, fs, counts } = knots;
  let m = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r];
    if (fold[i] !== trainFold) continue;
    const v = x[i];
    if (m === 0 || v !== xs[m - 1]) {
      xs[m] = v;
      fs[m] = 0 + f[pos[i]];
      counts[m] = 1;
      m++;
    } else {
      // piecewiseLinear's knot is the first of its native sort, which puts −0 before 0.
      if (Object.is(v, -0)) xs[m - 1] = v;
      fs[m - 1] += f[pos[i]];
      counts[m - 1]++;
    }
  }
  for (let k = 0; k < m; k++) fs[k] = fs[k] / counts[k];
  const first = xs[0];
  const last = xs[m - 1];
  let lo = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r];
    if (fold[i] === trainFold) continue;
    const v = x[i];
    let value: number;
    if (v <= first) value = fs[0];
    else if (v >= last) value = fs[m - 1];
    else {
      while (xs[lo + 1] <= v) lo++;
      const t = (v - xs[lo]) / (xs[lo + 1] - xs[lo]);
      value = fs[lo] + t * (fs[lo + 1] - fs[lo]);
    }
    if (add) out[pos[i]] += value;
    else out[pos[i]] = value;
  }
}
