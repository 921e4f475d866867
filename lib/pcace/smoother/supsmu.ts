/**
 * Friedman's supersmoother as acepack 1.4.1 runs it inside ACE (`supsmu`, the running
 * lines `smooth` with cross-validation residuals, and the `smothr` wrapper that picks
 * the smoother from the variable type).
 *
 * All inputs are sorted by x (ascending) and of length ≥ n; outputs are written into
 * caller-provided arrays so ACE can run thousands of fits without allocating. The
 * floating-point operations follow acepack's order so results agree to rounding.
 *
 * Deliberate departures, only where acepack reads outside its arrays or divides by a
 * zero total weight (so its result would be undefined or NaN):
 * - n ≤ 4: the initial window is clipped to the n points (acepack reads past x(n));
 * - n < 4: the quartile positions for the scale are clipped to 1;
 * - a window, tie group or whole sample with zero total weight keeps finite values.
 */
import { isotonicInPlace, rampFlatRuns } from './monotone';

/*
 * acepack's block data initialises these double-precision commons from single-precision
 * literals (0.05, 0.2, 1e-4, 1e-3), so the values it actually uses are the float32
 * roundings. The golden values depend on it at the 1e-9 level.
 */
/** Tweeter, midrange and woofer spans. */
export const SUPSMU_SPANS: readonly [number, number, number] = [Math.fround(0.05), Math.fround(0.2), 0.5];
const SPAN_T = SUPSMU_SPANS[0];
const SPAN_M = SUPSMU_SPANS[1];
const SPAN_W = SUPSMU_SPANS[2];
const BIG = Math.fround(1e20);
const SML = Math.fround(1e-4);
const EPS = Math.fround(1e-3);

/** Bass enhancement acepack's ACE uses (read from the AVAS common block). */
export const ACE_BASS_ALPHA = 5;

/** acepack's `l` codes for the variable types a smoother can serve. */
export const SmoothKind = {
  Orderable: 1,
  Monotone: 3,
  Linear: 4,
  Categorical: 5,
} as const;
export type SmoothKind = (typeof SmoothKind)[keyof typeof SmoothKind];

/** Scratch columns of the supersmoother (acepack's `sc(n,7)`), reused across calls. */
export interface SupsmuWorkspace {
  readonly capacity: number;
  readonly fitT: Float64Array;
  readonly resT: Float64Array;
  readonly fitM: Float64Array;
  readonly resM: Float64Array;
  readonly fitW: Float64Array;
  readonly resW: Float64Array;
  readonly cv: Float64Array;
}

export function createSupsmuWorkspace(n: number): SupsmuWorkspace {
  return {
    capacity: n,
    fitT: new Float64Array(n),
    resT: new Float64Array(n),
    fitM: new Float64Array(n),
    resM: new Float64Array(n),
    fitW: new Float64Array(n),
    resW: new Float64Array(n),
    cv: new Float64Array(n),
  };
}

/**
 * Local linear fit over a window of 2·ibw+1 neighbouring positions, ibw = ⌊span·n/2 + ½⌋
 * (at least 2), with the window sums updated incrementally. With `acvr` it also writes
 * the absolute leave-one-out residual |y − ŷ| / (1 − w·h), h the leverage. Tied x
 * finally share the weighted mean of their fits.
 */
