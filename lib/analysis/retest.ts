/**
 * Test–retest: the analysis ranks every layer again on a second image sample,
 * disjoint from the first and of the same size, with the same statistic and
 * options (no null, bootstrap or stability sweep: only the ranking is
 * retested), and stores per layer the Spearman ρ between the two rankings —
 * the ranking's reliability — with its interval (lib/pcace/reliability.ts),
 * and per channel its score on the second sample. The class comparison uses
 * both to disattenuate (lib/server/compare-classes.ts).
 *
 * The second sample is the analysis' draw of 2n images (same dataset, same
 * seed) minus its own n: the seeded draw takes images in one fixed order, so
 * the first n of the 2n are the analysis' sample and the rest are new. A
 * dataset with fewer than 2n usable images gets no retest, and every layer
 * says why.
 */
import { openDataset } from '../datasets/index';
import type { DatasetSample, OpenedDataset } from '../datasets/types';
import { bootstrapStatistic, rankingValue } from '../pcace/index';
import { reliabilityOf } from '../pcace/reliability';
import type { ChannelTaskOptions, ChannelTaskResult } from './channel-task';
import { channelTaskOptions } from './layer-scorer';
import { asInputError, type AnalysisInputs } from './inputs';
import type { AnalysisSpec, LayerResult } from './types';

export interface RetestSample {
  samples: DatasetSample[];
  /** Preprocessed images [start, start + count) of the second sample. */
  load(start: number, count: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/** The second, disjoint sample of n images, or why there is none. */
export async function openRetestSample(
  spec: AnalysisSpec,
  inputs: Pick<AnalysisInputs, 'preprocessing'>,
  main: readonly DatasetSample[],
): Promise<RetestSample | { reason: string }> {
  const n = main.length;
  const wide: OpenedDataset = await asInputError('cannot open the dataset for the retest sample', () => openDataset(spec.dataset, { n: 2 * n, seed: spec.seed }));
  const taken = new Set(main.map((s) => s.id));
  // Positions (in the wide draw) of images the analysis did not use, in source order.
  const positions: number[] = [];
  wide.samples.forEach((s, i) => {
    if (!taken.has(s.id) && positions.length < n) positions.push(i);
  });
  if (positions.length < n) {
    await wide.close();
    return {
      reason: `test–retest skipped: it needs a second sample of ${n} images disjoint from the first, and the dataset gave ${positions.length} more (it needs ≥ ${2 * n} usable images)`,
    };
  }
  return {
    samples: positions.map((i) => wide.samples[i]),
    async load(start, count) {
      // Consecutive positions are read as one batch.
      const parts: Float32Array[] = [];
      for (let k = start; k < start + count; ) {
        let end = k + 1;
        while (end < start + count && positions[end] === positions[end - 1] + 1) end++;
        parts.push(await wide.loadBatch(positions[k], end - k, inputs.preprocessing));
        k = end;
      }
      if (parts.length === 1) return parts[0];
      const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
      let offset = 0;
      for (const p of parts) {
        out.set(p, offset);
        offset += p.length;
      }
      return out;
    },
    close: () => wide.close(),
  };
}

/** The statistic a retest compares: the ranking statistic (a z ranking's raw statistic, which needs no null). */
export function retestStatistic(rankBy: AnalysisSpec['rankBy']): 'pc1' | 'multiple' | 'crossfit' {
  return bootstrapStatistic(rankBy);
}

/**
 * Stores the retest in a finished layer: per channel score_retest, per layer
 * the reliability. The first sample's values are the same statistic read from
 * the layer's channels.
 */
export function attachRetest(layer: LayerResult, retest: ChannelTaskResult[], spec: Pick<AnalysisSpec, 'rankBy'>, images: number): void {
  const statistic = retestStatistic(spec.rankBy);
  const byIndex = new Map(retest.map((c) => [c.index, rankingValue(c.score, statistic) ?? NaN]));
  const first: number[] = [];
  const second: number[] = [];
  for (const c of layer.channels) {
    const v = byIndex.get(c.index);
    if (v === undefined) continue;
    c.score_retest = v;
    const own = statistic === 'pc1' ? c.score_pc1 : statistic === 'multiple' ? c.score_multiple : c.score_crossfit;
    if (own !== undefined && Number.isFinite(own) && Number.isFinite(v)) {
      first.push(own);
      second.push(v);
    }
  }
  const r = reliabilityOf(first, second);
  layer.reliability = { spearman: r.spearman, ci: r.ci, channels: r.channels, images, statistic };
}

/** What the retest sample's channels are scored with: the analysis' ranking options, without null, bootstrap or stability sweep. */
export function retestTaskOptions(spec: AnalysisSpec, layerChannels: number): ChannelTaskOptions {
  return { ...channelTaskOptions(spec, layerChannels), nullDraws: undefined, bootstrap: 0, stabilityComponents: [], permutations: 0 };
}
