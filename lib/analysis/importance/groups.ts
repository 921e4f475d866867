/**
 * Group PCACE for a layer (the paper's future work, lib/pcace/group.ts): the
 * joint cross-fitted maximal correlation of the layer's top-k channels by
 * PCACE, and of its top-k by the mean-ablation RMS change, beside the best
 * single channel of each set. Do the channels PCACE puts first carry more
 * together than alone, and more or less than the ones the network uses?
 */
import { groupScore, maxGroupPredictors, type GroupOptions, type GroupScore } from '../../pcace/group';
import { orderOf } from './curves';
import type { AnalysisSpec, ChannelResult } from '../types';

export interface LayerGroup {
  /** Which order picked the members. */
  by: string;
  k: number;
  score: GroupScore;
  /** The best member's own cross-fitted score (same splits). */
  best_single: number | null;
}

/** Components per member: the analysis' k when it is a number, else 5. */
export function memberComponents(spec: Pick<AnalysisSpec, 'components'>): number {
  return typeof spec.components === 'number' ? spec.components : 5;
}

/**
 * The options every group of an analysis is scored with (its top-k groups and
 * the sets its members pick): at least one cross-fit repeat, since only the
 * cross-fitted score falls when a member adds noise, and the analysis' seed,
 * so a group and its members are scored on the same splits.
 */
export function groupOptions(spec: Pick<AnalysisSpec, 'components' | 'flavour' | 'crossFitRepeats' | 'crossFitCap' | 'seed'>): GroupOptions {
  return { components: memberComponents(spec), flavour: spec.flavour, crossFitRepeats: Math.max(1, spec.crossFitRepeats), crossFitCap: spec.crossFitCap, seed: spec.seed };
}

/** Most channels a group of an analysis of n images may have: each member brings up to its components, and ACE takes n/5 predictors. */
export function maxGroupMembers(n: number, spec: Pick<AnalysisSpec, 'components'>): number {
  return Math.floor(maxGroupPredictors(n) / memberComponents(spec));
}

export function layerGroups(
  input: { data: Float32Array; n: number; channels: number; positions: number },
  y: Float64Array,
  spec: AnalysisSpec,
  channels: ChannelResult[],
  orders: { by: string; values: number[] }[],
): LayerGroup[] {
  const k = Math.min(5, input.channels, maxGroupMembers(input.n, spec));
  if (k < 2) return [];
  const byIndex = [...channels].sort((a, b) => a.index - b.index);
  const options = groupOptions(spec);
  return orders
    .filter((o) => o.values.some(Number.isFinite))
    .map((o) => {
      const members = orderOf(o.values, 'top').slice(0, k);
      const singles = members.map((c) => byIndex[c].score_crossfit).filter((v): v is number => typeof v === 'number');
      return { by: o.by, k, score: groupScore(input, members, y, options), best_single: singles.length ? Math.max(...singles) : null };
    });
}

/**
 * Why a picked set of a layer's channels cannot be scored as a group, or null
 * when it can: 2 to maxGroupMembers channels, each a channel of the layer,
 * none twice. The portal refuses such a pick (400) and the worker fails it,
 * with the same words.
 */
export function groupPickProblem(channels: readonly unknown[], layerChannels: number, n: number, spec: Pick<AnalysisSpec, 'components'>): string | null {
  const most = maxGroupMembers(n, spec);
  const perMember = memberComponents(spec);
  const why = `each channel brings up to ${perMember} components and ACE takes at most ${maxGroupPredictors(n)} predictors (n/5) for the ${n} images`;
  if (most < 2) return `this analysis' ${n} images allow no group: ${why}`;
  for (const c of channels) {
    if (typeof c !== 'number' || !Number.isInteger(c)) return `${JSON.stringify(c)} is not a channel number`;
    if (c < 0 || c >= layerChannels) return `channel ${c} is not in this layer (channels 0–${layerChannels - 1})`;
  }
  const seen = new Set<number>();
  for (const c of channels as number[]) {
    if (seen.has(c)) return `channel ${c} is picked twice`;
    seen.add(c);
  }
  if (channels.length < 2) return 'pick at least 2 channels (one channel alone is its own score)';
  if (channels.length > most) return `pick at most ${most} channels: ${why}`;
  return null;
}
