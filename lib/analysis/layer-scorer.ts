/**
 * Scores every channel of one layer, spread over worker threads that share the
 * activation buffer (no copies), and summarises the layer: ranks, bootstrap
 * rank intervals, rank stability across the number of components.
 */
import { availableParallelism } from 'node:os';
import {
  bootstrapStatistic,
  componentStability,
  ordinalRanks,
  rankIntervals,
  rankingValue,
  PcaceInputError,
  type ComponentStability,
  type RankInterval,
} from '../pcace/index';
import { rankConfidenceSets, type RankConfidence } from '../pcace/rank-inference';
import { ChannelScratch, runChannelTask, type ChannelTaskOptions, type ChannelTaskResult } from './channel-task';
import { layerVerdicts, verdictTaskOptions, type LayerVerdicts } from './layer-verdicts';
import type { AnalysisSpec } from './types';
import { createGramSession, type GramSession } from '../models/gram-kernel';
import { LayerScoringCancelled, scoreOnThreads } from './scoring-threads';

export { LayerScoringCancelled };

export interface LayerScoringInput {
  /** NCHW activations (n images × channels × positions). */
  data: Float32Array;
  n: number;
  channels: number;
  positions: number;
  /** Response per image (class score or regression target). */
  y: Float64Array;
}

export interface LayerScoringOptions extends ChannelTaskOptions {
  /** Worker threads; 0 = run inline in this thread. Default: all cores. */
  threads?: number;
  onChannel?: (done: number, total: number) => void;
  /** Checked between channels; when it returns true the layer is abandoned. */
  shouldStop?: () => boolean;
}

export interface LayerScoring {
  channels: ChannelTaskResult[];
  /** Rank per channel by options.rankBy (1 = best; ties broken by channel index). */
  ranks: Int32Array;
  rankIntervals?: RankInterval[];
  /** 95 % rank confidence sets (marginal and simultaneous) from the refit bootstrap. */
  rankConfidence?: RankConfidence;
  /** Null, p, q, beats-noise and effects when null draws were computed. */
  verdicts?: LayerVerdicts;
  stability?: ComponentStability;
  seconds: number;
}

export async function scoreLayer(input: LayerScoringInput, options: LayerScoringOptions): Promise<LayerScoring> {
  const t0 = performance.now();
  const results = await scoreChannels(input, options);
  return { ...summariseLayer(results, options), channels: results, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Per-channel work only, for a whole layer or a chunk of its channels
 * (options.channelOffset = index of the chunk's first channel in the layer).
 */
export async function scoreChannels(input: LayerScoringInput, options: LayerScoringOptions): Promise<ChannelTaskResult[]> {
  const { n, channels, positions, data } = input;
  if (data.length !== n * channels * positions) {
    throw new PcaceInputError(`activation tensor has ${data.length} values, expected ${n}×${channels}×${positions}`);
  }
  const threads = Math.min(options.threads ?? availableParallelism(), channels);
  return threads > 0 ? scoreInWorkers(input, options, threads) : scoreInline(input, options);
}

/** What every channel of a layer is scored with, from an analysis's options (the worker and the null-calibration bench). */
export function channelTaskOptions(spec: AnalysisSpec, layerChannels: number): ChannelTaskOptions {
  return {
    ...verdictTaskOptions(spec, layerChannels),
    components: spec.components,
    flavour: spec.flavour,
    rankBy: spec.rankBy,
    permutations: spec.permutations,
    crossFitRepeats: spec.crossFitRepeats,
    bootstrap: spec.bootstrap,
    stabilityComponents: spec.stabilityComponents,
    seed: spec.seed,
  };
}

/** Cross-channel summary: ranks, bootstrap rank intervals, stability across k. */
export function summariseLayer(results: ChannelTaskResult[], options: ChannelTaskOptions): Omit<LayerScoring, 'channels' | 'seconds'> {
  const values = results.map((r) => rankingValue(r.score, options.rankBy));
  if (values.some((v) => v === undefined)) {
    throw new PcaceInputError(`ranking by ${options.rankBy} needs ${options.rankBy.startsWith('z_') ? 'permutations > 0' : 'cross-fitting'}`);
  }
  const out: Omit<LayerScoring, 'channels' | 'seconds'> = { ranks: ordinalRanks(values as number[]) };
  if (options.bootstrap > 0) {
    out.rankIntervals = rankIntervals(results.map((r) => r.bootstrap!));
    // Replicates hold the raw statistic (a z-score would need a null per replicate), so the estimates must too.
    const stat = bootstrapStatistic(options.rankBy);
    const raw = results.map((r) => (stat === 'pc1' ? r.score.score_pc1 : stat === 'multiple' ? r.score.score_multiple : r.score.score_crossfit ?? 0));
    out.rankConfidence = rankConfidenceSets(raw, results.map((r) => r.bootstrap!), 0.05);
  }
  if (options.nullDraws && options.nullDraws.B > 0) {
    out.verdicts = layerVerdicts(results, options.rankBy, options.nullDraws.perChannel, options.verdict);
  }
  if (options.stabilityComponents.length > 1) {
    out.stability = componentStability(options.stabilityComponents, results.map((r) => r.acrossComponents!));
  }
  return out;
}

/** The same work as the scoring threads, on this thread (the same GEMM for Gram matrices, so the same bits). */
async function scoreInline(input: LayerScoringInput, options: LayerScoringOptions): Promise<ChannelTaskResult[]> {
  const results: ChannelTaskResult[] = [];
  let session: GramSession | null = null;
  const gram = async (x: Float64Array, n: number, p: number) => (session ??= await createGramSession()).gram(x, n, p);
  const scratch = new ChannelScratch();
  try {
    for (let c = 0; c < input.channels; c++) {
      if (options.shouldStop?.()) throw new LayerScoringCancelled();
      results.push(await runChannelTask(input, c, input.y, options, gram, scratch));
      options.onChannel?.(c + 1, input.channels);
    }
  } finally {
    await (session as GramSession | null)?.release();
  }
  return results;
}

async function scoreInWorkers(input: LayerScoringInput, options: LayerScoringOptions, threads: number): Promise<ChannelTaskResult[]> {
  let shared = input.data;
  if (!(shared.buffer instanceof SharedArrayBuffer)) {
    shared = new Float32Array(new SharedArrayBuffer(input.data.byteLength));
    shared.set(input.data);
  }
  const { onChannel, shouldStop, threads: _t, ...taskOptions } = options;
  return scoreOnThreads(
    { tensor: { data: shared, n: input.n, channels: input.channels, positions: input.positions }, y: input.y, options: taskOptions, onChannel, shouldStop },
    threads,
  );
}
