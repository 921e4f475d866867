/**
 * The unit of work of a layer analysis: everything computed for one channel.
 * Runs in a worker thread or inline; pure apart from reading its inputs.
 */
import {
  bootstrapStatistic,
  channelMaps,
  channelPcaOf,
  gramNeeded,
  standardiseMaps,
  scoreAcrossComponents,
  scoreComponents,
  validateResponse,
  type ChannelScore,
  type ComponentsSpec,
  type MapsLayout,
  type RankingScore,
  type ScoreOptions,
} from '../pcace/index';
import { DEFAULT_CROSSFIT_RULE, type CrossFitRule } from '../pcace/crossfit';
import { drawsForChannel, nullPermutation, statisticUnderPermutation } from '../pcace/pooled-null';
import { bootstrapChannelRefit } from '../pcace/rank-inference';
import type { VerdictOptions } from '../pcace/verdicts';
import type { GramKernel } from '../models/gram-kernel';

export interface ChannelTaskOptions extends ScoreOptions {
  rankBy: RankingScore;
  /** Bootstrap replicates for rank intervals (0 = none). */
  bootstrap: number;
  /** Extra component counts for the rank-stability sweep (empty = none). */
  stabilityComponents: ComponentsSpec[];
  /**
   * Index in the layer of the tensor's first channel, when a layer is scored in
   * chunks: seeds and result indices use the layer index, so chunking never
   * changes a result.
   */
  channelOffset?: number;
  /**
   * Permutation null of the ranking statistic (0 draws = none). Pooled: B draws
   * for the whole layer, draw b on channel b mod layerChannels. Per channel:
   * B draws on every channel.
   */
  nullDraws?: { B: number; layerChannels: number; perChannel: boolean };
  /** α and Storey π₀ for the layer's verdicts. */
  verdict?: VerdictOptions;
}

export interface ChannelTaskResult {
  index: number;
  score: ChannelScore;
  /** Statistic per bootstrap replicate (same draws for every channel). */
  bootstrap?: Float64Array;
  /** Statistic per entry of stabilityComponents. */
  acrossComponents?: Float64Array;
  /** This channel's permutation-null draws: draw index and statistic value. */
  nullDraws?: { draw: Int32Array; value: Float64Array };
  mean_activation: number;
  max_activation: number;
}

/** The adaptive cross-fit rule an analysis' options describe; observed scores and null draws share it. */
export function crossFitRuleOf(options: ScoreOptions): CrossFitRule {
  const min = options.crossFitRepeats ?? 0;
  return { minRepeats: min, cap: Math.max(min, options.crossFitCap ?? min), targetMcse: options.crossFitMcse ?? DEFAULT_CROSSFIT_RULE.targetMcse };
}

export interface LayerTensor {
  /** NCHW activations of the layer for n images. */
  data: ArrayLike<number>;
  n: number;
  channels: number;
  positions: number;
}

/**
 * Memory a scoring thread reuses from channel to channel: the standardised
 * maps (float64, n × positions: 120 MB at 224² × 300 images). Fresh per
 * channel they are garbage by the next one, but the collector frees them
 * only later, so a thread held several at once.
 */
export class ChannelScratch {
  private standardised = new Float64Array(0);
  private raw = new Float32Array(0);

  /** Room for the standardised maps (at least `length` values). */
  maps(length: number): Float64Array {
    if (this.standardised.length < length) this.standardised = new Float64Array(length);
    return this.standardised;
  }

  /** Exactly `length` values for a copy of the channel's maps. */
  copy(length: number): Float32Array {
    if (this.raw.length < length) this.raw = new Float32Array(length);
    return this.raw.subarray(0, length);
  }
}

/**
 * @param gram the matrix product for PCA's Gram matrix (ORT's GEMM in the
 *   scoring threads, lib/models/gram-kernel.ts); omitted, lib/pcace's loops.
 * @param scratch the thread's reused memory; the caller scores one channel at a time with it.
 */
export async function runChannelTask(
  layer: LayerTensor,
  c: number,
  y: Float64Array,
  options: ChannelTaskOptions,
  gram?: GramKernel,
  scratch?: ChannelScratch,
): Promise<ChannelTaskResult> {
  const { n, channels, positions } = layer;
  validateResponse(y, n);
  // The channel is read in place from the layer tensor (image i at (i·channels + c)·positions).
  const layout = { offset: c * positions, rowStride: channels * positions };
  const index = c + (options.channelOffset ?? 0);
  // The mean and max activation come from the standardisation's first pass over the maps.
  const { pca, sum, max } = await pcaWith(layer.data, n, positions, layout, options.components, gram, scratch?.maps(n * positions));
  // A copy of the channel for the refits below; float32 like the activations
  // themselves: lossless, and half the memory of float64 on 224×224 maps.
  const copy = () => channelMaps(layer.data, n, channels, positions, c, scratch?.copy(n * positions) ?? new Float32Array(n * positions));
  const maps = options.bootstrap > 0 || options.stabilityComponents.length ? copy() : null;
  const seed = options.seed ?? 1;
  // Per-channel seed for the per-channel permutation null; the cross-fit splits use the analysis seed (paired).
  const score = scoreComponents(pca, y, { ...options, seed: seed + index * 7919, crossFitSeed: seed });
  const result: ChannelTaskResult = { index, score, mean_activation: sum / (n * positions), max_activation: max };
  const statistic = bootstrapStatistic(options.rankBy);
  const nd = options.nullDraws;
  if (nd && nd.B > 0) {
    const draws = nd.perChannel ? Array.from({ length: nd.B }, (_, b) => b) : drawsForChannel(index, nd.layerChannels, nd.B);
    const nullOptions = { statistic, flavour: options.flavour, rule: crossFitRuleOf(options), seed };
    result.nullDraws = {
      draw: Int32Array.from(draws),
      value: Float64Array.from(draws, (b) => statisticUnderPermutation(pca.scores, y, nullPermutation(n, seed, b), nullOptions)),
    };
  }
  if (options.bootstrap > 0) {
    // Same seed for every channel: replicate b draws the same images everywhere.
    result.bootstrap = bootstrapChannelRefit(maps!, n, positions, y, {
      statistic,
      components: options.components,
      flavour: options.flavour,
      repeats: Math.max(1, options.crossFitRepeats ?? 1),
      replicates: options.bootstrap,
      seed,
    });
  }
  if (options.stabilityComponents.length) {
    result.acrossComponents = scoreAcrossComponents(maps!, n, positions, y, options.stabilityComponents, options.flavour, options.rankBy, options.seed ?? 1);
  }
  return result;
}

/**
 * channelPca with the Gram matrix from `gram`, and the sum and maximum of the channel's values; the
 * standardised maps (120 MB at 224² × 300 images) go to `into` when given, else are garbage once it returns.
 */
async function pcaWith(data: ArrayLike<number>, n: number, positions: number, layout: MapsLayout, components: ComponentsSpec, gram?: GramKernel, into?: Float64Array) {
  const std = standardiseMaps(data, n, positions, layout, into);
  const pca = channelPcaOf(std, positions, components, gram && gramNeeded(std) ? await gram(std.x, n, std.p) : undefined);
  return { pca, sum: std.sum, max: std.max };
}
