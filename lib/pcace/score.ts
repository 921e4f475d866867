/**
 * PCACE scores of one channel: PCA of its maps, ACE between the component
 * scores and the class score, and the calibrations that say whether the
 * result beats noise.
 */
import { ace, type AceFlavour } from './ace/index';
import { channelPca, type ComponentsSpec, type PcaResult } from './pca';
import { aceCorrelations } from './correlations';
import { permutationNull, type PermutationNull } from './calibration';
import { adaptiveCrossFit, DEFAULT_CROSSFIT_RULE } from './crossfit';
import { PcaceInputError, assertFinite } from './validate';

/** Which number ranks the channels of a layer. */
export type RankingScore = 'pc1' | 'multiple' | 'crossfit' | 'z_pc1' | 'z_multiple';
export const RANKING_SCORES: readonly RankingScore[] = ['pc1', 'multiple', 'crossfit', 'z_pc1', 'z_multiple'];

export interface ScoreOptions {
  components: ComponentsSpec;
  flavour: AceFlavour;
  /** Permutations of the class score for the null calibration (0 = none). */
  permutations?: number;
  /** Transforms fit on one half, evaluated on the other; repeated splits averaged (0 = none). Minimum repeats when crossFitCap is larger. */
  crossFitRepeats?: number;
  /** Most cross-fit repeats: repeats are added until the Monte Carlo SE < crossFitMcse or this cap (absent = exactly crossFitRepeats). */
  crossFitCap?: number;
  /** Target Monte Carlo SE of the cross-fitted score (default 0.005). */
  crossFitMcse?: number;
  /** Seed of the cross-fit splits; the same for every channel of an analysis (paired splits). Default: seed. */
  crossFitSeed?: number;
  seed?: number;
}

export type ChannelFlag = 'constant' | 'rank_deficient' | 'components_capped';

export interface ChannelScore {
  /** |corr(φ₁, θ)|: the statistic of the published code. */
  score_pc1: number;
  /** |corr(Σφ_i, θ)|: the paper's maximal correlation. */
  score_multiple: number;
  /** ACE's fraction of var θ explained. */
  rsq: number;
  /** Out-of-sample corr(Σφ_i, θ), signed: ≈ 0 for a channel unrelated to the score. */
  score_crossfit?: number;
  /** Monte Carlo SE of score_crossfit over splits: sd(per-repeat values)/√repeats. */
  crossfit_mcse?: number;
  crossfit_repeats?: number;
  /** One value per split repeat (the score is their mean). */
  crossfit_values?: Float64Array;
  permutation?: PermutationNull;
  components: number;
  explained_variance: number;
  positions_used: number;
  ace_iterations: number;
  flags: ChannelFlag[];
  warnings: string[];
}

/** Scores of a channel given its maps (n images × positions, row-major) and the response. */
export function scoreChannel(
  maps: ArrayLike<number>,
  n: number,
  positions: number,
  y: Float64Array,
  options: ScoreOptions,
): ChannelScore {
  validateResponse(y, n);
  const pca = channelPca(maps, n, positions, options.components);
  return scoreComponents(pca, y, options);
}

/** Same as scoreChannel for an already computed PCA (permutations reuse it). */
export function scoreComponents(pca: PcaResult, y: Float64Array, options: ScoreOptions): ChannelScore {
  const flags: ChannelFlag[] = [];
  const warnings = [...pca.warnings];
  const base = {
    components: pca.scores.length,
    explained_variance: pca.explainedVarianceRatio.reduce((a, b) => a + b, 0),
    positions_used: pca.positionsUsed,
  };
  if (pca.scores.length === 0) {
    flags.push('constant');
    return { score_pc1: 0, score_multiple: 0, rsq: 0, score_crossfit: options.crossFitRepeats ? 0 : undefined, ...base, ace_iterations: 0, flags, warnings };
  }
  if (pca.scores.length < Math.min(pca.componentsRequested, y.length - 1, pca.positionsUsed)) flags.push('rank_deficient');
  else if (pca.scores.length < pca.componentsRequested) flags.push('components_capped');

  const fit = ace(options.flavour, pca.scores, y);
  const { pc1, multiple } = aceCorrelations(fit.tx, fit.ty);
  const result: ChannelScore = {
    score_pc1: pc1,
    score_multiple: multiple,
    rsq: fit.rsq,
    ...base,
    ace_iterations: fit.iterations,
    flags,
    warnings,
  };
  const seed = options.seed ?? 1;
  if (options.crossFitRepeats && options.crossFitRepeats > 0) {
    const min = options.crossFitRepeats;
    const rule = { minRepeats: min, cap: Math.max(min, options.crossFitCap ?? min), targetMcse: options.crossFitMcse ?? DEFAULT_CROSSFIT_RULE.targetMcse };
    const cf = adaptiveCrossFit(pca.scores, y, options.flavour, rule, options.crossFitSeed ?? seed);
    result.score_crossfit = cf.score;
    result.crossfit_mcse = cf.mcse;
    result.crossfit_repeats = cf.repeats;
    result.crossfit_values = cf.values;
  }
  if (options.permutations && options.permutations > 0) {
    result.permutation = permutationNull(pca.scores, y, options.flavour, options.permutations, seed, { pc1, multiple });
  }
  return result;
}

/** The number a layer is ranked by; undefined when it was not computed. */
export function rankingValue(score: ChannelScore, by: RankingScore): number | undefined {
  switch (by) {
    case 'pc1':
      return score.score_pc1;
    case 'multiple':
      return score.score_multiple;
    case 'crossfit':
      return score.score_crossfit;
    case 'z_pc1':
      return score.permutation?.z_pc1;
    case 'z_multiple':
      return score.permutation?.z_multiple;
  }
}

export function validateResponse(y: Float64Array, n: number): void {
  if (y.length !== n) throw new PcaceInputError(`response has ${y.length} values for ${n} images`);
  assertFinite(y, 'response (class score)');
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (y[i] < min) min = y[i];
    if (y[i] > max) max = y[i];
  }
  if (min === max) throw new PcaceInputError('response (class score) is constant over the images: nothing to correlate with');
}