export function runningLines(
  n: number,
  x: Float64Array,
  y: Float64Array,
  w: Float64Array,
  span: number,
  vsmlsq: number,
  smo: Float64Array,
  acvr: Float64Array | null,
): void {
  let ibw = Math.trunc(0.5 * span * n + 0.5);
  if (ibw < 2) ibw = 2;
  let it = 2 * ibw + 1;
  if (it > n) it = n;
  let xm = 0;
  let ym = 0;
  let vr = 0;
  let cv = 0;
  let fbw = 0;
  for (let j = 0; j < it; j++) {
    const xj = x[j];
    const yj = y[j];
    const wt = w[j];
    const fbo = fbw;
    fbw = fbo + wt;
    if (fbw > 0) {
      xm = (fbo * xm + wt * xj) / fbw;
      ym = (fbo * ym + wt * yj) / fbw;
    }
    let tmp = 0;
    if (fbo > 0) tmp = (fbw * wt * (xj - xm)) / fbo;
    vr += tmp * (xj - xm);
    cv += tmp * (yj - ym);
  }
  // Positions [first, last] update the window; elsewhere it stays at an end of the data.
  const first = ibw + 1;
  const last = n - 1 - ibw;
  for (let j = 0; j < n; j++) {
    if (j >= first && j <= last) {
      const out = j - ibw - 1;
      const inn = j + ibw;
      const xo = x[out];
      const yo = y[out];
      let wt = w[out];
      let fbo = fbw;
      fbw = fbo - wt;
      let tmp = 0;
      if (fbw > 0) tmp = (fbo * wt * (xo - xm)) / fbw;
      vr -= tmp * (xo - xm);
      cv -= tmp * (yo - ym);
      if (fbw > 0) {
        xm = (fbo * xm - wt * xo) / fbw;
        ym = (fbo * ym - wt * yo) / fbw;
      } else {
        vr = 0;
        cv = 0;
      }
      const xi = x[inn];
      const yi = y[inn];
      wt = w[inn];
      fbo = fbw;
      fbw = fbo + wt;
      if (fbw > 0) {
        xm = (fbo * xm + wt * xi) / fbw;
        ym = (fbo * ym + wt * yi) / fbw;
      }
      tmp = 0;
      if (fbo > 0) tmp = (fbw * wt * (xi - xm)) / fbo;
      vr += tmp * (xi - xm);
      cv += tmp * (yi - ym);
    }
    const dx = x[j] - xm;
    let a = 0;
    if (vr > vsmlsq) a = cv / vr;
    const s = a * dx + ym;
    smo[j] = s;
    if (acvr !== null) {
      if (fbw > 0) {
        let h = 1 / fbw;
        if (vr > vsmlsq) h += (dx * dx) / vr;
        acvr[j] = Math.abs(y[j] - s) / (1 - w[j] * h);
      } else {
        acvr[j] = 0;
      }
    }
  }
  averageTiesWeighted(n, x, w, smo);
}

/** Tied x get the weighted mean of their values. */
function averageTiesWeighted(n: number, x: Float64Array, w: Float64Array, smo: Float64Array): void {
  let j = 0;
  while (j < n) {
    const j0 = j;
    let sy = smo[j] * w[j];
    let fbw = w[j];
    while (j < n - 1 && x[j + 1] <= x[j]) {
      j++;
      sy = sy + w[j] * smo[j];
      fbw = fbw + w[j];
    }
    if (j > j0) {
      if (fbw > 0) {
        sy = sy / fbw;
      } else {
        sy = 0;
        for (let i = j0; i <= j; i++) sy += smo[i];
        sy /= j - j0 + 1;
      }
      for (let i = j0; i <= j; i++) smo[i] = sy;
    }
    j++;
  }
}

/**
 * The supersmoother on sorted (x, y, w). `span > 0`: one running-lines pass with that
 * span. `span = 0`: cross-validated choice among the three spans per point, with bass
 * enhancement `alpha` in (0, 10] pulling towards the woofer; `alpha` outside that range
 * disables it. Writes the smooth into `smo`.
 */
