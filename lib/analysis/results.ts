/** Per-channel scores → the flat rows results.json and the database store. */
import type { ConvLayerInfo } from '../models/engine';
import type { RankingScore } from '../pcace/index';
import type { ChannelTaskResult } from './channel-task';
import type { summariseLayer } from './layer-scorer';
import { networkQValues } from '../pcace/verdicts';
import { withDefaults } from './options';
import type { AnalysisSpec, ChannelResult, LayerResult } from './types';

export function toChannelResults(
  channels: ChannelTaskResult[],
  summary: ReturnType<typeof summariseLayer>,
  layer: ConvLayerInfo,
  rankBy: RankingScore,
): ChannelResult[] {
  const byPc1 = rankBy === 'pc1' || rankBy === 'z_pc1';
  return channels.map((c, i) => {
    const s = c.score;
    const perm = s.permutation;
    const weightMean = layer.weightMean?.[c.index];
    const row: ChannelResult = {
      index: c.index,
      rank: summary.ranks[i],
      score_pc1: s.score_pc1,
      score_multiple: s.score_multiple,
      rsq: s.rsq,
      components: s.components,
      explained_variance: s.explained_variance,
      mean_activation: c.mean_activation,
      max_activation: c.max_activation,
      flags: s.flags,
    };
    if (s.score_crossfit !== undefined) row.score_crossfit = s.score_crossfit;
    if (s.crossfit_mcse !== undefined) row.mcse = s.crossfit_mcse;
    if (s.crossfit_repeats !== undefined) row.crossfit_repeats = s.crossfit_repeats;
    if (perm) {
      row.p_value = byPc1 ? perm.p_pc1 : perm.p_multiple;
      row.z_score = byPc1 ? perm.z_pc1 : perm.z_multiple;
      row.p_value_pc1 = perm.p_pc1;
      row.p_value_multiple = perm.p_multiple;
      row.z_pc1 = perm.z_pc1;
      row.z_multiple = perm.z_multiple;
      row.null_mean = byPc1 ? perm.null_mean_pc1 : perm.null_mean_multiple;
      row.null_q95 = byPc1 ? perm.null_q95_pc1 : perm.null_q95_multiple;
    }
    const v = summary.verdicts;
    if (v) {
      row.p_value = v.p[i];
      row.p_value_empirical = v.p_empirical[i];
      row.q_value = v.q[i];
      row.beats_noise = v.beats[i];
      row.effect = v.effect[i];
      row.effect_ci = v.effect_ci[i];
    }
    const rc = summary.rankConfidence;
    if (rc) {
      row.rank_ci = [rc.marginal[i].lower, rc.marginal[i].upper];
      row.rank_ci_simultaneous = [rc.simultaneous[i].lower, rc.simultaneous[i].upper];
    }
    const interval = summary.rankIntervals?.[i];
    if (interval) {
      row.rank_p05 = interval.p05;
      row.rank_p95 = interval.p95;
    }
    if (summary.stability) row.rank_range_k = summary.stability.rankRange[i];
    if (weightMean !== undefined) {
      row.weight_mean = weightMean;
      row.reverse = weightMean < 0;
    }
    return row;
  });
}

/**
 * Network-wide q-values: one BH family over every channel of every layer of a
 * finished analysis (the CLI's whole result; the portal calls it once all
 * layers are stored). Layers without p-values are left alone.
 */
export function addNetworkQValues(layers: LayerResult[]): void {
  const withP = layers.filter((l) => l.verdict_rule && l.channels.every((c) => c.p_value !== undefined));
  if (!withP.length) return;
  const rule = withP[0].verdict_rule!;
  const q = networkQValues(withP.map((l) => l.channels.map((c) => c.p_value!)), { alpha: rule.alpha, pi0: rule.correction === 'BH-Storey' });
  withP.forEach((l, i) => l.channels.forEach((c, j) => (c.q_value_network = q[i][j])));
}

/**
 * The spec results.json echoes: what was analysed, then every declared option
 * (lib/analysis/options.ts) with the value used, defaults included, so a
 * results file says how it was computed even when the request left options out.
 */
export function echoSpec(spec: AnalysisSpec): AnalysisSpec {
  const { model, dataset, target, layers } = spec;
  return { model, dataset, target, layers, ...withDefaults(spec) };
}
