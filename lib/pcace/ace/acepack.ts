/**
 * ACE (Breiman & Friedman 1985) as R's acepack 1.4.1 computes it with `ace(x, y)`:
 * the Fortran `mace` with one eigensolution, reproduced to rounding.
 *
 * What acepack does, and therefore what this does:
 * - start values: θ = standardized y; φ_i = least-squares coefficient × centred x_i
 *   (acepack's conjugate-gradient `scail`, stopped like acepack, not solved exactly);
 * - inner loop: backfit each φ_i on the partial residual with the variable's smoother,
 *   keeping an update only if it raises rsq; sweeps repeat while rsq rises by more than
 *   `delrsq` (a single predictor gets one sweep);
 * - then θ = smooth of Σφ_i against y, centred, scaled to weighted variance 1;
 * - stop when the last three rsq values lie within `delrsq`, or after `maxit` outer
 *   iterations (acepack: 20, also the cap on inner sweeps);
 * - orderable variables use the supersmoother with bass alpha 5 (ace reads it from the
 *   AVAS common block), whose running-line windows count positions, so observations
 *   are ordered with acepack's own (unstable) quicksort.
 *
 * Speed without changing a bit: each variable is sorted once, and the supersmoother's
 * x-side (window means, variances, leverages) is computed once per fit instead of in
 * every pass (`smoother/window-plan.ts`), since x and the weights never change.
 *
 * Where acepack fails with an error code this throws (zero total weight, constant y);
 * when θ's smooth has zero variance (acepack's ierr 3) the fit stops and returns the
 * current transforms, as R's ace does. Values ≥ 1e20 are acepack's "missing" code: they
 * start at φ = 0 and are otherwise smoothed like any other value, as in acepack.
 * For n ≤ 4 acepack reads past its arrays (and for n = 3 never returns); there the
 * windows are clipped to the data, see `smoother/supsmu.ts`.
 */
import type { AceOptions, AceResult, VarType } from './types';
import {
  ACE_BASS_ALPHA,
  SmoothKind,
  createSupsmuPlan,
  createSupsmuWorkspace,
  fillSupsmuPlan,
  smothrInto,
  smoothKindOf,
  type SupsmuPlan,
  type SupsmuWorkspace,
} from '../smoother/supsmu';
import { acepackOrder, createSortScratch, type SortScratch } from '../smoother/sort';
import { linearStart } from './linear-start';
import { checkAceInputs } from './inputs';

/** acepack defaults (`ace()` and the `prams` block data). */
export const ACEPACK_MAXIT = 20;
export const ACEPACK_DELRSQ = 0.01;
const NTERM = 3;
/** acepack's missing-value threshold: a single-precision 1e20 literal. */
const BIG = Math.fround(1e20);

const VAR_TYPES: readonly VarType[] = ['orderable', 'categorical', 'linear', 'monotone'];

function fail(message: string): never {
  throw new Error(`aceAcepack: ${message}`);
}

/** Σ w·f / sw, summed in acepack's order (the fit's weighted mean, which ACE removes). */
function weightedMean(f: Float64Array, w: Float64Array, n: number, sw: number): number {
  let sm = 0;
  for (let j = 0; j < n; j++) sm = sm + w[j] * f[j];
  return sm / sw;
}

interface Checked {
  n: number;
  p: number;
  kinds: SmoothKind[];
  yKind: SmoothKind;
  w: Float64Array | null;
  maxit: number;
  delrsq: number;
}

function validate(x: Float64Array[], y: Float64Array, opts: AceOptions): Checked {
  checkAceInputs(x, y, { fail, columns: 'predictor columns', position: 'row' });
  const n = y.length;
  const p = x.length;
  const typeOf = (t: unknown, what: string): SmoothKind => {
    if (!VAR_TYPES.includes(t as VarType)) fail(`${what} has unknown type '${String(t)}'`);
    return smoothKindOf(t as VarType);
  };
  let kinds: SmoothKind[];
  if (opts.xTypes !== undefined) {
    if (opts.xTypes.length !== p) fail(`xTypes has ${opts.xTypes.length} entries for ${p} predictors`);
    kinds = opts.xTypes.map((t, i) => typeOf(t, `x[${i}]`));
  } else {
    kinds = new Array<SmoothKind>(p).fill(SmoothKind.Orderable);
  }
  const yKind = opts.yType === undefined ? SmoothKind.Orderable : typeOf(opts.yType, 'y');
  let w: Float64Array | null = null;
  if (opts.weights !== undefined) {
    w = opts.weights;
    if (!(w instanceof Float64Array)) fail('weights must be a Float64Array');
    if (w.length !== n) fail(`weights has length ${w.length} but y has length ${n}`);
    let sw = 0;
    for (let j = 0; j < n; j++) {
      const v = w[j];
      if (!(Number.isFinite(v) && v >= 0)) fail(`weights[${j}] must be finite and ≥ 0, got ${v}`);
      sw += v;
    }
    if (!(sw > 0)) fail('weights sum to zero');
  }
  const maxit = opts.maxit ?? ACEPACK_MAXIT;
  if (!(Number.isInteger(maxit) && maxit >= 1)) fail(`maxit must be an integer ≥ 1, got ${maxit}`);
  const delrsq = opts.delrsq ?? ACEPACK_DELRSQ;
  if (!(Number.isFinite(delrsq) && delrsq > 0)) fail(`delrsq must be a positive number, got ${delrsq}`);
  return { n, p, kinds, yKind, w, maxit, delrsq };
}

