/**
 * The unit of work of a layer analysis: everything computed for one channel.
 * Runs in a worker thread or inline; pure apart from reading its inputs.
 */
import {
  bootstrapChannel,
  channelMaps,
  channelPca,
  scoreAcrossComponents,
  scoreComponents,
  validateResponse,
  type ChannelScore,
  type ComponentsSpec,
  type RankingScore,
  type ScoreOptions,
} from '../pcace/index';

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
}

export interface ChannelTaskResult {
  index: number;
  score: ChannelScore;
  /** Statistic per bootstrap replicate (same draws for every channel). */
  bootstrap?: Float64Array;
  /** Statistic per entry of stabilityComponents. */
  acrossComponents?: Float64Array;
  mean_activation: number;
  max_activation: number;
}

export interface LayerTensor {
  /** NCHW activations of the layer for n images. */
  data: ArrayLike<number>;
  n: number;
  channels: number;
  positions: number;
}

export function runChannelTask(layer: LayerTensor, c: number, y: Float64Array, options: ChannelTaskOptions): ChannelTaskResult {
  const { n, channels, positions } = layer;
  // float32 like the activations themselves: lossless, and half the memory of
  // float64 on 224×224 maps (each thread holds one channel at a time).
  const maps = channelMaps(layer.data, n, channels, positions, c, new Float32Array(n * positions));
  validateResponse(y, n);
  let sum = 0;
  let max = -Infinity;
  for (let i = 0; i < maps.length; i++) {
    sum += maps[i];
    if (maps[i] > max) max = maps[i];
  }
  const index = c + (options.channelOffset ?? 0);
  const pca = channelPca(maps, n, positions, options.components);
  const score = scoreComponents(pca, y, { ...options, seed: (options.seed ?? 1) + index * 7919 });
  const result: ChannelTaskResult = { index, score, mean_activation: sum / maps.length, max_activation: max };
  if (options.bootstrap > 0) {
    // Same seed for every channel: replicate b draws the same images everywhere.
    result.bootstrap = bootstrapChannel(pca.scores, y, options.rankBy, options.bootstrap, options.seed ?? 1);
  }
  if (options.stabilityComponents.length) {
    result.acrossComponents = scoreAcrossComponents(maps, n, positions, y, options.stabilityComponents, options.flavour, options.rankBy, options.seed ?? 1);
  }
  return result;
}
