/**
 * Confidence sets for ranks, from a bootstrap of the SAME estimator that ranks.
 *
 * Why: a percentile interval of bootstrap ranks has no coverage guarantee, and
 * the former bootstrap reused the channel's PCA and a different ACE and split
 * count, so its intervals described another statistic. Here each replicate
 * resamples images, redoes standardisation and PCA, and recomputes the ranking
 * statistic with the analysis' flavour and paired splits (copies of an image
 * stay in one fold).
 *
 * Rank sets follow Mogstad, Romano, Shaikh & Wilhelm (2024, "Inference for
 * ranks with applications to mobility across neighbourhoods and academic
 * achievement across countries"): simultaneous confidence intervals for the
 * pairwise differences θ_j − θ_k by the bootstrap max-statistic of studentised
 * differences, then rank(j) ∈ [1 + #{k: θ_k > θ_j surely}, m − #{k: θ_j > θ_k surely}].
 * "Marginal" covers one channel's rank (max over its m − 1 differences);
 * "simultaneous" covers all ranks at once (max over all pairs).
 */
import type { AceFlavour } from './ace/index';
import { ace } from './ace/index';
import { aceCorrelations } from './correlations';
import { adaptiveCrossFit, type CrossFitRule } from './crossfit';
import { bootstrapIndices } from './layer';
import { channelPca, type ComponentsSpec } from './pca';
import { isConstant, quantile, sortedCopy } from './stats';
import type { NullStatistic } from './pooled-null';

export interface RefitBootstrapOptions {
  statistic: NullStatistic;
  components: ComponentsSpec;
  flavour: AceFlavour;
  /** Repeats per replicate (fixed: a replicate is one evaluation of the statistic). */
  repeats: number;
  replicates: number;
  seed: number;
}

/**
 * One channel's statistic on bootstrap samples of the images; replicate b
 * draws the same images for every channel (bootstrapIndices(n, seed, b)).
 * pcace-2021's smoother cannot handle the ties resampling creates, so that
 * flavour's replicates use acepack (recorded by the caller).
 */
export function bootstrapChannelRefit(maps: ArrayLike<number>, n: number, positions: number, y: Float64Array, options: RefitBootstrapOptions): Float64Array {
  const out = new Float64Array(options.replicates);
  const flavour: AceFlavour = options.flavour === 'pcace-2021' ? 'acepack' : options.flavour;
  const rule: CrossFitRule = { minRepeats: options.repeats, cap: options.repeats, targetMcse: 0 };
  const mb = new Float64Array(n * positions);
  const yb = new Float64Array(n);
  for (let b = 0; b < options.replicates; b++) {
    const idx = bootstrapIndices(n, options.seed, b);
    for (let i = 0; i < n; i++) {
      yb[i] = y[idx[i]];
      const src = idx[i] * positions;
      for (let j = 0; j < positions; j++) mb[i * positions + j] = maps[src + j];
    }
    if (isConstant(yb)) continue;
    const pca = channelPca(mb, n, positions, options.components);
    if (pca.scores.length === 0) continue;
    if (options.statistic === 'crossfit') {
      out[b] = adaptiveCrossFit(pca.scores, yb, flavour, rule, options.seed, idx).score;
    } else {
      const fit = ace(flavour, pca.scores, yb);
      const c = aceCorrelations(fit.tx, fit.ty);
      out[b] = options.statistic === 'pc1' ? c.pc1 : c.multiple;
    }
  }
  return out;
}

export interface RankSet {
  /** Best rank the data allow (1 = top). */
  lower: number;
  /** Worst rank the data allow. */
  upper: number;
}

export interface RankConfidence {
  level: number;
  marginal: RankSet[];
  simultaneous: RankSet[];
  /** Critical values of the max-statistics (simultaneous; marginal per channel). */
  critical: { simultaneous: number; marginal: Float64Array };
}

/**
 * Rank confidence sets from estimates θ̂ (per channel) and bootstrap replicates
 * (per channel, same draws across channels), at level 1 − alpha.
 */
export function rankConfidenceSets(estimates: ArrayLike<number>, replicates: ArrayLike<number>[], alpha = 0.05): RankConfidence {
  const m = estimates.length;
  const B = m ? replicates[0].length : 0;
  // Studentising sd of each pairwise difference.
  const se = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    for (let k = j + 1; k < m; k++) {
      let s = 0;
      let ss = 0;
      for (let b = 0; b < B; b++) {
        const d = replicates[j][b] - replicates[k][b];
        s += d;
        ss += d * d;
      }
      const v = B > 1 ? (ss - (s * s) / B) / (B - 1) : 0;
      se[j * m + k] = se[k * m + j] = Math.sqrt(Math.max(v, 0)) || 1e-12;
    }
  }
  const maxAll = new Float64Array(B);
  const maxOf = Array.from({ length: m }, () => new Float64Array(B));
  for (let b = 0; b < B; b++) {
    let all = 0;
    for (let j = 0; j < m; j++) {
      for (let k = j + 1; k < m; k++) {
        const t = Math.abs(replicates[j][b] - replicates[k][b] - (estimates[j] - estimates[k])) / se[j * m + k];
        if (t > all) all = t;
        if (t > maxOf[j][b]) maxOf[j][b] = t;
        if (t > maxOf[k][b]) maxOf[k][b] = t;
      }
    }
    maxAll[b] = all;
  }
  const cAll = B ? quantile(sortedCopy(maxAll), 1 - alpha) : Infinity;
  const cOf = Float64Array.from(maxOf, (v) => (B ? quantile(sortedCopy(v), 1 - alpha) : Infinity));
  const sets = (crit: (j: number) => number): RankSet[] =>
    Array.from({ length: m }, (_, j) => {
      let above = 0; // channels surely better than j
      let below = 0; // channels surely worse than j
      const c = crit(j);
      for (let k = 0; k < m; k++) {
        if (k === j) continue;
        const d = estimates[j] - estimates[k];
        const h = c * se[j * m + k];
        if (d - h > 0) below++;
        else if (d + h < 0) above++;
      }
      return { lower: 1 + above, upper: m - below };
    });
  return {
    level: 1 - alpha,
    marginal: sets((j) => cOf[j]),
    simultaneous: sets(() => cAll),
    critical: { simultaneous: cAll, marginal: cOf },
  };
}