/** Per-(n, p) scratch, kept between fits: the product runs thousands of equal-sized fits. */
interface Workspace {
  n: number;
  p: number;
  /** Sorting permutations of predictor i at orders[i], of the response at orders[p]. */
  orders: Int32Array[];
  /** Predictor values and weights in each predictor's sorted order, the response last. */
  xSorted: Float64Array[];
  wSorted: Float64Array[];
  target: Float64Array;
  fit: Float64Array;
  resid: Float64Array;
  sumPhi: Float64Array;
  unit: Float64Array;
  smoother: SupsmuWorkspace;
  /** Supersmoother x-sides per variable (same slots as `orders`), built when needed. */
  plans: (SupsmuPlan | null)[];
  sort: SortScratch;
  coef: Float64Array;
  /** The start columns row by row (n × p), so per-row sums over predictors are contiguous. */
  rows: Float64Array;
}

/**
 * The two most recent workspaces: a channel's full-sample fit and its cross-fit folds
 * (half the images) alternate sizes, and one slot rebuilt ≈ 1 MB of plans each time.
 */
const cached: Workspace[] = [];

function workspace(n: number, p: number): Workspace {
  for (let i = 0; i < cached.length; i++) {
    const ws = cached[i];
    if (ws.n !== n || ws.p !== p) continue;
    if (i > 0) {
      cached.splice(i, 1);
      cached.unshift(ws);
    }
    return ws;
  }
  const cols = (k: number): Float64Array[] => Array.from({ length: k }, () => new Float64Array(n));
  const perm = new Int32Array((p + 1) * n);
  const ws: Workspace = {
    n,
    p,
    orders: Array.from({ length: p + 1 }, (_, i) => perm.subarray(i * n, (i + 1) * n)),
    xSorted: cols(p + 1),
    wSorted: cols(p + 1),
    target: new Float64Array(n),
    fit: new Float64Array(n),
    resid: new Float64Array(n),
    sumPhi: new Float64Array(n),
    unit: new Float64Array(n).fill(1),
    smoother: createSupsmuWorkspace(n),
    plans: new Array<SupsmuPlan | null>(p + 1).fill(null),
    sort: createSortScratch(n),
    coef: new Float64Array(5 * p),
    rows: new Float64Array(n * p),
  };
  cached.unshift(ws);
  if (cached.length > 2) cached.pop();
  return ws;
}

/** Weighted centring for the start values; "missing" entries (≥ BIG) become 0. */
function centre(src: Float64Array, dst: Float64Array, w: Float64Array, n: number): boolean {
  let sm = 0;
  let sw1 = 0;
  for (let j = 0; j < n; j++) {
    const v = src[j];
    dst[j] = v;
    if (v >= BIG) continue;
    sm = sm + w[j] * v;
    sw1 = sw1 + w[j];
  }
  if (!(sw1 > 0)) {
    dst.fill(0);
    return false;
  }
  sm = sm / sw1;
  for (let j = 0; j < n; j++) dst[j] = dst[j] >= BIG ? 0 : dst[j] - sm;
  return true;
}

/**
 * ACE transforms of predictors `x` (column-major, one Float64Array per predictor) and
 * response `y`, exactly as R's `acepack::ace(x, y, wt, cat, mon, lin, delrsq)`.
 */
