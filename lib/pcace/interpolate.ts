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
