/**
 * Fused window-plan passes: three independent smooths advanced in one loop.
 *
 * Why: with the x-side precomputed, a pass is a chain of dependent divisions (the
 * window mean of y), so a single pass leaves the divider idle between steps; three
 * independent chains keep it busy. Each chain performs exactly the operations of one
 * `planSmooth` call, so results are bit-for-bit the same. The per-chain blocks below
 * are unrolled by hand on purpose (their repetition is the point): a loop over the
 * chains or a helper per step would serialise them again. For the same reason each
 * chain repeats the window loops of `planSmooth` and `fillWindowPlan` in window-plan.ts
 * inline (deliberate unrolling; tests/golden/supsmu.test.ts checks the planned path
 * bit-for-bit against the direct one). The fused passes are part of the speed-up that
 * bench/ace-vs-acepack.ts measures (bench/README.md); they are not timed on their own.
 */
import { averageTiesWeighted } from './running-lines';
import { frozenFits, type WindowPlan } from './window-plan';

/**
 * Three `planSmooth` passes (no residuals) on one plan, advanced together: each pass is
 * a chain of dependent divisions, and three independent chains overlap on the CPU.
 */
export function planSmooth3(
  pl: WindowPlan,
  n: number,
  x: Float64Array,
  w: Float64Array,
  tied: boolean,
  y0: Float64Array,
  y1: Float64Array,
  y2: Float64Array,
  s0: Float64Array,
  s1: Float64Array,
  s2: Float64Array,
): void {
  const { it, first, last, ibw, iFbo, iFbw, iTmp, rFbo, rFbw, rTmp, aFbw, aTmp, dx, vr, sloped } = pl;
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  for (let k = 0; k < it; k++) {
    const fo = iFbo[k];
    const wk = w[k];
    const fw = iFbw[k];
    const t = iTmp[k];
    const a0 = y0[k];
    const a1 = y1[k];
    const a2 = y2[k];
    m0 = (fo * m0 + wk * a0) / fw;
    m1 = (fo * m1 + wk * a1) / fw;
    m2 = (fo * m2 + wk * a2) / fw;
    c0 += t * (a0 - m0);
    c1 += t * (a1 - m1);
    c2 += t * (a2 - m2);
  }
  if (first > last) {
    frozenFits(pl, 0, n, y0, m0, c0, s0, null);
    frozenFits(pl, 0, n, y1, m1, c1, s1, null);
    frozenFits(pl, 0, n, y2, m2, c2, s2, null);
  } else {
    frozenFits(pl, 0, first, y0, m0, c0, s0, null);
    frozenFits(pl, 0, first, y1, m1, c1, s1, null);
    frozenFits(pl, 0, first, y2, m2, c2, s2, null);
    for (let j = first; j <= last; j++) {
      const out = j - ibw - 1;
      const inn = j + ibw;
      const tr = rTmp[j];
      const fo = rFbo[j];
      const fr = rFbw[j];
      const wo = w[out];
      const fa = aFbw[j];
      const ta = aTmp[j];
      const wi = w[inn];
      const o0 = y0[out];
      const o1 = y1[out];
      const o2 = y2[out];
      c0 -= tr * (o0 - m0);
      c1 -= tr * (o1 - m1);
      c2 -= tr * (o2 - m2);
      m0 = (fo * m0 - wo * o0) / fr;
      m1 = (fo * m1 - wo * o1) / fr;
      m2 = (fo * m2 - wo * o2) / fr;
      const i0 = y0[inn];
      const i1 = y1[inn];
      const i2 = y2[inn];
      m0 = (fr * m0 + wi * i0) / fa;
      m1 = (fr * m1 + wi * i1) / fa;
      m2 = (fr * m2 + wi * i2) / fa;
      c0 += ta * (i0 - m0);
      c1 += ta * (i1 - m1);
      c2 += ta * (i2 - m2);
      const d = dx[j];
      if (sloped[j] === 1) {
        const v = vr[j];
        s0[j] = (c0 / v) * d + m0;
        s1[j] = (c1 / v) * d + m1;
        s2[j] = (c2 / v) * d + m2;
      } else {
        s0[j] = 0 * d + m0;
        s1[j] = 0 * d + m1;
        s2[j] = 0 * d + m2;
      }
    }
    frozenFits(pl, last + 1, n, y0, m0, c0, s0, null);
    frozenFits(pl, last + 1, n, y1, m1, c1, s1, null);
    frozenFits(pl, last + 1, n, y2, m2, c2, s2, null);
  }
  if (tied) {
    averageTiesWeighted(n, x, w, s0);
    averageTiesWeighted(n, x, w, s1);
    averageTiesWeighted(n, x, w, s2);
  }
}

