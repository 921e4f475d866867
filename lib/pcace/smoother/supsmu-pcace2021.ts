/**
 * Supersmoother of the "pcace-2021" ACE flavour: the variable-span smoother of the
 * pure-Python `ace` package (v0.3.x) that the published PCACE code ran, reproduced
 * operation by operation so results agree with it to rounding.
 *
 * What distinguishes it from Friedman's Fortran `supsmu` (acepack):
 * - fixed-span running lines use a half-window of `trunc(n·span) / 2` points (integer
 *   division) and a window of 2·half + 1 (at least 2) points, anchored at the data's
 *   ends; the window sums are seeded once (NumPy means, plain sums of cross products)
 *   and then moved one point at a time with the "remove, then add" update formulas;
 * - a window whose x-variance is exactly zero smooths to 0 (not to the mean of y);
 * - cross-validated residuals |y − s| / (1 − 1/J − (x − x̄)²/V), with 1 when that
 *   denominator is exactly 0 (it may be ±∞ or NaN otherwise, as in the original);
 * - no bass enhancement (alpha = 0) and no special handling of tied x values;
 * - the best span per point (first minimum of the three smoothed residuals, NaN-aware
 *   like Python's `min`) is smoothed with span 0.2, the three primary smooths are
 *   interpolated at it like `numpy.interp`, and the result is smoothed with span 0.05.
 *
 * All inputs are expected sorted by x. Nothing is allocated per call.
 */

/** Tweeter, midrange and bass spans (fractions of n). */
export const PCACE2021_SPANS: readonly [number, number, number] = [0.05, 0.2, 0.5];

const MID_SPAN = 0.2;
const TWEETER_SPAN = 0.05;

/**
 * Sum of `a[off .. off+len)` in NumPy's order for float64 `add.reduce` (pairwise
 * summation: blocks of at most 128 values summed with eight interleaved accumulators).
 */
export function numpySum(a: Float64Array, off: number, len: number): number {
  if (len < 8) {
    let res = 0;
    for (let i = 0; i < len; i++) res += a[off + i];
    return res;
  }
  if (len <= 128) {
    let r0 = a[off], r1 = a[off + 1], r2 = a[off + 2], r3 = a[off + 3];
    let r4 = a[off + 4], r5 = a[off + 5], r6 = a[off + 6], r7 = a[off + 7];
    const blocked = len - (len % 8);
    let i = 8;
    for (; i < blocked; i += 8) {
      const b = off + i;
      r0 += a[b];
      r1 += a[b + 1];
      r2 += a[b + 2];
      r3 += a[b + 3];
      r4 += a[b + 4];
      r5 += a[b + 5];
      r6 += a[b + 6];
      r7 += a[b + 7];
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < len; i++) res += a[off + i];
    return res;
  }
  let half = Math.floor(len / 2);
  half -= half % 8;
  return numpySum(a, off, half) + numpySum(a, off + half, len - half);
}

/**
 * Fixed-span local linear smoother of the Python `ace` package on x-sorted data.
 * Writes the smooth of `y[0..n)` to `out`; when `cvResid` is given, also the absolute
 * cross-validated residuals.
 */
export function runningLinePcace2021(
  x: Float64Array,
  y: Float64Array,
  n: number,
  span: number,
  out: Float64Array,
  cvResid: Float64Array | null,
): void {
  const half = Math.floor(Math.trunc(n * span) / 2);
  let size = 2 * half + 1;
  if (size <= 1) size = 2;

  // Seed the window x[0 .. min(size, n)).
  const first = size < n ? size : n;
  let mx = numpySum(x, 0, first) / first;
  let my = numpySum(y, 0, first) / first;
  let cov = 0;
  for (let j = 0; j < first; j++) cov += (x[j] - mx) * (y[j] - my);
  let vx = 0;
  for (let j = 0; j < first; j++) {
    const d = x[j] - mx;
    vx += d * d;
  }

  let lower = 0;
  for (let i = 0; i < n; i++) {
    if (i - half > 0 && i + half < n) {
      // Drop the window's first point, then take the last point of the shifted window.
      const xr = x[lower];
      const yr = y[lower];
      lower++;
      const upper = lower + size < n ? lower + size : n;
      const xa = x[upper - 1];
      const ya = y[upper - 1];

      let t = (size / (size - 1)) * (xr - mx);
      cov -= t * (yr - my);
      vx -= t * (xr - mx);
      mx = (size * mx - xr) / (size - 1);
      my = (size * my - yr) / (size - 1);
      size--;

      mx = (size * mx + xa) / (size + 1);
      my = (size * my + ya) / (size + 1);
      t = ((size + 1) / size) * (xa - mx);
      cov += t * (ya - my);
      vx += t * (xa - mx);
      size++;
    }

    const xi = x[i];
    let s = 0;
    // NaN counts as "non-zero" here, as Python's truth test does.
    if (vx !== 0) {
      const beta = cov / vx;
      const alpha = my - beta * mx;
      s = beta * xi + alpha;
    }
    out[i] = s;
    if (cvResid !== null) {
      const dx = xi - mx;
      const denom = 1 - 1 / size - (dx * dx) / vx;
      cvResid[i] = denom === 0 ? 1 : Math.abs((y[i] - s) / denom);
    }
  }
}

