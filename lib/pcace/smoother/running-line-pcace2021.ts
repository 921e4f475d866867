/**
 * Fixed-span running-line smoother of the pure-Python `ace` package v0.3.x (the
 * "pcace-2021" flavour), reproduced operation by operation.
 *
 * On x-sorted data, the window holds `size` = 2·half + 1 points (at least 2) with
 * half = trunc(n·span) / 2 (integer division), anchored at the data's ends. Its means
 * are seeded with NumPy means and its cross-product sums with left-to-right sums, then
 * moved one point at a time ("remove, then add" update formulas). A window whose
 * x-variance is exactly zero smooths to 0 (not to the mean of y). The cross-validated
 * residual is |y − s| / (1 − 1/size − (x − x̄)²/V), or 1 when that denominator is
 * exactly 0 (it may be ±∞ or NaN otherwise, as in the original).
 *
 * Everything that depends on x alone (window x-means, x-variances, update factors,
 * residual denominators) is computed once per (x, span) in `RunningLineStats`; a pass
 * over some y then only carries the y-mean and the cross-product. This gives the same
 * numbers as the one-pass version (`runningLinePcace2021`, kept as the readable
 * reference) and lets several independent y passes share one loop.
 */

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

const fround = Math.fround;

/**
 * `numpySum` as NumPy computes it for a float32 array: the same pairwise order, every
 * addition rounded to float32 (`a` must hold float32 values).
 */
export function numpySum32(a: Float64Array, off: number, len: number): number {
  if (len < 8) {
    let res = 0;
    for (let i = 0; i < len; i++) res = fround(res + a[off + i]);
    return res;
  }
  if (len <= 128) {
    let r0 = a[off], r1 = a[off + 1], r2 = a[off + 2], r3 = a[off + 3];
    let r4 = a[off + 4], r5 = a[off + 5], r6 = a[off + 6], r7 = a[off + 7];
    const blocked = len - (len % 8);
    let i = 8;
    for (; i < blocked; i += 8) {
      const b = off + i;
      r0 = fround(r0 + a[b]);
      r1 = fround(r1 + a[b + 1]);
      r2 = fround(r2 + a[b + 2]);
      r3 = fround(r3 + a[b + 3]);
      r4 = fround(r4 + a[b + 4]);
      r5 = fround(r5 + a[b + 5]);
      r6 = fround(r6 + a[b + 6]);
      r7 = fround(r7 + a[b + 7]);
    }
    let res = fround(
      fround(fround(r0 + r1) + fround(r2 + r3)) + fround(fround(r4 + r5) + fround(r6 + r7)),
    );
    for (; i < len; i++) res = fround(res + a[off + i]);
    return res;
  }
  let half = Math.floor(len / 2);
  half -= half % 8;
  return fround(numpySum32(a, off, half) + numpySum32(a, off + half, len - half));
}

/** `numpy.mean` of a float32 array (float32 result). */
export function numpyMean32(a: Float64Array, off: number, len: number): number {
  return fround(numpySum32(a, off, len) / len);
}

/** Half-window and window size for n points and a span. */
export function windowOf(n: number, span: number): { half: number; size: number } {
  const half = Math.floor(Math.trunc(n * span) / 2);
  const size = 2 * half + 1;
  return { half, size: size <= 1 ? 2 : size };
}

/**
 * Reference one-pass smoother: writes the smooth of `y[0..n)` against sorted `x` to
 * `out` and, when `cvResid` is given, the absolute cross-validated residuals.
 */
export function runningLinePcace2021(
  x: Float64Array,
  y: Float64Array,
  n: number,
  span: number,
  out: Float64Array,
  cvResid: Float64Array | null,
): void {
  const { half, size } = windowOf(n, span);
  const first = size < n ? size : n;
  let mx = numpySum(x, 0, first) / first;
  let my = numpySum(y, 0, first) / first;
  let cov = 0;
  for (let j = 0; j < first; j++) cov += (x[j] - mx) * (y[j] - my);
  let vx = 0;
  for (let j = 0; j < first; j++) vx += (x[j] - mx) * (x[j] - mx);

  let lower = 0;
  let cur = size; // the window's nominal size, as the original tracks it
  for (let i = 0; i < n; i++) {
    if (i - half > 0 && i + half < n) {
      const xr = x[lower];
      const yr = y[lower];
      lower++;
      const upper = lower + cur < n ? lower + cur : n;
      const xa = x[upper - 1];
      const ya = y[upper - 1];
      let t = (cur / (cur - 1)) * (xr - mx);
      cov -= t * (yr - my);
      vx -= t * (xr - mx);
      mx = (cur * mx - xr) / (cur - 1);
      my = (cur * my - yr) / (cur - 1);
      cur--;
      mx = (cur * mx + xa) / (cur + 1);
      my = (cur * my + ya) / (cur + 1);
      t = ((cur + 1) / cur) * (xa - mx);
      cov += t * (ya - my);
      vx += t * (xa - mx);
      cur++;
    }
    const xi = x[i];
    let s = 0;
    if (vx !== 0) {
      // NaN counts as non-zero, as in Python's truth test.
      const beta = cov / vx;
      s = beta * xi + (my - beta * mx);
    }
    out[i] = s;
    if (cvResid !== null) {
      const denom = 1 - 1 / cur - ((xi - mx) * (xi - mx)) / vx;
      cvResid[i] = denom === 0 ? 1 : Math.abs((y[i] - s) / denom);
    }
  }
}