/** Sliding state of one y-chain. */
interface Chain {
  ym: number;
  cv: number;
}

/**
 * `planSmooth` with leave-one-out residuals on three plans (the tweeter, midrange and
 * woofer fits of the same y), advanced together so their division chains overlap.
 */
export function planSmoothSpans3(
  p0: WindowPlan,
  p1: WindowPlan,
  p2: WindowPlan,
  n: number,
  x: Float64Array,
  y: Float64Array,
  w: Float64Array,
  tied: boolean,
  f0: Float64Array,
  f1: Float64Array,
  f2: Float64Array,
  r0: Float64Array,
  r1: Float64Array,
  r2: Float64Array,
): void {
  // initChain reuses one result object: read each before the next call.
  let c = initChain(p0, y, w);
  let m0 = c.ym;
  let v0 = c.cv;
  c = initChain(p1, y, w);
  let m1 = c.ym;
  let v1 = c.cv;
  c = initChain(p2, y, w);
  let m2 = c.ym;
  let v2 = c.cv;
  const { first: lo0, last: hi0, ibw: b0, rTmp: rt0, rFbo: ro0, rFbw: rw0, aFbw: aw0, aTmp: at0, sloped: sl0, vr: vr0, dx: dx0, den: dn0 } = p0;
  const { first: lo1, last: hi1, ibw: b1, rTmp: rt1, rFbo: ro1, rFbw: rw1, aFbw: aw1, aTmp: at1, sloped: sl1, vr: vr1, dx: dx1, den: dn1 } = p1;
  const { first: lo2, last: hi2, ibw: b2, rTmp: rt2, rFbo: ro2, rFbw: rw2, aFbw: aw2, aTmp: at2, sloped: sl2, vr: vr2, dx: dx2, den: dn2 } = p2;
  for (let j = 0; j < n; j++) {
    const yj = y[j];
    if (j >= lo0 && j <= hi0) {
      const out = j - b0 - 1;
      const inn = j + b0;
      const yo = y[out];
      v0 -= rt0[j] * (yo - m0);
      m0 = (ro0[j] * m0 - w[out] * yo) / rw0[j];
      const yi = y[inn];
      m0 = (rw0[j] * m0 + w[inn] * yi) / aw0[j];
      v0 += at0[j] * (yi - m0);
    }
    if (j >= lo1 && j <= hi1) {
      const out = j - b1 - 1;
      const inn = j + b1;
      const yo = y[out];
      v1 -= rt1[j] * (yo - m1);
      m1 = (ro1[j] * m1 - w[out] * yo) / rw1[j];
      const yi = y[inn];
      m1 = (rw1[j] * m1 + w[inn] * yi) / aw1[j];
      v1 += at1[j] * (yi - m1);
    }
    if (j >= lo2 && j <= hi2) {
      const out = j - b2 - 1;
      const inn = j + b2;
      const yo = y[out];
      v2 -= rt2[j] * (yo - m2);
      m2 = (ro2[j] * m2 - w[out] * yo) / rw2[j];
      const yi = y[inn];
      m2 = (rw2[j] * m2 + w[inn] * yi) / aw2[j];
      v2 += at2[j] * (yi - m2);
    }
    const s0 = (sl0[j] === 1 ? v0 / vr0[j] : 0) * dx0[j] + m0;
    const s1 = (sl1[j] === 1 ? v1 / vr1[j] : 0) * dx1[j] + m1;
    const s2 = (sl2[j] === 1 ? v2 / vr2[j] : 0) * dx2[j] + m2;
    f0[j] = s0;
    f1[j] = s1;
    f2[j] = s2;
    r0[j] = Math.abs(yj - s0) / dn0[j];
    r1[j] = Math.abs(yj - s1) / dn1[j];
    r2[j] = Math.abs(yj - s2) / dn2[j];
  }
  if (tied) {
    averageTiesWeighted(n, x, w, f0);
    averageTiesWeighted(n, x, w, f1);
    averageTiesWeighted(n, x, w, f2);
  }
}

const chainScratch: Chain = { ym: 0, cv: 0 };

/** The y-chain over the initial window (short: its length is the window size). */
function initChain(pl: WindowPlan, y: Float64Array, w: Float64Array): Chain {
  const { it, iFbo, iFbw, iTmp } = pl;
  let ym = 0;
  let cv = 0;
  for (let k = 0; k < it; k++) {
    const yk = y[k];
    ym = (iFbo[k] * ym + w[k] * yk) / iFbw[k];
    cv += iTmp[k] * (yk - ym);
  }
  chainScratch.ym = ym;
  chainScratch.cv = cv;
  return chainScratch;
}
