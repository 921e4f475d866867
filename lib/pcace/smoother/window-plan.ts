/**
 * Window plans: the x-side of acepack's running-line smoother, computed once and reused.
 *
 * Why: a running-line pass updates the window means of x and of y incrementally. The x
 * half (means, variance, update coefficients, leverages) depends only on x, the weights
 * and the span, and ACE smooths every variable against the same sorted x and weights in
 * every sweep, with three spans and up to eight passes per supersmoother call. With the
 * x half stored, a pass runs the y half alone: three or four divisions per point instead
 * of seven to ten, and divisions are what bounds this loop. The y half performs acepack's
 * operations in acepack's order on the very same x-side numbers, so the results are
 * bit-for-bit those of `runningLines`.
 *
 * A plan whose window ever has zero total weight is marked not `ok`; callers then use
 * `runningLines`, which has the guards for that case.
 *
 * The window loops repeat running-lines.ts's x half on purpose (deliberate unrolling):
 * the same operations in the same order, inline, is what keeps them bit-for-bit equal.
 * For the same reason window-plan-fused.ts repeats `planSmooth`'s y half three chains
 * at a time (deliberate unrolling, its header says why); both are part of the speed-up
 * that bench/ace-vs-acepack.ts measures (bench/README.md: ours 15 to 20 % faster than the
 * Fortran), not timed on their own.
 */
import { averageTiesWeighted, halfWidth } from './running-lines';

export interface WindowPlan {
  ibw: number;
  /** Size of the initial window. */
  it: number;
  /** Positions [first, last] slide the window; outside it stays at an end. */
  first: number;
  last: number;
  ok: boolean;
  /** Initial window, position k < it: total weight before/after adding k, and the
   *  coefficient of (y_k − ȳ) in the cross-product update. */
  iFbo: Float64Array;
  iFbw: Float64Array;
  iTmp: Float64Array;
  /** Sliding step at j: removal (weight before/after, coefficient), then addition
   *  (weight after, coefficient; the weight before is rFbw). */
  rFbo: Float64Array;
  rFbw: Float64Array;
  rTmp: Float64Array;
  aFbw: Float64Array;
  aTmp: Float64Array;
  /** Fit at j: x_j − x̄, the window's x variance, whether it counts as non-zero, and
   *  1 − w_j·h_j, the leave-one-out denominator. */
  dx: Float64Array;
  vr: Float64Array;
  den: Float64Array;
  sloped: Uint8Array;
}

function createWindowPlan(n: number): WindowPlan {
  const buf = new Float64Array(11 * n);
  const col = (k: number): Float64Array => buf.subarray(k * n, (k + 1) * n);
  return {
    ibw: 0,
    it: 0,
    first: 0,
    last: -1,
    ok: false,
    iFbo: col(0),
    iFbw: col(1),
    iTmp: col(2),
    rFbo: col(3),
    rFbw: col(4),
    rTmp: col(5),
    aFbw: col(6),
    aTmp: col(7),
    dx: col(8),
    vr: col(9),
    den: col(10),
    sloped: new Uint8Array(n),
  };
}

function recordFit(pl: WindowPlan, j: number, x: Float64Array, w: Float64Array, xm: number, vr: number, fbw: number, vsmlsq: number): void {
  const dx = x[j] - xm;
  const sloped = vr > vsmlsq;
  pl.dx[j] = dx;
  pl.vr[j] = vr;
  pl.sloped[j] = sloped ? 1 : 0;
  let h = 1 / fbw;
  if (sloped) h += (dx * dx) / vr;
  pl.den[j] = 1 - w[j] * h;
}

