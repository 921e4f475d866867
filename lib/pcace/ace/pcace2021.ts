/**
 * The "pcace-2021" ACE flavour: the alternating-conditional-expectations loop of the
 * pure-Python `ace` package v0.3.x (`ace.ACESolver`), which the published PCACE code
 * used. Pick it to reproduce published numbers; it agrees with that package to
 * rounding (well within 1e-6), iteration counts included.
 *
 * How it differs from acepack (see `lib/pcace/ace/types.ts` for the shared contract):
 * - θ starts as y standardized with the population standard deviation, every φ at 0;
 * - smoothing uses the Python package's supersmoother (`supsmu-pcace2021.ts`);
 * - within an outer iteration, backfitting sweeps over all predictors repeat while the
 *   mean squared error E[(θ − Σφ)²] strictly decreases; every update is kept, including
 *   the last one, which did not lower the error;
 * - then θ ← smooth of Σφ against y, centred and scaled to population variance 1;
 * - outer iterations repeat while that error strictly decreases, at most `maxit` (200);
 * - no tie handling, no weights, orderable variables only.
 * `rsq` is 1 − (final mean squared error)/(var θ); var θ is 1 up to rounding.
 *
 * Sums follow NumPy's order (pairwise for means and standard deviations, left to right
 * for Python's `sum` and for sums across predictors), because the stopping rule compares
 * errors exactly.
 *
 * `precision: 'float32'` reproduces the package when it is handed NumPy float32 arrays
 * (for example PCA scores of float32 activations) under NumPy 1.x promotion rules: θ's
 * initial standardisation is float32 arithmetic, and every smoother's first-window x-mean
 * is a float32 `numpy.mean` whose differences are float32 subtractions until the window
 * first moves; everything else promotes to float64. x and y must then hold float32
 * values. Checked to agree bit for bit with the package (NumPy 1.24) on float32 input.
 * The statistic is chaotic in its inputs (the inner/outer stopping rules and the
 * per-point span choice flip), so the two precisions can give |corr(φ₁, θ)| values that
 * differ by 1e-3 or more on the same data.
 */
import type { AceOptions, AceResult } from './types';
import { checkAceInputs } from './inputs';
import {
  SupsmuAbscissa,
  SupsmuPcace2021,
  numpyMean32,
  numpySum,
  numpySum32,
} from '../smoother/supsmu-pcace2021';

/** Maximum outer iterations of the Python package (its MAX_OUTERS). */
export const PCACE2021_MAX_OUTER = 200;

function fail(message: string): never {
  throw new Error(`acePcace2021: ${message}`);
}

function validate(x: Float64Array[], y: Float64Array, opts: AceOptions): void {
  checkAceInputs(x, y, { fail, columns: 'predictors', position: 'index' });
  const n = y.length;
  if (opts.xTypes !== undefined) {
    if (opts.xTypes.length !== x.length) {
      fail(`xTypes has ${opts.xTypes.length} entries for ${x.length} predictors`);
    }
    opts.xTypes.forEach((t, k) => {
      if (t !== 'orderable') fail(`x[${k}] is '${t}': this flavour only supports 'orderable'`);
    });
  }
  if (opts.yType !== undefined && opts.yType !== 'orderable') {
    fail(`yType '${opts.yType}' is not supported: this flavour only supports 'orderable'`);
  }
  if (opts.weights !== undefined) {
    const w = opts.weights;
    if (w.length !== n) fail(`weights has length ${w.length} but y has length ${n}`);
    for (let i = 0; i < n; i++) {
      if (w[i] !== 1) fail('case weights are not supported by this flavour (all must be 1)');
    }
  }
  if (opts.maxit !== undefined && !(Number.isInteger(opts.maxit) && opts.maxit >= 0)) {
    fail(`maxit must be a non-negative integer, got ${opts.maxit}`);
  }
  const precision = opts.precision ?? 'float64';
  if (precision !== 'float64' && precision !== 'float32') {
    fail(`precision must be 'float64' or 'float32', got '${String(precision)}'`);
  }
  if (precision === 'float32') {
    const check = (values: Float64Array, what: string) => {
      for (let i = 0; i < values.length; i++) {
        if (Math.fround(values[i]) !== values[i]) {
          fail(`precision 'float32' needs float32 values, but ${what}[${i}] = ${values[i]} is not one`);
        }
      }
    };
    check(y, 'y');
    x.forEach((col, k) => check(col, `x[${k}]`));
  }
}