/** x-only quantities of the running line for one sorted x and one span. */
export class RunningLineStats {
  half = 0;
  size = 2;
  /** Points in the first window. */
  first = 0;
  n = 0;
  /** Window x-mean and x-variance sum in force at each point. */
  readonly mx: Float64Array;
  readonly vx: Float64Array;
  /** Factors of the cross-product update when the window moves at a point. */
  readonly tRemove: Float64Array;
  readonly tAdd: Float64Array;
  /** Denominator of the cross-validated residual at each point. */
  readonly denom: Float64Array;
  /** x − (first window's x-mean) over the first window, as the cross-product seed uses it. */
  readonly dx0: Float64Array;

  constructor(capacity: number) {
    this.mx = new Float64Array(capacity);
    this.vx = new Float64Array(capacity);
    this.tRemove = new Float64Array(capacity);
    this.tAdd = new Float64Array(capacity);
    this.denom = new Float64Array(capacity);
    this.dx0 = new Float64Array(capacity);
  }

  /**
   * Fill for sorted `x[0..n)` and `span`. With `float32`, x holds float32 values and is
   * treated as a NumPy float32 array under NumPy 1.x scalar promotion: the first window's
   * mean is a float32 `numpy.mean`, and differences from it are float32 subtractions
   * until the first window move turns the mean into a float64 (`int * float32` promotes).
   */
  compute(x: Float64Array, n: number, span: number, float32 = false): void {
    if (n > this.mx.length) throw new Error(`RunningLineStats: ${n} points exceed capacity ${this.mx.length}`);
    const { half, size } = windowOf(n, span);
    const first = size < n ? size : n;
    this.half = half;
    this.size = size;
    this.first = first;
    this.n = n;
    const dx0 = this.dx0;
    let mx = float32 ? numpyMean32(x, 0, first) : numpySum(x, 0, first) / first;
    let vx = 0;
    for (let j = 0; j < first; j++) {
      const d = float32 ? fround(x[j] - mx) : x[j] - mx;
      dx0[j] = d;
      vx += d * d;
    }
    let mxFloat32 = float32;
    // The window loses one point and regains one, so size/(size − 1) serves both steps.
    const less = size - 1;
    const ratio = size / less;
    const lev0 = 1 - 1 / size;
    const { mx: MX, vx: VX, tRemove, tAdd, denom } = this;
    for (let i = 0; i < n; i++) {
      if (i - half > 0 && i + half < n) {
        const xr = x[i - half - 1];
        const up = i - half + size;
        const xa = x[(up < n ? up : n) - 1];
        const dr = mxFloat32 ? fround(xr - mx) : xr - mx;
        let t = ratio * dr;
        tRemove[i] = t;
        vx -= t * dr;
        mx = (size * mx - xr) / less;
        mxFloat32 = false;
        mx = (less * mx + xa) / size;
        t = ratio * (xa - mx);
        tAdd[i] = t;
        vx += t * (xa - mx);
      }
      MX[i] = mx;
      VX[i] = vx;
      const dx = mxFloat32 ? fround(x[i] - mx) : x[i] - mx;
      denom[i] = lev0 - (dx * dx) / vx;
    }
  }
}

/** One pass of y over precomputed stats; `cvResid` optional. */
export function runningLineWithStats(
  st: RunningLineStats,
  x: Float64Array,
  y: Float64Array,
  out: Float64Array,
  cvResid: Float64Array | null,
): void {
  const { n, half, size, first, mx: MX, vx: VX, tRemove, tAdd, denom } = st;
  const less = size - 1;
  const dx0 = st.dx0;
  let my = numpySum(y, 0, first) / first;
  let cov = 0;
  for (let j = 0; j < first; j++) cov += dx0[j] * (y[j] - my);
  for (let i = 0; i < n; i++) {
    if (i - half > 0 && i + half < n) {
      const yr = y[i - half - 1];
      const up = i - half + size;
      const ya = y[(up < n ? up : n) - 1];
      cov -= tRemove[i] * (yr - my);
      my = (size * my - yr) / less;
      my = (less * my + ya) / size;
      cov += tAdd[i] * (ya - my);
    }
    const vx = VX[i];
    let s = 0;
    if (vx !== 0) {
      const beta = cov / vx;
      s = beta * x[i] + (my - beta * MX[i]);
    }
    out[i] = s;
    if (cvResid !== null) {
      const d = denom[i];
      cvResid[i] = d === 0 ? 1 : Math.abs((y[i] - s) / d);
    }
  }
}

