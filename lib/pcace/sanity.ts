/**
 * Statistics of the sanity checks (Adebayo et al. 2018, "Sanity checks for
 * saliency maps", carried over to channel rankings):
 *  - trained-vs-random AUC: does the score tell a layer's trained channels
 *    from random filters of the same shape and norm on the same input? The
 *    Mann–Whitney AUC with DeLong's variance and a logit-scale interval;
 *  - a channel against the random-filter baseline: a p-value (the pooled-null
 *    machinery of pooled-null.ts: empirical where a random filter reaches the
 *    score, fitted normal tail beyond), the score minus the baseline mean, and
 *    the score in baseline standard deviations;
 *  - Spearman between the trained and a randomised ranking with a Fisher-z
 *    interval (Bonett & Wright 2000 standard error for Spearman).
 * Calibration on known truth: tests/unit/sanity-stats.test.ts.
 */
import { verdictsFor, type VerdictOptions } from './verdicts';
import { nullTest, summariseNull, type NullSummary } from './pooled-null';
import { spearman } from './ranking';
import { PcaceInputError } from './validate';

const isConstant = (v: ArrayLike<number>) => Array.prototype.every.call(v, (x: number) => x === v[0]);

/** Two-sided 95 % normal quantile, and the one for other levels. */
function zFor(level: number): number {
  if (!(level > 0 && level < 1)) throw new PcaceInputError(`confidence level must be in (0, 1), got ${level}`);
  return normalQuantile(0.5 + level / 2);
}

/** Φ⁻¹ by Acklam's rational approximation (relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

export interface AucInterval {
  /** P(trained > random) + ½ P(tie). */
  auc: number;
  ci: [number, number];
  /** DeLong's standard error (Hanley–McNeil's when DeLong's is 0: complete separation). */
  se: number;
  positives: number;
  negatives: number;
}

/**
 * AUC of `positives` over `negatives` with a confidence interval: DeLong et al.
 * (1988) structural components for the variance, the interval formed on the
 * logit scale (it stays inside (0, 1) and covers better than the raw Wald
 * interval at small samples). Under complete separation DeLong's variance is
 * 0 and the logit undefined; the raw-scale interval with the Hanley–McNeil
 * (1982) variance at the AUC moved half a pair inside (0, 1) is used instead,
 * so a perfect split of 16 against 16 still gets a width.
 */
export function aucWithCi(positives: ArrayLike<number>, negatives: ArrayLike<number>, level = 0.95): AucInterval {
  const m = positives.length;
  const r = negatives.length;
  if (m < 2 || r < 2) throw new PcaceInputError(`an AUC interval needs at least 2 values on each side, got ${m} and ${r}`);
  const v10 = new Float64Array(m);
  const v01 = new Float64Array(r);
  let total = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < r; j++) {
      const x = positives[i];
      const y = negatives[j];
      const psi = x > y ? 1 : x === y ? 0.5 : 0;
      v10[i] += psi;
      v01[j] += psi;
      total += psi;
    }
  }
  const auc = total / (m * r);
  for (let i = 0; i < m; i++) v10[i] /= r;
  for (let j = 0; j < r; j++) v01[j] /= m;
  const variance = sampleVariance(v10) / m + sampleVariance(v01) / r;
  const z = zFor(level);
  if (!(variance > 0)) {
    // Complete separation (or all ties): raw-scale Wald with Hanley–McNeil's variance
    // at the AUC moved half a pair inside (0, 1); the logit's delta method explodes there.
    const half = 0.5 / (m * r);
    const se = Math.sqrt(hanleyMcNeil(Math.min(1 - half, Math.max(half, auc)), m, r));
    return { auc, ci: [Math.max(0, auc - z * se), Math.min(1, auc + z * se)], se, positives: m, negatives: r };
  }
  const logit = Math.log(auc / (1 - auc));
  const w = (z * Math.sqrt(variance)) / (auc * (1 - auc));
  const expit = (t: number) => 1 / (1 + Math.exp(-t));
  return { auc, ci: [expit(logit - w), expit(logit + w)], se: Math.sqrt(variance), positives: m, negatives: r };
}

function sampleVariance(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x;
  const mu = s / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mu) ** 2;
  return ss / (v.length - 1);
}

/** Hanley & McNeil (1982) variance of an AUC of a with m positives and r negatives. */
function hanleyMcNeil(a: number, m: number, r: number): number {
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  return (a * (1 - a) + (m - 1) * (q1 - a * a) + (r - 1) * (q2 - a * a)) / (m * r);
}

export type RandomFilterVerdict = 'above random filters' | 'not distinguishable from random filters' | 'below random filters';

/** The layer's verdict from its AUC interval: only an interval that excludes ½ says the score tells trained from random filters. */
export function randomFilterVerdict(ci: [number, number]): RandomFilterVerdict {
  if (ci[0] > 0.5) return 'above random filters';
  if (ci[1] < 0.5) return 'below random filters';
  return 'not distinguishable from random filters';
}

export interface BaselineTests {
  summary: NullSummary;
  /** Per channel: P(a random filter scores ≥ the channel), as pooled-null.ts nullTest computes it. */
  p: Float64Array;
  /** BH q-values of p within the layer, and q < α. */
  q: Float64Array;
  beats: boolean[];
  /** Score − the baseline's mean (0: a typical random filter). */
  corrected: Float64Array;
  /** (score − baseline mean) / baseline sd. */
  z: Float64Array;
}

/** Every channel of a layer against the layer's random-filter baseline (at least 3 random filters). */
export function baselineTests(observed: ArrayLike<number>, baseline: ArrayLike<number>, options: VerdictOptions): BaselineTests {
  if (baseline.length < 3) throw new PcaceInputError(`a random-filter baseline needs at least 3 filters, got ${baseline.length}`);
  const summary = summariseNull(baseline, false);
  const C = observed.length;
  const p = new Float64Array(C);
  const corrected = new Float64Array(C);
  const z = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    p[c] = nullTest(baseline, summary, observed[c]).p;
    corrected[c] = observed[c] - summary.mean;
    z[c] = summary.sd > 0 ? corrected[c] / summary.sd : NaN;
  }
  const { q, beats } = verdictsFor(p, options);
  return { summary, p, q, beats, corrected, z };
}

export interface SpearmanInterval {
  rho: number;
  ci: [number, number];
  /** Pairs used. */
  n: number;
}

/**
 * Spearman's ρ with a Fisher-z interval, z = atanh ρ ± z_{α/2}·√((1 + ρ²/2)/(n − 3))
 * (Bonett & Wright 2000; their simulations give near-nominal coverage from
 * n = 10 for |ρ| ≤ 0.9). Needs n ≥ 4. When every pair agrees (|ρ| = 1) the
 * interval is computed at |ρ| = 1 − 1e-6, so its far end still says how few
 * pairs there were.
 */
export function spearmanWithCi(a: ArrayLike<number>, b: ArrayLike<number>, level = 0.95): SpearmanInterval {
  const n = a.length;
  if (n < 4) throw new PcaceInputError(`a Spearman interval needs at least 4 pairs, got ${n}`);
  // One side constant: there is no ranking to compare (pearson would say 0).
  if (isConstant(a) || isConstant(b)) return { rho: NaN, ci: [NaN, NaN], n };
  const rho = spearman(a, b).rho;
  const r = Math.max(-1 + 1e-6, Math.min(1 - 1e-6, rho));
  const se = Math.sqrt((1 + (r * r) / 2) / (n - 3));
  const z = Math.atanh(r);
  const h = zFor(level) * se;
  return { rho, ci: [Math.tanh(z - h), Math.tanh(z + h)], n };
}