export function supsmuInto(
  n: number,
  x: Float64Array,
  y: Float64Array,
  w: Float64Array,
  span: number,
  alpha: number,
  smo: Float64Array,
  ws: SupsmuWorkspace,
): void {
  if (!(x[n - 1] > x[0])) {
    let sy = 0;
    let sw = 0;
    for (let j = 0; j < n; j++) {
      sy = sy + w[j] * y[j];
      sw = sw + w[j];
    }
    const a = sw > 0 ? sy / sw : 0;
    for (let j = 0; j < n; j++) smo[j] = a;
    return;
  }
  // Interquartile spread (widened until positive) sets the threshold below which a
  // window's x variance counts as zero and the local slope is dropped.
  let lo = n >> 2;
  let hi = 3 * lo;
  if (lo < 1) lo = 1;
  if (hi < 1) hi = 1;
  let scale = x[hi - 1] - x[lo - 1];
  while (!(scale > 0)) {
    if (hi < n) hi++;
    if (lo > 1) lo--;
    scale = x[hi - 1] - x[lo - 1];
  }
  const e = EPS * scale;
  const vsmlsq = e * e;

  if (span > 0) {
    runningLines(n, x, y, w, span, vsmlsq, smo, null);
    return;
  }
  const { fitT, resT, fitM, resM, fitW, resW, cv } = ws;
  runningLines(n, x, y, w, SPAN_T, vsmlsq, fitT, cv);
  runningLines(n, x, cv, w, SPAN_M, vsmlsq, resT, null);
  runningLines(n, x, y, w, SPAN_M, vsmlsq, fitM, cv);
  runningLines(n, x, cv, w, SPAN_M, vsmlsq, resM, null);
  runningLines(n, x, y, w, SPAN_W, vsmlsq, fitW, cv);
  runningLines(n, x, cv, w, SPAN_M, vsmlsq, resW, null);

  // `cv` now becomes the chosen span per point. A point where no residual is below BIG
  // keeps its woofer residual there, as acepack's shared scratch column does.
  const bass = alpha > 0 && alpha <= 10;
  const power = 10 - alpha;
  for (let j = 0; j < n; j++) {
    let resmin = BIG;
    let s = cv[j];
    const rT = resT[j];
    const rM = resM[j];
    const rW = resW[j];
    if (!(rT >= resmin)) { resmin = rT; s = SPAN_T; }
    if (!(rM >= resmin)) { resmin = rM; s = SPAN_M; }
    if (!(rW >= resmin)) { resmin = rW; s = SPAN_W; }
    if (bass && resmin < rW) {
      const ratio = resmin / rW;
      s = s + (SPAN_W - s) * Math.pow(ratio > SML ? ratio : SML, power);
    }
    cv[j] = s;
  }
  // Smoothed spans; resT is free again and holds them.
  runningLines(n, x, cv, w, SPAN_M, vsmlsq, resT, null);
  for (let j = 0; j < n; j++) {
    let s = resT[j];
    if (s <= SPAN_T) s = SPAN_T;
    if (s >= SPAN_W) s = SPAN_W;
    let f = s - SPAN_M;
    if (f >= 0) {
      f = f / (SPAN_W - SPAN_M);
      resM[j] = (1 - f) * fitM[j] + f * fitW[j];
    } else {
      f = -f / (SPAN_M - SPAN_T);
      resM[j] = (1 - f) * fitM[j] + f * fitT[j];
    }
  }
  runningLines(n, x, resM, w, SPAN_T, vsmlsq, smo, null);
}

/**
 * acepack's `smothr`: the conditional-expectation estimate ACE uses for one variable.
 * Orderable: supersmoother with bass `alpha`. Monotone: the supersmoother made
 * monotone (whichever direction fits closer), flat runs ramped, tied x averaged.
 * Linear: weighted least-squares line through the origin in y. Categorical: weighted
 * mean of y per tied x.
 */
export function smothrInto(
  kind: SmoothKind,
  n: number,
  x: Float64Array,
  y: Float64Array,
  w: Float64Array,
  smo: Float64Array,
  ws: SupsmuWorkspace,
  alpha: number = ACE_BASS_ALPHA,
): void {
  if (kind === SmoothKind.Categorical) {
    let j = 0;
    while (j < n) {
      const j0 = j;
      let sm = w[j] * y[j];
      let sw = w[j];
      while (j < n - 1 && x[j + 1] <= x[j]) {
        j++;
        sm = sm + w[j] * y[j];
        sw = sw + w[j];
      }
      if (sw > 0) {
        sm = sm / sw;
      } else {
        sm = 0;
        for (let i = j0; i <= j; i++) sm += y[i];
        sm /= j - j0 + 1;
      }
      for (let i = j0; i <= j; i++) smo[i] = sm;
      j++;
    }
    return;
  }
  if (kind === SmoothKind.Linear) {
    // No intercept in y: ACE only passes centred partial residuals and centred θ sums.
    if (!(x[n - 1] > x[0])) {
      // Constant x: acepack divides 0 by a rounding residue here; the fit is 0.
      for (let j = 0; j < n; j++) smo[j] = 0;
      return;
    }
    let sxy = 0;
    let sxx = 0;
    let sx = 0;
    let sw = 0;
    for (let j = 0; j < n; j++) {
      const xj = x[j];
      sxy = sxy + w[j] * xj * y[j];
      sxx = sxx + w[j] * (xj * xj);
      sx = sx + w[j] * xj;
      sw = sw + w[j];
    }
    const den = sxx - (sx * sx) / sw;
    const slope = den > 0 ? sxy / den : 0;
    const xbar = sx / sw;
    for (let j = 0; j < n; j++) smo[j] = slope * (x[j] - xbar);
    return;
  }
  supsmuInto(n, x, y, w, 0, alpha, smo, ws);
  if (kind !== SmoothKind.Monotone) return;

  const up = ws.fitT;
  const down = ws.resT;
  for (let j = 0; j < n; j++) {
    up[j] = smo[j];
    down[n - 1 - j] = smo[j];
  }
  isotonicInPlace(up, n);
  isotonicInPlace(down, n);
  let dUp = 0;
  let dDown = 0;
  for (let j = 0; j < n; j++) {
    const a = smo[j] - up[j];
    const b = smo[j] - down[n - 1 - j];
    dUp = dUp + a * a;
    dDown = dDown + b * b;
  }
  if (dUp < dDown) {
    for (let j = 0; j < n; j++) smo[j] = up[j];
  } else {
    for (let j = 0; j < n; j++) smo[j] = down[n - 1 - j];
  }
  rampFlatRuns(smo, n);
  let j = 0;
  while (j < n) {
    const j0 = j;
    let sm = smo[j];
    while (j < n - 1 && x[j + 1] <= x[j]) {
      j++;
      sm = sm + smo[j];
    }
    sm = sm / (j - j0 + 1);
    for (let i = j0; i <= j; i++) smo[i] = sm;
    j++;
  }
}