/**
 * Three independent y passes sharing one loop (same results as three calls of
 * `runningLineWithStats`, but their dependency chains overlap): pass j smooths `ys[j]`
 * over `sts[j]` into `outs[j]`, with residuals into `resids[j]` when given.
 * The three chains are unrolled by hand on purpose, the repeated blocks included:
 * a loop over the passes or a shared helper would serialise the chains again.
 */
export function runningLineTriple(
  sts: readonly [RunningLineStats, RunningLineStats, RunningLineStats],
  x: Float64Array,
  ys: readonly [Float64Array, Float64Array, Float64Array],
  outs: readonly [Float64Array, Float64Array, Float64Array],
  resids: readonly [Float64Array, Float64Array, Float64Array] | null,
): void {
  const [sa, sb, sc] = sts;
  const [ya, yb, yc] = ys;
  const [oa, ob, oc] = outs;
  const n = sa.n;
  const ha = sa.half, hb = sb.half, hc = sc.half;
  const za = sa.size, zb = sb.size, zc = sc.size;
  const la = za - 1, lb = zb - 1, lc = zc - 1;
  let mya = numpySum(ya, 0, sa.first) / sa.first;
  let myb = numpySum(yb, 0, sb.first) / sb.first;
  let myc = numpySum(yc, 0, sc.first) / sc.first;
  let ca = 0, cb = 0, cc = 0;
  const d0a = sa.dx0, d0b = sb.dx0, d0c = sc.dx0;
  for (let j = 0; j < sa.first; j++) ca += d0a[j] * (ya[j] - mya);
  for (let j = 0; j < sb.first; j++) cb += d0b[j] * (yb[j] - myb);
  for (let j = 0; j < sc.first; j++) cc += d0c[j] * (yc[j] - myc);

  const ra = sa.tRemove, aa = sa.tAdd, va = sa.vx, ma = sa.mx, da = sa.denom;
  const rb = sb.tRemove, ab = sb.tAdd, vb = sb.vx, mb = sb.mx, db = sb.denom;
  const rc = sc.tRemove, ac = sc.tAdd, vc = sc.vx, mc = sc.mx, dc = sc.denom;
  const withResid = resids !== null;
  const ea = withResid ? resids[0] : oa;
  const eb = withResid ? resids[1] : ob;
  const ec = withResid ? resids[2] : oc;

  for (let i = 0; i < n; i++) {
    const xi = x[i];
    if (i - ha > 0 && i + ha < n) {
      const r = ya[i - ha - 1];
      const up = i - ha + za;
      const a = ya[(up < n ? up : n) - 1];
      ca -= ra[i] * (r - mya);
      mya = (za * mya - r) / la;
      mya = (la * mya + a) / za;
      ca += aa[i] * (a - mya);
    }
    if (i - hb > 0 && i + hb < n) {
      const r = yb[i - hb - 1];
      const up = i - hb + zb;
      const a = yb[(up < n ? up : n) - 1];
      cb -= rb[i] * (r - myb);
      myb = (zb * myb - r) / lb;
      myb = (lb * myb + a) / zb;
      cb += ab[i] * (a - myb);
    }
    if (i - hc > 0 && i + hc < n) {
      const r = yc[i - hc - 1];
      const up = i - hc + zc;
      const a = yc[(up < n ? up : n) - 1];
      cc -= rc[i] * (r - myc);
      myc = (zc * myc - r) / lc;
      myc = (lc * myc + a) / zc;
      cc += ac[i] * (a - myc);
    }
    let s = 0;
    let v = va[i];
    if (v !== 0) {
      const beta = ca / v;
      s = beta * xi + (mya - beta * ma[i]);
    }
    oa[i] = s;
    if (withResid) {
      const d = da[i];
      ea[i] = d === 0 ? 1 : Math.abs((ya[i] - s) / d);
    }
    s = 0;
    v = vb[i];
    if (v !== 0) {
      const beta = cb / v;
      s = beta * xi + (myb - beta * mb[i]);
    }
    ob[i] = s;
    if (withResid) {
      const d = db[i];
      eb[i] = d === 0 ? 1 : Math.abs((yb[i] - s) / d);
    }
    s = 0;
    v = vc[i];
    if (v !== 0) {
      const beta = cc / v;
      s = beta * xi + (myc - beta * mc[i]);
    }
    oc[i] = s;
    if (withResid) {
      const d = dc[i];
      ec[i] = d === 0 ? 1 : Math.abs((yc[i] - s) / d);
    }
  }
}
