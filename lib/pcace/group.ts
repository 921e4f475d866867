/**
 * Group PCACE (the paper's future work, §8): how well a *set* of channels,
 * taken together, predicts the class score — the joint maximal correlation
 * of their maps with it. Each member's maps are reduced by PCA as a single
 * channel's are; the members' component scores together are ACE's predictors,
 * and the statistic is corr(Σφ_i, θ) over all of them, in sample and
 * cross-fitted (transforms fit on one half of the images, scored on the
 * other) exactly as a channel's score is.
 *
 * In sample, more predictors can only raise the correlation, so a group's
 * in-sample score says little; the cross-fitted score falls when members add
 * only noise, which is what makes "do these channels together carry more
 * than the best of them" answerable. A group's score can be compared with its
 * members' own scores (same splits, same seed).
 */
import { ace, type AceFlavour } from './ace/index';
import { aceCorrelations } from './correlations';
import { adaptiveCrossFit, DEFAULT_CROSSFIT_RULE } from './crossfit';
import { channelPca, type ComponentsSpec } from './pca';
import { validateResponse } from './score';
import { PcaceInputError } from './validate';

export interface GroupInput {
  /** NCHW activations of the layer (n images × channels × positions). */
  data: ArrayLike<number>;
  n: number;
  channels: number;
  positions: number;
  /**
   * The layer's channel numbers of data's channels, when data holds only some
   * of the layer's (a picked set captured alone); members are named by these.
   * Default 0..channels − 1.
   */
  index?: readonly number[];
}

export interface GroupOptions {
  /** Components per member channel (as a channel's k). */
  components: ComponentsSpec;
  flavour: AceFlavour;
  /** Cross-fit repeats (minimum) and cap; the analysis' values keep the group's splits paired with its channels'. */
  crossFitRepeats?: number;
  crossFitCap?: number;
  seed?: number;
}

export interface GroupScore {
  channels: number[];
  /** Predictors ACE saw (sum of the members' kept components). */
  components: number;
  /** |corr(Σφ_i, θ)| in sample. */
  score_multiple: number;
  rsq: number;
  /** Out-of-sample corr(Σφ_i, θ), signed; absent with no cross-fit repeats. */
  score_crossfit?: number;
  crossfit_mcse?: number;
  crossfit_repeats?: number;
  /** Members whose maps are constant (no components): they add nothing. */
  constant: number[];
  warnings: string[];
}

/** Most predictors ACE is given for a group: beyond n/5 even the cross-fitted halves are mostly fitting noise. */
export function maxGroupPredictors(n: number): number {
  return Math.max(1, Math.floor(n / 5));
}

export function groupScore(input: GroupInput, members: readonly number[], y: Float64Array, options: GroupOptions): GroupScore {
  const { data, n, channels, positions, index } = input;
  if (data.length !== n * channels * positions) throw new PcaceInputError(`activation tensor has ${data.length} values, expected ${n}×${channels}×${positions}`);
  if (members.length === 0) throw new PcaceInputError('a group needs at least one channel');
  const set = [...new Set(members)];
  if (set.length !== members.length) throw new PcaceInputError('a group lists a channel twice');
  if (index && index.length !== channels) throw new PcaceInputError(`the channel index names ${index.length} channels, the tensor holds ${channels}`);
  const slot = (c: number) => (index ? index.indexOf(c) : Number.isInteger(c) && c >= 0 && c < channels ? c : -1);
  for (const c of set) if (slot(c) < 0) throw new PcaceInputError(index ? `channel ${c} is not among the captured channels ${index.join(', ')}` : `channel ${c} is not in 0..${channels - 1}`);
  validateResponse(y, n);
  const pcs: Float64Array[] = [];
  const constant: number[] = [];
  const warnings: string[] = [];
  const maps = new Float64Array(n * positions);
  for (const c of set) {
    const at = slot(c);
    for (let i = 0; i < n; i++) {
      const src = (i * channels + at) * positions;
      for (let j = 0; j < positions; j++) maps[i * positions + j] = data[src + j];
    }
    const pca = channelPca(maps, n, positions, options.components);
    if (pca.scores.length === 0) constant.push(c);
    pcs.push(...pca.scores);
    warnings.push(...pca.warnings.map((w) => `channel ${c}: ${w}`));
  }
  const limit = maxGroupPredictors(n);
  if (pcs.length > limit) {
    throw new PcaceInputError(
      `the group has ${pcs.length} predictors (${set.length} channels × their components) for ${n} images; at most ${limit} (n/5): use fewer channels or fewer components`,
    );
  }
  const base = { channels: set, components: pcs.length, constant, warnings };
  if (pcs.length === 0) return { ...base, score_multiple: 0, rsq: 0, score_crossfit: options.crossFitRepeats ? 0 : undefined };
  const fit = ace(options.flavour, pcs, y);
  const { multiple } = aceCorrelations(fit.tx, fit.ty);
  const out: GroupScore = { ...base, score_multiple: multiple, rsq: fit.rsq };
  if (options.crossFitRepeats && options.crossFitRepeats > 0) {
    const min = options.crossFitRepeats;
    const rule = { minRepeats: min, cap: Math.max(min, options.crossFitCap ?? min), targetMcse: DEFAULT_CROSSFIT_RULE.targetMcse };
    const cf = adaptiveCrossFit(pcs, y, options.flavour, rule, options.seed ?? 1);
    out.score_crossfit = cf.score;
    out.crossfit_mcse = cf.mcse;
    out.crossfit_repeats = cf.repeats;
  }
  return out;
}
