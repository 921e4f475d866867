/**
 * Test–retest reliability of rankings. Two disjoint image samples ranked the
 * same way should agree; their Spearman ρ is the ranking's reliability. Two
 * methods (or classes, or models) can then be compared without the noise of
 * each: the disattenuated correlation ρ_xy / √(rel_x · rel_y) (Spearman 1904)
 * estimates how the rankings would agree if each were measured without error.
 *
 * Calibration (tests/unit/reliability.test.ts): simulated channels with known
 * latent correlation and known reliabilities, including errors shared by two
 * rankings made on the same images; both intervals cover at ≈ 95 %.
 */
import { Rng } from './random';
import { spearman } from './ranking';
import { quantile, sortedCopy } from './stats';
import { PcaceInputError } from './validate';
import { spearmanWithCi } from './sanity';

export interface Reliability {
  /** Spearman ρ between the channels' scores on the two samples. */
  spearman: number;
  /** 95 % interval: Fisher z with Bonett & Wright's (2000) variance for Spearman, (1 + ρ²/2)/(m − 3). */
  ci: [number, number];
  /** Channels it is computed over. */
  channels: number;
}

/**
 * A layer's test–retest reliability from the scores its channels got on two
 * disjoint image samples. The interval (sanity.ts spearmanWithCi) treats the
 * channels as a sample of channels like them, as the disattenuated
 * correlation's does; it is NaN below 4 channels or for a constant ranking.
 */
export function reliabilityOf(first: ArrayLike<number>, second: ArrayLike<number>): Reliability {
  const m = first.length;
  if (second.length !== m) throw new PcaceInputError(`the two samples score ${m} and ${second.length} channels`);
  if (m < 4) return { spearman: NaN, ci: [NaN, NaN], channels: m };
  const s = spearmanWithCi(Float64Array.from(first), Float64Array.from(second));
  return { spearman: s.rho, ci: s.ci, channels: m };
}

export interface Disattenuated {
  /** Mean Spearman between method x and method y across the two samples (x1~y2, x2~y1). */
  rho_xy: number;
  rel_x: number;
  rel_y: number;
  /** ρ_xy / √(rel_x rel_y); NaN when a reliability is ≤ 0. Can exceed 1 by sampling error. */
  rho: number;
  /** 95 % percentile interval from resampling channels (B resamples). */
  ci: [number, number];
}

/**
 * Disattenuated correlation between two rankings x and y (two classes, two
 * methods), each measured on two disjoint image samples (x1, x2 and y1, y2:
 * scores per channel). x and y are correlated across samples only (x1~y2,
 * x2~y1): two rankings made on the same images share those images' sampling
 * error, which inflates their agreement beyond the latent one (in simulation
 * the same-sample version covered the truth 55–70 % of the time, the
 * cross-sample one 94–96 %). The interval resamples channels with
 * replacement, recomputing all three correlations (a Fisher z interval would
 * treat the reliabilities as known).
 */
export function disattenuatedCorrelation(
  x1: ArrayLike<number>,
  x2: ArrayLike<number>,
  y1: ArrayLike<number>,
  y2: ArrayLike<number>,
  options: { resamples?: number; seed?: number } = {},
): Disattenuated {
  const m = x1.length;
  if ([x2, y1, y2].some((a) => a.length !== m)) throw new PcaceInputError('all four rankings must score the same channels');
  const est = (idx: ArrayLike<number>) => {
    const p = (a: ArrayLike<number>) => Float64Array.from(idx, (i) => a[i]);
    const [a1, a2, b1, b2] = [p(x1), p(x2), p(y1), p(y2)];
    const rel_x = spearman(a1, a2).rho;
    const rel_y = spearman(b1, b2).rho;
    const rho_xy = (spearman(a1, b2).rho + spearman(a2, b1).rho) / 2;
    const rho = rel_x > 0 && rel_y > 0 ? rho_xy / Math.sqrt(rel_x * rel_y) : NaN;
    return { rho_xy, rel_x, rel_y, rho };
  };
  const all = est(Array.from({ length: m }, (_, i) => i));
  const B = options.resamples ?? 2000;
  const rng = new Rng(options.seed ?? 1);
  const reps: number[] = [];
  for (let b = 0; b < B; b++) {
    const idx = Int32Array.from({ length: m }, () => rng.int(m));
    const r = est(idx).rho;
    if (Number.isFinite(r)) reps.push(r);
  }
  const s = sortedCopy(reps);
  return { ...all, ci: s.length ? [quantile(s, 0.025), quantile(s, 0.975)] : [NaN, NaN] };
}
