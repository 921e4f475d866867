/**
 * The null that decides whether a channel beats noise: a POOLED permutation
 * null of the very statistic that ranks the layer.
 *
 * Each draw shuffles the response with a permutation that depends only on
 * (seed, n, draw), reuses one channel's PCA (PCA never sees the response) and
 * recomputes the ranking statistic with exactly the observed definition: the
 * same paired splits and the same adaptive repeat rule (crossfit.ts). So a
 * draw on channel c is an exact draw from c's own permutation null, including
 * the rule's choice of R: the null of a channel that stopped at R repeats is
 * not the null of an R-repeat mean with R fixed in advance, and conditioning
 * on the observed R would ignore that R depends on the data. Applying the rule
 * inside every draw keeps the p-value exact for the channel drawn.
 *
 * Draws are spread over the layer's channels round-robin (draw b uses channel
 * b mod m) and pooled: one null serves every channel of the layer. Pooling is
 * an approximation — it assumes the statistic's null hardly depends on the
 * channel — and bench/null-calibration.ts measures it (per-channel null
 * quantiles and KS distances against the pooled null, bench/README.md).
 *
 * The FDR requirement and the cost budget conflict: the smallest empirical p,
 * 1/(B+1), can pass the strictest BH threshold α/m only when B ≥ m/α − 1
 * (20 m at α = 0.05), i.e. 20 statistic evaluations per channel, while the
 * default analysis may spend 0.3. Beyond the largest draw the p-value
 * therefore comes from a fitted tail: a normal fit to the pooled draws, read
 * through its predictive distribution, (obs − mean)/(sd·√(1 + 1/B)) ~ t(B − 1),
 * exact for a normal null at any B ≥ 3 (the uncertainty of the fitted mean and
 * sd is in the t), which reaches the small p-values BH needs. Where a draw
 * reaches the observed value the exact empirical p is used: with the fitted
 * tail everywhere, 8–10 % of null channels fell below the uncorrected 5 %
 * level, so the fit is trusted only where no draw can speak (bench/README.md
 * "Null calibration").
 */
import { ace, type AceFlavour } from './ace/index';
import { aceCorrelations } from './correlations';
import { adaptiveCrossFit, type CrossFitRule } from './crossfit';
import { Rng } from './random';
import { incompleteBeta } from './special';
import { mean, quantile, sampleSd, sortedCopy } from './stats';

/** The raw statistic a null is built for. */
export type NullStatistic = 'pc1' | 'multiple' | 'crossfit';

/** Permutation of draw b: a function of (seed, n, b) only, shared by every channel and layer. */
export function nullPermutation(n: number, seed: number, draw: number): Int32Array {
  const rng = new Rng((Math.imul(seed >>> 0, 0x27d4eb2d) ^ Math.imul(draw + 1, 0x165667b1) ^ 0x3c6ef372) >>> 0);
  return rng.permutation(n);
}

/** Draw indices channel `index` computes when B draws are spread round-robin over m channels. */
export function drawsForChannel(index: number, channels: number, B: number): number[] {
  const out: number[] = [];
  for (let b = index; b < B; b += channels) out.push(b);
  return out;
}

export interface NullStatisticOptions {
  statistic: NullStatistic;
  flavour: AceFlavour;
  rule: CrossFitRule;
  /** The analysis seed: the cross-fit splits are the observed statistic's. */
  seed: number;
}

/** The statistic on a permuted response: the observed definition, nothing else changed. */
export function statisticUnderPermutation(pcs: Float64Array[], y: Float64Array, perm: Int32Array, options: NullStatisticOptions): number {
  const yp = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) yp[i] = y[perm[i]];
  return statisticOf(pcs, yp, options);
}

export function statisticOf(pcs: Float64Array[], y: Float64Array, options: NullStatisticOptions): number {
  if (pcs.length === 0) return 0;
  if (options.statistic === 'crossfit') return adaptiveCrossFit(pcs, y, options.flavour, options.rule, options.seed).score;
  const fit = ace(options.flavour, pcs, y);
  const c = aceCorrelations(fit.tx, fit.ty);
  return options.statistic === 'pc1' ? c.pc1 : c.multiple;
}

export interface NullSummary {
  /** Number of draws. */
  B: number;
  /** True when the draws were spread over the layer's channels and shared. */
  pooled: boolean;
  mean: number;
  sd: number;
  q50: number;
  q95: number;
  q99: number;
  max: number;
  /** KS distance between the draws and their normal fit (how normal the null looks). */
  ks_normal: number;
}

