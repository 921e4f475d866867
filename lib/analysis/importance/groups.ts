/**
 * Group PCACE for a layer (the paper's future work, lib/pcace/group.ts): the
 * joint cross-fitted maximal correlation of the layer's top-k channels by
 * PCACE, and of its top-k by the mean-ablation RMS change, beside the best
 * single channel of each set. Do the channels PCACE puts first carry more
 * together than alone, and more or less than the ones the network uses?
 */
import { groupScore, maxGroupPredictors, type GroupScore } from '../../pcace/group';
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
function memberComponents(spec: AnalysisSpec): number {
  return typeof spec.components === 'number' ? spec.components : 5;
}

export function layerGroups(
  input: { data: Float32Array; n: number; channels: number; positions: number },
  y: Float64Array,
  spec: AnalysisSpec,
  channels: ChannelResult[],
  orders: { by: string; values: number[] }[],
): LayerGroup[] {
  const perMember = memberComponents(spec);
  const k = Math.min(5, input.channels, Math.floor(maxGroupPredictors(input.n) / perMember));
  if (k < 2) return [];
  const byIndex = [...channels].sort((a, b) => a.index - b.index);
  const options = { components: perMember, flavour: spec.flavour, crossFitRepeats: Math.max(1, spec.crossFitRepeats), crossFitCap: spec.crossFitCap, seed: spec.seed };
  return orders
    .filter((o) => o.values.some(Number.isFinite))
    .map((o) => {
      const members = orderOf(o.values, 'top').slice(0, k);
      const singles = members.map((c) => byIndex[c].score_crossfit).filter((v): v is number => typeof v === 'number');
      return { by: o.by, k, score: groupScore(input, members, y, options), best_single: singles.length ? Math.max(...singles) : null };
    });
}