function checkSorted(x: Float64Array, y: Float64Array, w: Float64Array | undefined, fn: string): number {
  const n = x.length;
  if (n < 1) throw new Error(`${fn}: need at least one observation`);
  if (y.length !== n) throw new Error(`${fn}: y has length ${y.length} but x has length ${n}`);
  if (w !== undefined && w.length !== n) throw new Error(`${fn}: w has length ${w.length} but x has length ${n}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i])) throw new Error(`${fn}: x has a non-finite value (${x[i]}) at index ${i}`);
    if (!Number.isFinite(y[i])) throw new Error(`${fn}: y has a non-finite value (${y[i]}) at index ${i}`);
    if (w !== undefined && !(Number.isFinite(w[i]) && w[i] >= 0)) {
      throw new Error(`${fn}: weight at index ${i} must be finite and ≥ 0, got ${w[i]}`);
    }
    if (i > 0 && x[i] < x[i - 1]) throw new Error(`${fn}: x must be sorted ascending (index ${i})`);
  }
  return n;
}

function unitWeights(n: number): Float64Array {
  return new Float64Array(n).fill(1);
}

/**
 * Supersmoother of y on sorted x (weights default to 1). `span` 0 selects spans by
 * cross-validation; `alpha` is the bass control (acepack's ACE uses 5, plain supsmu 0).
 */
export function supsmu(
  x: Float64Array,
  y: Float64Array,
  w?: Float64Array,
  span = 0,
  alpha = 0,
): Float64Array {
  const n = checkSorted(x, y, w, 'supsmu');
  const smo = new Float64Array(n);
  supsmuInto(n, x, y, w ?? unitWeights(n), span, alpha, smo, createSupsmuWorkspace(n));
  return smo;
}

/** Fixed-span running-lines smooth of y on sorted x, as supsmu does for span > 0. */
export function smoothFixedSpan(x: Float64Array, y: Float64Array, span: number, w?: Float64Array): Float64Array {
  if (!(span > 0)) throw new Error(`smoothFixedSpan: span must be > 0, got ${span}`);
  return supsmu(x, y, w, span, 0);
}

const KIND_OF: Record<string, SmoothKind> = {
  orderable: SmoothKind.Orderable,
  monotone: SmoothKind.Monotone,
  linear: SmoothKind.Linear,
  categorical: SmoothKind.Categorical,
};

/** acepack's `l` code for a variable type. */
export function smoothKindOf(type: 'orderable' | 'categorical' | 'linear' | 'monotone'): SmoothKind {
  const k = KIND_OF[type];
  if (k === undefined) throw new Error(`unknown variable type '${String(type)}'`);
  return k;
}

/** ACE's smoother for a variable type, on sorted x (bass alpha 5, as acepack's ace). */
export function smothr(
  type: 'orderable' | 'categorical' | 'linear' | 'monotone',
  x: Float64Array,
  y: Float64Array,
  w?: Float64Array,
  alpha: number = ACE_BASS_ALPHA,
): Float64Array {
  const n = checkSorted(x, y, w, 'smothr');
  const smo = new Float64Array(n);
  smothrInto(smoothKindOf(type), n, x, y, w ?? unitWeights(n), smo, createSupsmuWorkspace(n), alpha);
  return smo;
}