export function aceAcepack(x: Float64Array[], y: Float64Array, opts: AceOptions = {}): AceResult {
  const { n, p, kinds, yKind, w: wOpt, maxit, delrsq } = validate(x, y, opts);
  const ws = workspace(n, p);
  const w = wOpt ?? ws.unit;
  const { orders, xSorted, wSorted, target, fit, resid, sumPhi, smoother } = ws;

  let sw = 0;
  for (let j = 0; j < n; j++) sw = sw + w[j];

  // One backing store for all outputs: separate typed arrays each cost an external
  // allocation that the garbage collector must track, noticeable over thousands of fits.
  const out = new Float64Array((p + 1) * n);
  const tx = Array.from({ length: p }, (_, i) => out.subarray(i * n, (i + 1) * n));
  const ty = out.subarray(p * n);
  for (let i = 0; i < p; i++) centre(x[i], tx[i], w, n);
  if (!centre(y, ty, w, n)) fail('all observations of y have zero weight');
  let sv = 0;
  for (let j = 0; j < n; j++) sv = sv + w[j] * (ty[j] * ty[j]);
  sv = sv / sw;
  if (!(sv > 0)) fail('y has zero variance (constant response)');
  sv = 1 / Math.sqrt(sv);
  for (let j = 0; j < n; j++) ty[j] = ty[j] * sv;

  // Orders never change across iterations: sort once, keep sorted copies, and prepare
  // the supersmoother's x-side for each variable it will smooth against.
  const plans = ws.plans;
  const sortInto = (values: Float64Array, slot: number, kind: SmoothKind): void => {
    const order = orders[slot];
    const known = opts.orders?.[slot];
    if (known) order.set(known);
    else acepackOrder(values, order, ws.sort);
    const xs = xSorted[slot];
    const wsrt = wSorted[slot];
    for (let j = 0; j < n; j++) {
      const k = order[j];
      xs[j] = values[k];
      wsrt[j] = w[k];
    }
    if (kind === SmoothKind.Orderable || kind === SmoothKind.Monotone) {
      const plan = plans[slot] ?? (plans[slot] = createSupsmuPlan(n));
      fillSupsmuPlan(plan, n, xs, wsrt);
    }
  };
  sortInto(y, p, yKind);
  for (let i = 0; i < p; i++) sortInto(x[i], i, kinds[i]);

  linearStart(n, p, w, sw, ty, tx, delrsq, p, resid, ws.coef, ws.rows, fit);

  let rsq = 0;
  let iter = 0;
  let innerTotal = 0;
  let nt = 0;
  const ct = [100, 100, 100];
  const yOrder = orders[p];
  outer: for (;;) {
    iter++;
    let nit = 0;
    for (;;) {
      const rsqi = rsq;
      nit++;
      // Partial residual θ − Σφ in data order (predictor by predictor: same sums, contiguous).
      resid.set(ty);
      for (let i = 0; i < p; i++) {
        const phi = tx[i];
        for (let j = 0; j < n; j++) resid[j] = resid[j] - phi[j];
      }
      for (let i = 0; i < p; i++) {
        const order = orders[i];
        const phi = tx[i];
        const ww = wSorted[i];
        for (let j = 0; j < n; j++) {
          const k = order[j];
          target[j] = resid[k] + phi[k];
        }
        smothrInto(kinds[i], n, xSorted[i], target, ww, fit, smoother, ACE_BASS_ALPHA, plans[i]);
        const sm = weightedMean(fit, ww, n, sw);
        let e = 0;
        for (let j = 0; j < n; j++) {
          const f = fit[j] - sm;
          fit[j] = f;
          const d = target[j] - f;
          e = e + ww[j] * (d * d);
        }
        const cand = 1 - e / sw;
        if (cand <= rsq) continue;
        rsq = cand;
        for (let j = 0; j < n; j++) {
          const k = order[j];
          phi[k] = fit[j];
          resid[k] = target[j] - fit[j];
        }
      }
      if (p === 1 || rsq - rsqi <= delrsq || nit >= maxit) break;
    }
    innerTotal += nit;

    // θ ← E[Σφ | y], centred and scaled.
    const wy = wSorted[p];
    sumPhi.fill(0);
    for (let i = 0; i < p; i++) {
      const phi = tx[i];
      for (let j = 0; j < n; j++) sumPhi[j] = sumPhi[j] + phi[j];
    }
    for (let j = 0; j < n; j++) target[j] = sumPhi[yOrder[j]];
    smothrInto(yKind, n, xSorted[p], target, wy, fit, smoother, ACE_BASS_ALPHA, plans[p]);
    const sm = weightedMean(fit, wy, n, sw);
    let v = 0;
    for (let j = 0; j < n; j++) {
      const f = fit[j] - sm;
      fit[j] = f;
      v = v + wy[j] * (f * f);
    }
    v = v / sw;
    if (!(v > 0)) break outer;
    v = 1 / Math.sqrt(v);
    for (let j = 0; j < n; j++) ty[yOrder[j]] = fit[j] * v;
    let e = 0;
    for (let j = 0; j < n; j++) {
      const d = ty[j] - sumPhi[j];
      e = e + w[j] * (d * d);
    }
    rsq = 1 - e / sw;

    nt = (nt % NTERM) + 1;
    ct[nt - 1] = rsq;
    let cmn = 100;
    let cmx = -100;
    for (let i = 0; i < NTERM; i++) {
      cmn = Math.min(cmn, ct[i]);
      cmx = Math.max(cmx, ct[i]);
    }
    if (cmx - cmn <= delrsq || iter >= maxit) break;
  }
  return { tx, ty, rsq, iterations: iter, innerIterations: innerTotal };
}
