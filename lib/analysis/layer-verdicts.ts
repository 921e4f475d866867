/**
 * A layer's verdicts from its channels' results: the permutation null of the
 * ranking statistic (pooled over the layer, or per channel on request),
 * p-values, BH q-values, "beats noise" = q < α, null-standardised effects with
 * intervals, and the rule that produced them. Kept apart from the threading in
 * layer-scorer.ts; the statistics themselves live in lib/pcace.
 */
import { bootstrapStatistic, rankingValue, type RankingScore } from '../pcace/index';
import { nullStandardisedEffect, nullTest, summariseNull, type NullSummary } from '../pcace/pooled-null';
import { sampleSd } from '../pcace/stats';
import { verdictRule, verdictsFor, DEFAULT_VERDICT_OPTIONS, type VerdictOptions, type VerdictRule } from '../pcace/verdicts';
import type { ChannelTaskOptions, ChannelTaskResult } from './channel-task';
import type { AnalysisSpec, LayerResult } from './types';

export interface LayerVerdicts {
  null: NullSummary;
  rule: VerdictRule;
  /** Per channel, in the order of the results. */
  p: Float64Array;
  p_empirical: Float64Array;
  q: Float64Array;
  beats: boolean[];
  effect: Float64Array;
  effect_ci: [number, number][];
}

export function layerVerdicts(
  results: ChannelTaskResult[],
  rankBy: RankingScore,
  perChannel: boolean,
  options: VerdictOptions = DEFAULT_VERDICT_OPTIONS,
): LayerVerdicts | undefined {
  if (!results.length || !results.every((r) => r.nullDraws)) return undefined;
  if (perChannel ? results.some((r) => r.nullDraws!.value.length < 3) : results.reduce((s, r) => s + r.nullDraws!.value.length, 0) < 3) return undefined;
  const statistic = bootstrapStatistic(rankBy);
  const pooledValues = collectPooled(results);
  const pooledSummary = summariseNull(pooledValues, !perChannel);
  const m = results.length;
  const p = new Float64Array(m);
  const pEmp = new Float64Array(m);
  const effect = new Float64Array(m);
  const effectCi: [number, number][] = [];
  results.forEach((r, i) => {
    const observed = observedStatistic(r, statistic, rankBy);
    const draws = perChannel ? r.nullDraws!.value : pooledValues;
    const summary = perChannel ? summariseNull(draws, false) : pooledSummary;
    const t = nullTest(draws, summary, observed);
    p[i] = t.p;
    pEmp[i] = t.p_empirical;
    const se = r.bootstrap && r.bootstrap.length > 1 ? sampleSd(r.bootstrap) : statistic === 'crossfit' ? r.score.crossfit_mcse ?? 0 : 0;
    const e = nullStandardisedEffect(observed, se, summary);
    effect[i] = e.effect;
    effectCi.push(e.ci);
  });
  const v = verdictsFor(p, options);
  const B = perChannel ? results[0].nullDraws!.value.length : pooledValues.length;
  return {
    null: pooledSummary,
    rule: verdictRule(statistic, { kind: 'permutation', B, pooled: !perChannel, tail: 'empirical+normal-t' }, options, v.pi0),
    p,
    p_empirical: pEmp,
    q: v.q,
    beats: v.beats,
    effect,
    effect_ci: effectCi,
  };
}

/** All draws of a pooled null in draw order (independent of how channels were chunked or threaded). */
function collectPooled(results: ChannelTaskResult[]): Float64Array {
  const pairs: [number, number][] = [];
  for (const r of results) r.nullDraws!.draw.forEach((b, j) => pairs.push([b, r.nullDraws!.value[j]]));
  pairs.sort((a, b) => a[0] - b[0]);
  return Float64Array.from(pairs, (x) => x[1]);
}

function observedStatistic(r: ChannelTaskResult, statistic: 'pc1' | 'multiple' | 'crossfit', rankBy: RankingScore): number {
  if (statistic === bootstrapStatistic(rankBy) && !rankBy.startsWith('z_')) return rankingValue(r.score, rankBy)!;
  return statistic === 'pc1' ? r.score.score_pc1 : statistic === 'multiple' ? r.score.score_multiple : r.score.score_crossfit!;
}

/**
 * The draws a layer of m channels gets. 'auto' = max(20, ⌈m/4⌉): a quarter of the
 * channels' own cost on large layers; at least 20 because with 10 the fitted
 * tail's sd is noisy enough that 15 % of pure-noise layers flagged a channel
 * (bench/README.md "Null calibration").
 */
export function nullPermutationCount(spec: Pick<AnalysisSpec, 'nullPermutations' | 'perChannelNull'>, layerChannels: number): number {
  const b = spec.nullPermutations ?? 0;
  if (b === 'auto') return spec.perChannelNull ? AUTO_MIN_DRAWS : Math.max(AUTO_MIN_DRAWS, Math.ceil(layerChannels / 4));
  return b;
}

/** Fewest draws 'auto' takes (the fitted tail then has 19 degrees of freedom). */
export const AUTO_MIN_DRAWS = 20;

/** The per-layer options of an analysis that the channel tasks and the layer summary need for verdicts (the spec was validated against lib/analysis/options.ts). */
export function verdictTaskOptions(spec: AnalysisSpec, layerChannels: number): Pick<ChannelTaskOptions, 'crossFitCap' | 'nullDraws' | 'verdict'> {
  const B = nullPermutationCount(spec, layerChannels);
  return {
    crossFitCap: spec.crossFitCap,
    nullDraws: B > 0 ? { B, layerChannels, perChannel: spec.perChannelNull ?? false } : undefined,
    verdict: { alpha: spec.alpha ?? DEFAULT_VERDICT_OPTIONS.alpha, pi0: spec.pi0 ?? false },
  };
}

/** The layer-level verdict fields of a LayerResult. */
export function layerVerdictFields(summary: { verdicts?: LayerVerdicts }): Pick<LayerResult, 'null' | 'verdict_rule'> {
  return summary.verdicts ? { null: summary.verdicts.null, verdict_rule: summary.verdicts.rule } : {};
}