export function summariseNull(draws: ArrayLike<number>, pooled: boolean): NullSummary {
  const sorted = sortedCopy(draws);
  const m = mean(sorted);
  const sd = sampleSd(sorted);
  return {
    B: sorted.length,
    pooled,
    mean: m,
    sd,
    q50: quantile(sorted, 0.5),
    q95: quantile(sorted, 0.95),
    q99: quantile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    ks_normal: ksAgainstNormal(sorted, m, sd),
  };
}

export interface NullTest {
  /**
   * What verdicts use: the empirical p when some draw reaches the observed value,
   * beyond the largest draw the fitted tail (normal fit, t(B − 1) predictive),
   * capped at 1/(B + 1). So P(p ≤ a) ≤ a holds exactly for a ≥ 1/(B + 1) whatever
   * the null's shape; only the smaller p-values BH needs rest on the fit.
   */
  p: number;
  /** (1 + #{null ≥ observed}) / (B + 1): exact for the channels drawn, coarse at small B. */
  p_empirical: number;
}

export function nullTest(draws: ArrayLike<number>, summary: NullSummary, observed: number): NullTest {
  let hits = 0;
  for (let i = 0; i < draws.length; i++) if (draws[i] >= observed - 1e-12) hits++;
  const p_empirical = (1 + hits) / (draws.length + 1);
  // Empirical where a draw reaches the observed value; the fitted tail only beyond
  // the largest draw, never above 1/(B+1) there.
  const p = hits > 0 ? p_empirical : Math.min(predictiveUpperP(observed, summary), 1 / (draws.length + 1));
  return { p, p_empirical };
}

/** P(T ≥ observed) for a new draw T from the fitted normal, accounting for the fit's uncertainty. */
export function predictiveUpperP(observed: number, s: Pick<NullSummary, 'B' | 'mean' | 'sd'>): number {
  if (s.B < 3 || !(s.sd > 0)) return observed > s.mean ? 0 : 1;
  const t = (observed - s.mean) / (s.sd * Math.sqrt(1 + 1 / s.B));
  return studentUpper(t, s.B - 1);
}

/** P(T_df ≥ t). */
export function studentUpper(t: number, df: number): number {
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  const half = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? half : 1 - half;
}

export interface Effect {
  /** (observed − null mean) / null sd. */
  effect: number;
  /** 95 % interval: delta method over the observed score's standard error and the null's own sampling error. */
  ci: [number, number];
}

/**
 * Null-standardised effect d = (o − μ̂)/σ̂ with a 95 % interval from the delta
 * method: Var d ≈ (se_o² + σ̂²/B)/σ̂² + d²/(2(B − 1)); se_o is the observed
 * score's standard error (its Monte Carlo error over splits, or its bootstrap
 * sd over images when available), σ̂²/B the error of the null mean and
 * d²/(2(B−1)) that of the null sd.
 */
export function nullStandardisedEffect(observed: number, observedSe: number, s: Pick<NullSummary, 'B' | 'mean' | 'sd'>): Effect {
  if (!(s.sd > 0) || s.B < 2) return { effect: NaN, ci: [NaN, NaN] };
  const d = (observed - s.mean) / s.sd;
  const v = (observedSe * observedSe + (s.sd * s.sd) / s.B) / (s.sd * s.sd) + (d * d) / (2 * (s.B - 1));
  const h = 1.959963984540054 * Math.sqrt(v);
  return { effect: d, ci: [d - h, d + h] };
}

/** Kolmogorov–Smirnov distance between sorted values and N(m, sd²). */
export function ksAgainstNormal(sorted: ArrayLike<number>, m: number, sd: number): number {
  const n = sorted.length;
  if (n === 0 || !(sd > 0)) return NaN;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = normalCdf((sorted[i] - m) / sd);
    d = Math.max(d, Math.abs(f - i / n), Math.abs((i + 1) / n - f));
  }
  return d;
}

/** Two-sample KS distance (sorted inputs). */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const v = Math.min(a[i], b[j]);
    while (i < a.length && a[i] <= v) i++;
    while (j < b.length && b[j] <= v) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}

export function normalCdf(z: number): number {
  // Φ via the complementary error function (Numerical Recipes erfc, |error| < 1.2e-7).
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const y =
    t *
    Math.exp(
      -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return z >= 0 ? 1 - 0.5 * y : 0.5 * y;
}
