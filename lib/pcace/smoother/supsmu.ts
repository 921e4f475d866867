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
 *
 * The weighted sums and window loops below repeat those of running-lines.ts and the
 * window plans on purpose: each keeps acepack's operations inline and in its order
 * (deliberate unrolling, checked bit-for-bit against the other variants).
 */
import { makeMonotone } from './monotone';
import { runningLines, tiedMeans } from './running-lines';
import { fillWindowPlan, planSmooth, type SupsmuPlan } from './window-plan';
import { planSmooth3, planSmoothSpans3 } from './window-plan-fused';

export { createSupsmuPlan, type SupsmuPlan } from './window-plan';

export { runningLines };

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
  readonly fitM: Float64Array;
  readonly fitW: Float64Array;
  readonly cvT: Float64Array;
  readonly cvM: Float64Array;
  /** Woofer residuals, then the chosen span per point (acepack's shared column 7). */
  readonly cv: Float64Array;
  readonly resT: Float64Array;
  readonly resM: Float64Array;
  readonly resW: Float64Array;
}

export function createSupsmuWorkspace(n: number): SupsmuWorkspace {
  const col = (): Float64Array => new Float64Array(n);
  return {
    capacity: n,
    fitT: col(),
    fitM: col(),
    fitW: col(),
    cvT: col(),
    cvM: col(),
    cv: col(),
    resT: col(),
    resM: col(),
    resW: col(),
  };
}

function weightedMeanInto(n: number, y: Float64Array, w: Float64Array, smo: Float64Array): void {
  let sy = 0;
  let sw = 0;
  for (let j = 0; j < n; j++) {
    sy = sy + w[j] * y[j];
    sw = sw + w[j];
  }
  const a = sw > 0 ? sy / sw : 0;
  for (let j = 0; j < n; j++) smo[j] = a;
}

/**
 * Squared threshold below which a window's x variance counts as zero (slope dropped):
 * from the interquartile spread of x, widened until positive. x must not be constant.
 */
function varianceFloor(n: number, x: Float64Array): number {
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
  return e * e;
}

/**
 * Per point, the span whose smoothed cross-validation residual is smallest, pulled
 * towards the woofer by the bass control. Reads `spans[j]` first: a point where no
 * residual is below BIG keeps it, as acepack's shared scratch column does.
 */
function chooseSpans(n: number, resT: Float64Array, resM: Float64Array, resW: Float64Array, alpha: number, spans: Float64Array): void {
  const bass = alpha > 0 && alpha <= 10;
  const power = 10 - alpha;
  // Math.pow costs ~25× a multiply and runs once per point; ACE's alpha 5 needs r⁵,
  // which three multiplications give to within 2 ulp (pow itself is not exact either).
  const fifth = power === 5;
  for (let j = 0; j < n; j++) {
    let resmin = BIG;
    let s = spans[j];
    const rT = resT[j];
    const rM = resM[j];
    const rW = resW[j];
    if (!(rT >= resmin)) { resmin = rT; s = SPAN_T; }
    if (!(rM >= resmin)) { resmin = rM; s = SPAN_M; }
    if (!(rW >= resmin)) { resmin = rW; s = SPAN_W; }
    if (bass && resmin < rW) {
      let r = resmin / rW;
      if (!(r > SML)) r = SML;
      let g: number;
      if (fifth) {
        const r2 = r * r;
        g = r2 * r2 * r;
      } else {
        g = Math.pow(r, power);
      }
      s = s + (SPAN_W - s) * g;
    }
    spans[j] = s;
  }
}

