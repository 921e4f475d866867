/**
 * A fitted ACE transform known only at the training points, turned into a
 * function: cross-fitting evaluates φ and θ on images the fit never saw.
 */

/** Piecewise-linear through (x, f) with tied x averaged; constant beyond the ends. */
export function piecewiseLinear(x: ArrayLike<number>, f: ArrayLike<number>): (v: number) => number {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const xs: number[] = [];
  const fs: number[] = [];
  for (let i = 0; i < n; ) {
    let j = i;
    let s = 0;
    while (j < n && x[order[j]] === x[order[i]]) s += f[order[j++]];
    xs.push(x[order[i]]);
    fs.push(s / (j - i));
    i = j;
  }
  const m = xs.length;
  return (v: number) => {
    if (v <= xs[0]) return fs[0];
    if (v >= xs[m - 1]) return fs[m - 1];
    let lo = 0;
    let hi = m - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] <= v) lo = mid;
      else hi = mid;
    }
    const t = (v - xs[lo]) / (xs[hi] - xs[lo]);
    return fs[lo] + t * (fs[hi] - fs[lo]);
  };
}