/** `numpy.interp(at, PCACE2021_SPANS, [f0, f1, f2])` with NumPy's exact arithmetic. */
export function interpSpans(at: number, f0: number, f1: number, f2: number): number {
  if (at !== at) return at; // NaN
  const s0 = PCACE2021_SPANS[0];
  const s1 = PCACE2021_SPANS[1];
  const s2 = PCACE2021_SPANS[2];
  if (at < s0) return f0;
  if (at >= s2) return f2;
  let xl: number, xr: number, fl: number, fr: number;
  if (at >= s1) {
    if (at === s1) return f1;
    xl = s1; xr = s2; fl = f1; fr = f2;
  } else {
    if (at === s0) return f0;
    xl = s0; xr = s1; fl = f0; fr = f1;
  }
  const slope = (fr - fl) / (xr - xl);
  let v = slope * (at - xl) + fl;
  if (v !== v) {
    v = slope * (at - xr) + fr;
    if (v !== v && fl === fr) v = fl;
  }
  return v;
}

/** Reusable supersmoother workspace for up to `capacity` points. */
export class SupsmuPcace2021 {
  readonly capacity: number;
  private readonly primary: Float64Array[];
  private readonly resid: Float64Array[];
  private readonly residSmooth: Float64Array[];
  private readonly bestSpan: Float64Array;
  private readonly smoothSpan: Float64Array;
  private readonly blended: Float64Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    const make = () => new Float64Array(capacity);
    this.primary = [make(), make(), make()];
    this.resid = [make(), make(), make()];
    this.residSmooth = [make(), make(), make()];
    this.bestSpan = make();
    this.smoothSpan = make();
    this.blended = make();
  }

  /** Smooth `y[0..n)` against sorted `x[0..n)` into `out` (may not alias x or y). */
  smooth(x: Float64Array, y: Float64Array, n: number, out: Float64Array): void {
    if (n > this.capacity) {
      throw new Error(`SupsmuPcace2021: ${n} points exceed the workspace capacity ${this.capacity}`);
    }
    const [p0, p1, p2] = this.primary;
    const [c0, c1, c2] = this.resid;
    const [r0, r1, r2] = this.residSmooth;
    runningLinePcace2021(x, y, n, PCACE2021_SPANS[0], p0, c0);
    runningLinePcace2021(x, y, n, PCACE2021_SPANS[1], p1, c1);
    runningLinePcace2021(x, y, n, PCACE2021_SPANS[2], p2, c2);
    runningLinePcace2021(x, c0, n, MID_SPAN, r0, null);
    runningLinePcace2021(x, c1, n, MID_SPAN, r1, null);
    runningLinePcace2021(x, c2, n, MID_SPAN, r2, null);

    const best = this.bestSpan;
    for (let i = 0; i < n; i++) {
      // First minimum under strict '<' starting from the tweeter, as Python's min().
      let k = 0;
      let m = r0[i];
      if (r1[i] < m) {
        k = 1;
        m = r1[i];
      }
      if (r2[i] < m) k = 2;
      best[i] = PCACE2021_SPANS[k];
    }
    const spans = this.smoothSpan;
    runningLinePcace2021(x, best, n, MID_SPAN, spans, null);

    const blended = this.blended;
    for (let i = 0; i < n; i++) blended[i] = interpSpans(spans[i], p0[i], p1[i], p2[i]);
    runningLinePcace2021(x, blended, n, TWEETER_SPAN, out, null);
  }
}
