/**
 * Supersmoother of the "pcace-2021" ACE flavour: the variable-span smoother of the
 * pure-Python `ace` package (v0.3.x) that the published PCACE code ran, reproduced
 * operation by operation so results agree with it to rounding.
 *
 * Steps, all on x-sorted data (see `running-line-pcace2021.ts` for the running line):
 * 1. running lines with spans 0.05, 0.2 and 0.5, with their absolute cross-validated
 *    residuals;
 * 2. each residual sequence smoothed with span 0.2;
 * 3. at each point, the span whose smoothed residual is the first minimum (compared with
 *    '<' from the tweeter on, like Python's `min`, so a NaN tweeter residual wins);
 *    no bass enhancement (alpha = 0);
 * 4. those spans smoothed with span 0.2; the three primary smooths interpolated at the
 *    smoothed span like `numpy.interp` (ends held);
 * 5. the interpolated values smoothed with span 0.05.
 * No special handling of tied x. Unlike acepack's `supsmu`, spans are not clamped and
 * windows with zero x-variance give 0.
 *
 * Everything that depends on x alone is computed by `prepare` once per sorted x and can
 * be reused for any number of y (ACE smooths against the same sorted predictor many
 * times). Nothing is allocated per smooth.
 */
import {
  RunningLineStats,
  numpySum,
  runningLineTriple,
  runningLineWithStats,
} from './running-line-pcace2021';

export { numpySum, numpySum32, numpyMean32, runningLinePcace2021 } from './running-line-pcace2021';

/** Tweeter, midrange and bass spans (fractions of n). */
export const PCACE2021_SPANS: readonly [number, number, number] = [0.05, 0.2, 0.5];

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

/** x-side preparation of the supersmoother for one sorted abscissa. */
export class SupsmuAbscissa {
  readonly capacity: number;
  /** The sorted abscissa (a reference to the caller's array, not a copy). */
  x: Float64Array = new Float64Array(0);
  n = 0;
  readonly stats: readonly [RunningLineStats, RunningLineStats, RunningLineStats];

  constructor(capacity: number) {
    this.capacity = capacity;
    this.stats = [
      new RunningLineStats(capacity),
      new RunningLineStats(capacity),
      new RunningLineStats(capacity),
    ];
  }

  /**
   * Prepare for sorted `x[0..n)`; `x` must stay unchanged while this is in use. With
   * `float32`, x holds float32 values smoothed as a NumPy float32 array would be (see
   * `RunningLineStats.compute`); the smoothed values themselves stay float64.
   */
  compute(x: Float64Array, n: number, float32 = false): this {
    if (n > this.capacity) {
      throw new Error(`SupsmuAbscissa: ${n} points exceed the capacity ${this.capacity}`);
    }
    this.x = x;
    this.n = n;
    for (let j = 0; j < 3; j++) this.stats[j].compute(x, n, PCACE2021_SPANS[j], float32);
    return this;
  }
}

type Triple = [Float64Array, Float64Array, Float64Array];

/** Reusable supersmoother workspace for up to `capacity` points. */
export class SupsmuPcace2021 {
  readonly capacity: number;
  private readonly primary: Triple;
  private readonly resid: Triple;
  private readonly residSmooth: Triple;
  private readonly bestSpan: Float64Array;
  private readonly smoothSpan: Float64Array;
  private readonly blended: Float64Array;
  private readonly scratchAbscissa: SupsmuAbscissa;

  constructor(capacity: number) {
    this.capacity = capacity;
    const make = () => new Float64Array(capacity);
    this.primary = [make(), make(), make()];
    this.resid = [make(), make(), make()];
    this.residSmooth = [make(), make(), make()];
    this.bestSpan = make();
    this.smoothSpan = make();
    this.blended = make();
    this.scratchAbscissa = new SupsmuAbscissa(capacity);
  }

  /** Smooth `y[0..n)` against sorted `x[0..n)` into `out` (may not alias x or y). */
  smooth(x: Float64Array, y: Float64Array, n: number, out: Float64Array): void {
    this.smoothPrepared(this.scratchAbscissa.compute(x, n), y, out);
  }

  /** Smooth `y` against a prepared abscissa into `out` (may not alias y). */
  smoothPrepared(ab: SupsmuAbscissa, y: Float64Array, out: Float64Array): void {
    const n = ab.n;
    if (n > this.capacity) {
      throw new Error(`SupsmuPcace2021: ${n} points exceed the workspace capacity ${this.capacity}`);
    }
    const x = ab.x;
    const [tweeter, mid] = ab.stats;
    const [p0, p1, p2] = this.primary;
    const [r0, r1, r2] = this.residSmooth;

    runningLineTriple(ab.stats, x, [y, y, y], this.primary, this.resid);
    runningLineTriple([mid, mid, mid], x, this.resid, this.residSmooth, null);

    const best = this.bestSpan;
    for (let i = 0; i < n; i++) {
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
    runningLineWithStats(mid, x, best, spans, null);

    const blended = this.blended;
    for (let i = 0; i < n; i++) blended[i] = interpSpans(spans[i], p0[i], p1[i], p2[i]);
    runningLineWithStats(tweeter, x, blended, out, null);
  }
}
