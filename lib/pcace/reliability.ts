/**
 * Test–retest reliability of rankings. Two disjoint image samples ranked the
 * same way should agree; their Spearman ρ is the ranking's reliability. Two
 * methods (or classes, or models) can then be compared without the noise of
 * each: the disattenuated correlation ρ_xy / √(rel_x · rel_y) (Spearman 1904)
 * estimates how the rankings would agree if each were measured without error.
 */
import { Rng } from './random';
import { spearman } from './ranking';
import { quantile, sortedCopy } from './stats';
import { PcaceInputError } from './validate';

/** Per-layer Spearman between two rankings of the same channels on disjoint image samples. */
export function testRetest(first: Record<string, ArrayLike<number>>, second: Record<string, ArrayLike<number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const layer of Object.keys(first)) {
    if (!(layer in second)) throw new PcaceInputError(`layer ${layer} is missing from the second sample`);
    out[layer] = spearman(first[layer], second[layer]).rho;
  }
  return out;
}

export interface Disattenuated {
  /** Mean Spearman between method x and method y over the two samples (x1~y1, x2~y2). */
  rho_xy: number;
  rel_x: number;
  rel_y: number;
  /** ρ_xy / √(rel_x rel_y); NaN when a reliability is ≤ 0. Can exceed 1 by sampling error. */
  rho: number;
  /** 95 % percentile interval from resampling channels (B resamples). */
  ci: [number, number];
}

/**
 * Disattenuated correlation between two ranking methods x and y, each measured
 * on the same two disjoint image samples (x1, x2 and y1, y2: scores per
 * channel). The interval resamples channels with replacement, recomputing all
 * three correlations (a Fisher z interval would treat the reliabilities as known).
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
    const rho_xy = (spearman(a1, b1).rho + spearman(a2, b2).rho) / 2;
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