/** The x-side of `runningLines(n, x, ·, w, span, vsmlsq, ·, ·)`, step for step. */
export function fillWindowPlan(pl: WindowPlan, n: number, x: Float64Array, w: Float64Array, span: number, vsmlsq: number): void {
  const ibw = halfWidth(span, n);
  let it = 2 * ibw + 1;
  if (it > n) it = n;
  pl.ibw = ibw;
  pl.it = it;
  pl.first = ibw + 1;
  pl.last = n - 1 - ibw;
  let ok = true;
  let xm = 0;
  let vr = 0;
  let fbw = 0;
  for (let k = 0; k < it; k++) {
    const xk = x[k];
    const wt = w[k];
    const fbo = fbw;
    fbw = fbo + wt;
    if (fbw > 0) xm = (fbo * xm + wt * xk) / fbw;
    else ok = false;
    let tmp = 0;
    if (fbo > 0) tmp = (fbw * wt * (xk - xm)) / fbo;
    vr += tmp * (xk - xm);
    pl.iFbo[k] = fbo;
    pl.iFbw[k] = fbw;
    pl.iTmp[k] = tmp;
  }
  const { first, last } = pl;
  const headEnd = first > last ? n : first;
  if (!(fbw > 0)) ok = false;
  for (let j = 0; j < headEnd && ok; j++) recordFit(pl, j, x, w, xm, vr, fbw, vsmlsq);
  for (let j = first; j <= last && ok; j++) {
    const out = j - ibw - 1;
    const xo = x[out];
    let wt = w[out];
    let fbo = fbw;
    fbw = fbo - wt;
    if (!(fbw > 0)) {
      ok = false;
      break;
    }
    let tmp = (fbo * wt * (xo - xm)) / fbw;
    vr -= tmp * (xo - xm);
    xm = (fbo * xm - wt * xo) / fbw;
    pl.rFbo[j] = fbo;
    pl.rFbw[j] = fbw;
    pl.rTmp[j] = tmp;
    const xi = x[j + ibw];
    wt = w[j + ibw];
    fbo = fbw;
    fbw = fbo + wt;
    xm = (fbo * xm + wt * xi) / fbw;
    tmp = (fbw * wt * (xi - xm)) / fbo;
    vr += tmp * (xi - xm);
    pl.aFbw[j] = fbw;
    pl.aTmp[j] = tmp;
    recordFit(pl, j, x, w, xm, vr, fbw, vsmlsq);
  }
  if (first <= last) for (let j = last + 1; j < n && ok; j++) recordFit(pl, j, x, w, xm, vr, fbw, vsmlsq);
  pl.ok = ok;
}

/** Fits (and leave-one-out residuals) at [from, to), where the window stays put. */
export function frozenFits(
  pl: WindowPlan,
  from: number,
  to: number,
  y: Float64Array,
  ym: number,
  cv: number,
  smo: Float64Array,
  acvr: Float64Array | null,
): void {
  if (from >= to) return;
  const { dx, den } = pl;
  const a = pl.sloped[from] === 1 ? cv / pl.vr[from] : 0;
  if (acvr === null) {
    for (let j = from; j < to; j++) smo[j] = a * dx[j] + ym;
    return;
  }
  for (let j = from; j < to; j++) {
    const s = a * dx[j] + ym;
    smo[j] = s;
    acvr[j] = Math.abs(y[j] - s) / den[j];
  }
}

/** `runningLines` for an `ok` plan. `tied`: whether x has ties (averaging needed). */
export function planSmooth(
  pl: WindowPlan,
  n: number,
  x: Float64Array,
  y: Float64Array,
  w: Float64Array,
  tied: boolean,
  smo: Float64Array,
  acvr: Float64Array | null,
): void {
  const { it, first, last, ibw, iFbo, iFbw, iTmp, rFbo, rFbw, rTmp, aFbw, aTmp, dx, vr, den, sloped } = pl;
  let ym = 0;
  let cv = 0;
  for (let k = 0; k < it; k++) {
    const yk = y[k];
    ym = (iFbo[k] * ym + w[k] * yk) / iFbw[k];
    cv += iTmp[k] * (yk - ym);
  }
  if (first > last) {
    frozenFits(pl, 0, n, y, ym, cv, smo, acvr);
  } else {
    frozenFits(pl, 0, first, y, ym, cv, smo, acvr);
    for (let j = first; j <= last; j++) {
      const out = j - ibw - 1;
      const yo = y[out];
      cv -= rTmp[j] * (yo - ym);
      ym = (rFbo[j] * ym - w[out] * yo) / rFbw[j];
      const inn = j + ibw;
      const yi = y[inn];
      ym = (rFbw[j] * ym + w[inn] * yi) / aFbw[j];
      cv += aTmp[j] * (yi - ym);
      const s = (sloped[j] === 1 ? cv / vr[j] : 0) * dx[j] + ym;
      smo[j] = s;
      if (acvr !== null) acvr[j] = Math.abs(y[j] - s) / den[j];
    }
    frozenFits(pl, last + 1, n, y, ym, cv, smo, acvr);
  }
  if (tied) averageTiesWeighted(n, x, w, smo);
}

/** The supersmoother's x-side for one sorted variable: scale threshold and three plans. */
export interface SupsmuPlan {
  n: number;
  /** x has a single value: supsmu returns the weighted mean. */
  constant: boolean;
  /** Some x values are tied. */
  tied: boolean;
  vsmlsq: number;
  /** All three plans usable. */
  ok: boolean;
  tweeter: WindowPlan;
  midrange: WindowPlan;
  woofer: WindowPlan;
}

export function createSupsmuPlan(n: number): SupsmuPlan {
  return {
    n,
    constant: false,
    tied: false,
    vsmlsq: 0,
    ok: false,
    tweeter: createWindowPlan(n),
    midrange: createWindowPlan(n),
    woofer: createWindowPlan(n),
  };
}