/**
 * Indices ordering `v` increasingly, ties by index (as Python's sort of (value, index)
 * pairs). Stable bottom-up merge sort over insertion-sorted runs, no comparator callback.
 */
export function argsortStable(v: Float64Array): Int32Array {
  const n = v.length;
  let a = new Int32Array(n);
  let b = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  const run = 16;
  for (let lo = 0; lo < n; lo += run) {
    const hi = lo + run < n ? lo + run : n;
    for (let i = lo + 1; i < hi; i++) {
      const t = a[i];
      const tv = v[t];
      let j = i - 1;
      while (j >= lo && v[a[j]] > tv) {
        a[j + 1] = a[j];
        j--;
      }
      a[j + 1] = t;
    }
  }
  for (let width = run; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = lo + width < n ? lo + width : n;
      const hi = lo + 2 * width < n ? lo + 2 * width : n;
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) b[k++] = v[a[j]] < v[a[i]] ? a[j++] : a[i++];
      while (i < mid) b[k++] = a[i++];
      while (j < hi) b[k++] = a[j++];
    }
    const t = a;
    a = b;
    b = t;
  }
  return a;
}

/** Population variance with NumPy's arithmetic (`numpy.var`); `scratch` gets overwritten. */
function numpyVar(a: Float64Array, n: number, scratch: Float64Array): number {
  const mean = numpySum(a, 0, n) / n;
  for (let i = 0; i < n; i++) {
    const d = a[i] - mean;
    scratch[i] = d * d;
  }
  return numpySum(scratch, 0, n) / n;
}

/**
 * θ₀ = (y − mean y) / std y as NumPy computes it on a float32 array: float32 pairwise sums,
 * every operation rounded to float32 (`numpy.std` squares the float32 deviations).
 */
function standardizeFloat32(y: Float64Array, theta: Float64Array, scratch: Float64Array): void {
  const n = y.length;
  const f = Math.fround;
  const yMean = numpyMean32(y, 0, n);
  for (let i = 0; i < n; i++) theta[i] = f(y[i] - yMean);
  const m = numpyMean32(theta, 0, n);
  for (let i = 0; i < n; i++) {
    const d = f(theta[i] - m);
    scratch[i] = f(d * d);
  }
  const sd = f(Math.sqrt(f(numpySum32(scratch, 0, n) / n)));
  if (!(sd > 0)) fail('y is constant: θ cannot be standardized');
  for (let i = 0; i < n; i++) theta[i] = f(theta[i] / sd);
}