/** Interpolates between the two fits whose spans bracket the (smoothed) chosen span. */
function blendFits(n: number, spans: Float64Array, fitT: Float64Array, fitM: Float64Array, fitW: Float64Array, out: Float64Array): void {
  for (let j = 0; j < n; j++) {
    let s = spans[j];
    if (s <= SPAN_T) s = SPAN_T;
    if (s >= SPAN_W) s = SPAN_W;
    let f = s - SPAN_M;
    if (f >= 0) {
      f = f / (SPAN_W - SPAN_M);
      out[j] = (1 - f) * fitM[j] + f * fitW[j];
    } else {
      f = -f / (SPAN_M - SPAN_T);
      out[j] = (1 - f) * fitM[j] + f * fitT[j];
    }
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
    weightedMeanInto(n, y, w, smo);
    return;
  }
  const vsmlsq = varianceFloor(n, x);
  if (span > 0) {
    runningLines(n, x, y, w, span, vsmlsq, smo, null);
    return;
  }
  const { fitT, fitM, fitW, cvT, cvM, cv, resT, resM, resW } = ws;
  runningLines(n, x, y, w, SPAN_T, vsmlsq, fitT, cvT);
  runningLines(n, x, y, w, SPAN_M, vsmlsq, fitM, cvM);
  runningLines(n, x, y, w, SPAN_W, vsmlsq, fitW, cv);
  runningLines(n, x, cvT, w, SPAN_M, vsmlsq, resT, null);
  runningLines(n, x, cvM, w, SPAN_M, vsmlsq, resM, null);
  runningLines(n, x, cv, w, SPAN_M, vsmlsq, resW, null);
  chooseSpans(n, resT, resM, resW, alpha, cv);
  runningLines(n, x, cv, w, SPAN_M, vsmlsq, resT, null);
  blendFits(n, resT, fitT, fitM, fitW, resM);
  runningLines(n, x, resM, w, SPAN_T, vsmlsq, smo, null);
}

/** Fills `plan` for smoothing against sorted x with weights w (see window-plan.ts). */
export function fillSupsmuPlan(plan: SupsmuPlan, n: number, x: Float64Array, w: Float64Array): void {
  plan.constant = !(x[n - 1] > x[0]);
  plan.ok = false;
  if (plan.constant) return;
  let tied = false;
  for (let j = 1; j < n && !tied; j++) tied = !(x[j] > x[j - 1]);
  plan.tied = tied;
  const vsmlsq = varianceFloor(n, x);
  plan.vsmlsq = vsmlsq;
  fillWindowPlan(plan.tweeter, n, x, w, SPAN_T, vsmlsq);
  fillWindowPlan(plan.midrange, n, x, w, SPAN_M, vsmlsq);
  fillWindowPlan(plan.woofer, n, x, w, SPAN_W, vsmlsq);
  plan.ok = plan.tweeter.ok && plan.midrange.ok && plan.woofer.ok;
}

/** `supsmuInto(n, x, y, w, 0, alpha, …)` with the x-side precomputed in `plan`. */
export function supsmuPlanned(
  plan: SupsmuPlan,
  n: number,
  x: Float64Array,
  y: Float64Array,
  w: Float64Array,
  alpha: number,
  smo: Float64Array,
  ws: SupsmuWorkspace,
): void {
  if (plan.constant) {
    weightedMeanInto(n, y, w, smo);
    return;
  }
  if (!plan.ok) {
    supsmuInto(n, x, y, w, 0, alpha, smo, ws);
    return;
  }
  const { fitT, fitM, fitW, cvT, cvM, cv, resT, resM, resW } = ws;
  const tied = plan.tied;
  planSmoothSpans3(plan.tweeter, plan.midrange, plan.woofer, n, x, y, w, tied, fitT, fitM, fitW, cvT, cvM, cv);
  planSmooth3(plan.midrange, n, x, w, tied, cvT, cvM, cv, resT, resM, resW);
  chooseSpans(n, resT, resM, resW, alpha, cv);
  planSmooth(plan.midrange, n, x, cv, w, tied, resT, null);
  blendFits(n, resT, fitT, fitM, fitW, resM);
  planSmooth(plan.tweeter, n, x, resM, w, tied, smo, null);
}

/**
 * acepack's `smothr`: the conditional-expectation estimate ACE uses for one variable
 * (`plan`, when given, must have been filled from this x and w).
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
  plan: SupsmuPlan | null = null,
): void {
  if (kind === SmoothKind.Categorical) {
    tiedMeans(n, x, w, y, smo, true);
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
  if (plan !== null) supsmuPlanned(plan, n, x, y, w, alpha, smo, ws);
  else supsmuInto(n, x, y, w, 0, alpha, smo, ws);
  if (kind !== SmoothKind.Monotone) return;

  makeMonotone(n, x, smo, ws.fitT, ws.resT);
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
