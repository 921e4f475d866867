/**
 * Ranking measures of an analysis' channels and the noise verdict, shared by
 * the chart, the histograms and the table (pure: server and client).
 */
import type { ChannelResult } from '@/lib/server/shared/analysis-types';

export type MeasureKey = 'score_crossfit' | 'score_multiple' | 'score_pc1' | 'z_score' | 'p_value' | 'ablation_drop';

export interface Measure {
  key: MeasureKey;
  label: string;
  /** Axis / column label. */
  axis: string;
  /** 'desc': larger is better. */
  order: 'desc' | 'asc';
  help: string;
}

export const MEASURES: Record<MeasureKey, Measure> = {
  score_crossfit: {
    key: 'score_crossfit',
    label: 'Cross-fitted score',
    axis: 'Cross-fitted multiple correlation',
    order: 'desc',
    help: 'transforms fit on half the images, scored on the other half: noise channels sit near 0',
  },
  score_multiple: {
    key: 'score_multiple',
    label: 'Multiple correlation',
    axis: 'Multiple correlation |corr(Σφ, θ)|',
    order: 'desc',
    help: 'in-sample ACE correlation over all k components (the paper’s score; noise sits well above 0)',
  },
  score_pc1: {
    key: 'score_pc1',
    label: 'First component (pc1)',
    axis: 'pc1 correlation |corr(φ₁, θ)|',
    order: 'desc',
    help: 'in-sample ACE correlation of the first principal component only (the published statistic)',
  },
  z_score: { key: 'z_score', label: 'z vs permutation null', axis: 'z (permutation null)', order: 'desc', help: 'standard deviations above the permutation null' },
  p_value: { key: 'p_value', label: 'Permutation p-value', axis: 'Permutation p-value', order: 'asc', help: 'share of shuffled targets scoring at least as high (small is better)' },
  ablation_drop: { key: 'ablation_drop', label: 'Ablation drop', axis: 'Class-score drop when zeroed', order: 'desc', help: 'how much the target score falls when the channel is zeroed' },
};

export const MEASURE_ORDER: MeasureKey[] = ['score_crossfit', 'score_multiple', 'score_pc1', 'z_score', 'p_value', 'ablation_drop'];

/** The fields the pages use of a channel (the rest stays in the exports). */
export type ChannelRow = Pick<
  ChannelResult,
  | 'index'
  | 'rank'
  | 'score_pc1'
  | 'score_multiple'
  | 'score_crossfit'
  | 'p_value'
  | 'z_score'
  | 'rank_p05'
  | 'rank_p95'
  | 'ablation_drop'
  | 'mean_activation'
  | 'max_activation'
  | 'weight_mean'
  | 'reverse'
  | 'flags'
>;

export interface LayerView {
  name: string;
  index: number;
  /** [n, channels, height, width] */
  shape: number[];
  seconds: number;
  warnings: string[];
  channels: ChannelRow[];
}

export function toChannelRow(c: ChannelResult): ChannelRow {
  const { index, rank, score_pc1, score_multiple, score_crossfit, p_value, z_score, rank_p05, rank_p95, ablation_drop, mean_activation, max_activation, weight_mean, reverse, flags } = c;
  return { index, rank, score_pc1, score_multiple, score_crossfit, p_value, z_score, rank_p05, rank_p95, ablation_drop, mean_activation, max_activation, weight_mean, reverse, flags };
}

/** The measure an analysis ranked by (its rankBy option). */
export function measureOfRankBy(rankBy: string | undefined): MeasureKey {
  if (rankBy === 'multiple') return 'score_multiple';
  if (rankBy === 'pc1') return 'score_pc1';
  if (rankBy === 'z_multiple' || rankBy === 'z_pc1') return 'z_score';
  return 'score_crossfit';
}

const has = (layers: LayerView[], key: MeasureKey) => layers.some((l) => l.channels.some((c) => Number.isFinite(c[key] as number)));

/** Measures with at least one value in these results (no p-values without permutations, ...). */
export function availableMeasures(layers: LayerView[]): MeasureKey[] {
  return MEASURE_ORDER.filter((k) => has(layers, k));
}

export function valueOf(c: ChannelRow, key: MeasureKey): number | undefined {
  const v = c[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * What "beats noise" is judged on: the permutation p-value when permutations
 * ran, else the cross-fitted score (≤ 0: the transforms fitted on one half do
 * not predict the other half), else nothing can be said.
 */
export type NoiseBasis = 'permutation' | 'crossfit' | 'none';

export function noiseBasis(layers: LayerView[]): NoiseBasis {
  if (has(layers, 'p_value')) return 'permutation';
  if (has(layers, 'score_crossfit')) return 'crossfit';
  return 'none';
}

export const ALPHA = 0.05;

/** true: does not beat noise; false: beats it; undefined: cannot tell. */
export function isNoise(c: ChannelRow, basis: NoiseBasis): boolean | undefined {
  if (basis === 'permutation') return c.p_value === undefined ? undefined : c.p_value >= ALPHA;
  if (basis === 'crossfit') return c.score_crossfit === undefined ? undefined : c.score_crossfit <= 0;
  return undefined;
}

export function noiseRule(basis: NoiseBasis): string {
  if (basis === 'permutation') return `permutation p ≥ ${ALPHA}`;
  if (basis === 'crossfit') return 'cross-fitted score ≤ 0';
  return 'no calibration';
}

/**
 * Channels ordered by `key` (best first; missing values last; ties by channel
 * index, as the stored ranks break them), with their rank under that order.
 */
export function rankChannels(channels: ChannelRow[], key: MeasureKey): { row: ChannelRow; rank: number }[] {
  const dir = MEASURES[key].order === 'desc' ? -1 : 1;
  return [...channels]
    .sort((a, b) => {
      const va = valueOf(a, key);
      const vb = valueOf(b, key);
      if (va === undefined || vb === undefined) return (va === undefined ? 1 : 0) - (vb === undefined ? 1 : 0) || a.index - b.index;
      return (va - vb) * dir || a.index - b.index;
    })
    .map((row, i) => ({ row, rank: i + 1 }));
}