export function acePcace2021(
  x: Float64Array[],
  y: Float64Array,
  opts: AceOptions = {},
): AceResult {
  validate(x, y, opts);
  const n = y.length;
  const p = x.length;
  const maxOuter = opts.maxit ?? PCACE2021_MAX_OUTER;
  const float32 = opts.precision === 'float32';

  // Sort every variable once and prepare the smoother's x-side work for it.
  const yOrder = argsortStable(y);
  const ySorted = new Float64Array(n);
  for (let s = 0; s < n; s++) ySorted[s] = y[yOrder[s]];
  const yAbscissa = new SupsmuAbscissa(n).compute(ySorted, n, float32);
  const xOrder: Int32Array[] = [];
  const xAbscissa: SupsmuAbscissa[] = [];
  for (let k = 0; k < p; k++) {
    const order = argsortStable(x[k]);
    const sorted = new Float64Array(n);
    for (let s = 0; s < n; s++) sorted[s] = x[k][order[s]];
    xOrder.push(order);
    xAbscissa.push(new SupsmuAbscissa(n).compute(sorted, n, float32));
  }

  const smoother = new SupsmuPcace2021(n);
  const phi: Float64Array[] = [];
  for (let k = 0; k < p; k++) phi.push(new Float64Array(n));
  const theta = new Float64Array(n);
  const partial = new Float64Array(n); // θ − Σφ in original order
  const target = new Float64Array(n); // sorted values to smooth
  const smooth = new Float64Array(n);
  const scratch = new Float64Array(n);

  // θ = (y − mean y) / std.
  if (float32) {
    standardizeFloat32(y, theta, scratch);
  } else {
    const yMean = numpySum(y, 0, n) / n;
    for (let i = 0; i < n; i++) theta[i] = y[i] - yMean;
    const ySd = Math.sqrt(numpyVar(theta, n, scratch));
    if (!(ySd > 0)) fail('y is constant: θ cannot be standardized');
    for (let i = 0; i < n; i++) theta[i] /= ySd;
  }

  const meanSquaredError = (): number => {
    let acc = 0;
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let k = 0; k < p; k++) sum += phi[k][i];
      const d = theta[i] - sum;
      acc += d * d;
    }
    return acc / n;
  };

  const sweepPredictors = (): void => {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let k = 0; k < p; k++) sum += phi[k][i];
      partial[i] = theta[i] - sum;
    }
    for (let k = 0; k < p; k++) {
      const order = xOrder[k];
      const phiK = phi[k];
      for (let s = 0; s < n; s++) {
        const i = order[s];
        target[s] = partial[i] + phiK[i];
      }
      smoother.smoothPrepared(xAbscissa[k], target, smooth);
      const mean = numpySum(smooth, 0, n) / n;
      for (let s = 0; s < n; s++) {
        const i = order[s];
        const v = smooth[s] - mean;
        phiK[i] = v;
        partial[i] = target[s] - v;
      }
    }
  };

  const updateTheta = (): void => {
    for (let s = 0; s < n; s++) {
      const i = yOrder[s];
      let sum = 0;
      for (let k = 0; k < p; k++) sum += phi[k][i];
      target[s] = sum;
    }
    smoother.smoothPrepared(yAbscissa, target, smooth);
    const mean = numpySum(smooth, 0, n) / n;
    for (let s = 0; s < n; s++) smooth[s] -= mean;
    const sd = Math.sqrt(numpyVar(smooth, n, scratch));
    if (!(sd > 0)) {
      fail('the smooth of Σφ against y is constant, so θ is undefined (Python ace returns NaN)');
    }
    for (let s = 0; s < n; s++) theta[yOrder[s]] = smooth[s] / sd;
  };

  let outer = 0;
  let innerTotal = 0;
  let lastOuter = Infinity;
  for (;;) {
    const err = meanSquaredError();
    const decreasing = err < lastOuter;
    lastOuter = err;
    if (!decreasing || outer >= maxOuter) break;

    let lastInner = Infinity;
    for (;;) {
      const e = meanSquaredError();
      const down = e < lastInner;
      lastInner = e;
      if (!down) break;
      sweepPredictors();
      innerTotal++;
    }
    updateTheta();
    outer++;
  }

  // Reported fit: 1 − mean((θ − Σφ)²) / var θ, with NumPy's (pairwise) means. The loop
  // above used Python's left-to-right sum for the same error; the two differ by rounding.
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = 0; k < p; k++) sum += phi[k][i];
    const d = theta[i] - sum;
    target[i] = d * d;
  }
  const mse = numpySum(target, 0, n) / n;
  const thetaVar = numpyVar(theta, n, scratch);

  return {
    tx: phi,
    ty: theta,
    rsq: 1 - mse / thetaVar,
    iterations: outer,
    innerIterations: innerTotal,
  };
}
