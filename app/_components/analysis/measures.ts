/**
 * Ranking measures of an analysis' channels and their verdicts, shared by
 * the chart, the histograms and the table (pure: server and client).
 */
import type { ChannelResult } from '@/lib/server/shared/analysis-types';
import type { NullSummaryView, VerdictRuleView } from '@/lib/server/shared/payloads';

export type MeasureKey = 'score_crossfit' | 'score_multiple' | 'score_pc1' | 'effect' | 'q_value' | 'z_score' | 'p_value' | 'ablation_drop';

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
  effect: {
    key: 'effect',
    label: 'Effect vs null',
    axis: 'Effect (null-standardised)',
    order: 'desc',
    help: '(score − null mean) / null sd, against the layer’s null of the ranking statistic, with a 95 % interval',
  },
  q_value: {
    key: 'q_value',
    label: 'q-value',
    axis: 'q-value (BH within the layer)',
    order: 'asc',
    help: 'false-discovery-adjusted p-value within the layer: a channel beats noise when q is below α',
  },
  z_score: { key: 'z_score', label: 'z vs permutation null', axis: 'z (permutation null)', order: 'desc', help: 'standard deviations above the permutation null' },
  p_value: { key: 'p_value', label: 'p-value', axis: 'p-value (uncorrected)', order: 'asc', help: 'chance of a score at least this high under the null, before correcting for the layer’s many channels (small is better)' },
  ablation_drop: { key: 'ablation_drop', label: 'Ablation drop', axis: 'Class-score drop when zeroed', order: 'desc', help: 'how much the target score falls when the channel is zeroed' },
};

export const MEASURE_ORDER: MeasureKey[] = ['score_crossfit', 'score_multiple', 'score_pc1', 'effect', 'q_value', 'z_score', 'p_value', 'ablation_drop'];

/** The fields the pages use of a channel (the rest stays in the exports). */
export type ChannelRow = Pick<
  ChannelResult,
  | 'index'
  | 'rank'
  | 'score_pc1'
  | 'score_multiple'
  | 'score_crossfit'
  | 'p_value'
  | 'q_value'
  | 'q_value_network'
  | 'beats_noise'
  | 'effect'
  | 'effect_ci'
  | 'mcse'
  | 'rank_ci'
  | 'rank_range_k'
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
  /** The rule the layer's verdicts were made under; absent: not calibrated. */
  verdict_rule?: VerdictRuleView;
  null?: NullSummaryView;
  channels: ChannelRow[];
}

export function toChannelRow(c: ChannelResult): ChannelRow {
  const { index, rank, score_pc1, score_multiple, score_crossfit, p_value, q_value, q_value_network, beats_noise, effect, effect_ci, mcse, rank_ci, rank_range_k } = c;
  const { z_score, rank_p05, rank_p95, ablation_drop, mean_activation, max_activation, weight_mean, reverse, flags } = c;
  return {
    index, rank, score_pc1, score_multiple, score_crossfit, p_value, q_value, q_value_network, beats_noise, effect, effect_ci, mcse, rank_ci, rank_range_k,
    z_score, rank_p05, rank_p95, ablation_drop, mean_activation, max_activation, weight_mean, reverse, flags,
  };
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
 * A channel's verdict. "Beats noise" is only ever the stored verdict: q < α
 * after Benjamini–Hochberg within the layer, against the layer's null of the
 * ranking statistic (its verdict_rule). A layer without a rule (an analysis
 * run without a null, or stored before verdicts existed) is "not calibrated":
 * neither an uncorrected p < 0.05 nor a score above 0 stands in for it.
 */
export type Verdict = 'beats' | 'noise';

export function verdictOf(c: ChannelRow, layer: Pick<LayerView, 'verdict_rule'>): Verdict | undefined {
  if (!layer.verdict_rule || typeof c.beats_noise !== 'boolean') return undefined;
  return c.beats_noise ? 'beats' : 'noise';
}

/** Whether any / every layer carries a verdict rule. */
export function calibration(layers: Pick<LayerView, 'verdict_rule'>[]): 'all' | 'some' | 'none' {
  const n = layers.filter((l) => l.verdict_rule).length;
  return n === 0 ? 'none' : n === layers.length ? 'all' : 'some';
}

/** The rule in a few words for legends (declared with the payloads: the compare views' server code names it too). */
export { ruleShort } from '@/lib/server/shared/verdict-words';

export const STATISTIC_NAMES: Record<VerdictRuleView['statistic'], string> = {
  crossfit: 'cross-fitted score',
  multiple: 'multiple correlation',
  pc1: 'first-component correlation (pc1)',
};

/** The rule in words for people: what beats noise means in this layer. */
export function ruleSentence(rule: VerdictRuleView): string {
  return `A channel beats noise when its q-value is below ${rule.alpha} (${rule.text}).`;
}

/** The measure whose values the null describes (the statistic the verdicts tested). */
export function measureOfStatistic(statistic: VerdictRuleView['statistic']): MeasureKey {
  return statistic === 'pc1' ? 'score_pc1' : statistic === 'multiple' ? 'score_multiple' : 'score_crossfit';
}

export const NOT_CALIBRATED = 'not calibrated';

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

/** A rank that moves by this share of the layer or more is flagged unstable. */
export const UNSTABLE_RANK_SHARE = 0.25;

/**
 * Why a channel's rank should not be read as exact, or null: its 95 % rank
 * set, or its rank across the numbers of components k, spans a quarter of
 * the layer or more.
 */
export function rankInstability(c: Pick<ChannelRow, 'rank_ci' | 'rank_p05' | 'rank_p95' | 'rank_range_k'>, channels: number): string | null {
  const limit = Math.max(3, UNSTABLE_RANK_SHARE * channels);
  const ci = c.rank_ci ? c.rank_ci[1] - c.rank_ci[0] : c.rank_p05 !== undefined && c.rank_p95 !== undefined ? c.rank_p95 - c.rank_p05 : undefined;
  const reasons: string[] = [];
  if (c.rank_range_k !== undefined && c.rank_range_k >= limit) reasons.push(`its rank moves ${c.rank_range_k} places across k`);
  if (ci !== undefined && ci >= limit) reasons.push(`its 95 % rank set spans ${Math.round(ci)} places`);
  return reasons.length ? `unstable rank: ${reasons.join(' and ')} (of ${channels} channels)` : null;
}
