/**
 * Compare methods: for one analysis and layer, the PCACE ranking score
 * against every importance measure (mean- and zero-ablation, activation,
 * filter L1, Taylor, conductance; lib/analysis/importance) — is the
 * statistical ranking the one that matters to the output? With them come the
 * layer's stored agreement (Spearman and top-k with bootstrap intervals) and
 * deletion curves, and the analysis' network-wide deletion curves. Analyses run without ablation get the reason and how to
 * measure it instead of an empty chart. A calibrated layer's verdicts (q,
 * beats noise, effect with its interval) come with the rule that made them;
 * they are of the statistic that ranked, which the view names when the chosen
 * score is another one.
 */
import { z } from 'zod';
import { cachedView, type ViewBody, idParam, parseArrays, layerParam, loadAnalyses, missingScore, parseQuery, pickLayer, r6, s6, scoreParam, scoreSql, toFloat } from './compare';
import { spearmanOrNull } from './compare-stats';
import { SCORE_LABELS, type AnalysisInfo, type MethodsPayload, type ScoreField } from './shared/compare';
import type { VerdictRuleView } from './shared/payloads';
import { ruleShort } from './shared/verdict-words';
import { db } from '../db/client';
import { layerImportanceRecord, layerVerdictRecord } from '../queue/result-rows';
import { networkCurvesOf } from '../queue/network-curves';
import { MEASURE_LABELS } from '../analysis/importance/types';

/** Measures stored in a channel's `extra` (no column of their own), in the order the view lists them. */
const EXTRA_MEASURES = ['mean_ablation_drop', 'mean_ablation_rms', 'mean_ablation_accuracy_drop', 'mean_abs_activation', 'filter_l1', 'taylor', 'conductance'] as const;

export const methodsQuery = z.object({ analysis: idParam, layer: layerParam, score: scoreParam }).strict();

type Row = { ch: number[]; sc: (number | null)[]; drop: (number | null)[]; acc: (number | null)[]; act: (number | null)[]; ex: Record<string, number | null>[] };

export async function compareMethods(labId: string, req: Request): Promise<ViewBody> {
  const q = parseQuery(req, methodsQuery);
  return cachedView(labId, [q.analysis], `methods:${q.score}:${q.layer ?? ''}`, async () => {
    const [info] = await loadAnalyses(labId, [q.analysis], q.score);
    const { layer } = pickLayer([info], q.layer);
    const raw = await db.$queryRaw<Record<string, unknown>[]>`
      SELECT array_to_json(array_agg(ch.channel ORDER BY ch.channel))::text AS ch,
        array_to_json(array_agg(${scoreSql(q.score)} ORDER BY ch.channel))::text AS sc,
        array_to_json(array_agg(ch.ablation_drop ORDER BY ch.channel))::text AS drop,
        array_to_json(array_agg(ch.ablation_accuracy_drop ORDER BY ch.channel))::text AS acc,
        array_to_json(array_agg(ch.mean_activation ORDER BY ch.channel))::text AS act,
        array_to_json(array_agg(COALESCE(ch.extra, '{}'::jsonb) ORDER BY ch.channel))::text AS ex
      FROM "Analysis" a
      JOIN "LayerResult" l ON l."analysisId" = a.id AND l.name = ${layer}
      JOIN "ChannelResult" ch ON ch."layerResultId" = l.id
      WHERE a."labId" = ${labId} AND a.id = ${info.id}`;
    // An aggregate without rows is one row of NULLs: parseArrays turns those into empty arrays.
    const [row] = parseArrays<Row>(raw, ['ch', 'sc', 'drop', 'acc', 'act', 'ex']);
    const stored = await db.layerResult.findFirst({ where: { analysisId: info.id, name: layer, analysis: { labId } }, select: { extra: true } });
    const run = await db.analysis.findFirst({ where: { id: info.id, labId }, select: { summary: true } });
    const payload = methodsPayload(info, layer, q.score, row, layerImportanceRecord(stored?.extra).importance ?? null);
    return { ...payload, network: networkCurvesOf(run?.summary), ...verdicts(info, row, layerVerdictRecord(stored?.extra).verdict_rule) };
  });
}

/** The layer's stored verdicts with their rule, and whether they are of the score shown; none for a layer without a null. */
function verdicts(info: AnalysisInfo, row: Row, rule: VerdictRuleView | undefined): Pick<MethodsPayload, 'verdicts' | 'verdictNote'> {
  if (!rule) return { verdicts: null, verdictNote: null };
  const num = (key: string) => row.ex.map((e) => (typeof e?.[key] === 'number' ? e[key] : null));
  const ci = (k: 0 | 1) => row.ex.map((e) => {
    const v = (e as Record<string, unknown> | null)?.effect_ci;
    return Array.isArray(v) && typeof v[k] === 'number' ? r6(v[k]) : null;
  });
  const statistic = STATISTIC_FIELD[rule.statistic];
  return {
    verdicts: {
      rule: rule.text,
      ruleShort: ruleShort(rule),
      q: num('q_value').map((v) => (v === null || !Number.isFinite(v) ? null : Number(v.toPrecision(6)))),
      beats: row.ex.map((e) => {
        const b = (e as Record<string, unknown> | null)?.beats_noise;
        return typeof b === 'boolean' ? b : null;
      }),
      effect: num('effect').map(r6),
      effectLow: ci(0),
      effectHigh: ci(1),
    },
    verdictNote:
      statistic === info.scoreField
        ? null
        : `q, the verdicts and the effects are of the ${statistic ? SCORE_LABELS[statistic] : rule.statistic}, the statistic this analysis ranked and tested; the charts show the ${SCORE_LABELS[info.scoreField]}`,
  };
}

/** The score field of a verdict rule's statistic. */
const STATISTIC_FIELD: Record<string, ScoreField> = { crossfit: 'score_crossfit', multiple: 'score_multiple', pc1: 'score_pc1' };

function methodsPayload(info: AnalysisInfo, layer: string, score: MethodsPayload['score'], row: Row, importance: MethodsPayload['importance']): Omit<MethodsPayload, 'verdicts' | 'verdictNote' | 'network'> {
  if (row.ch.length > 0 && !row.sc.some((v) => v !== null)) missingScore(info);
  const hasDrop = row.drop.some((v) => v !== null);
  const hasAcc = row.acc.some((v) => v !== null);
  const measures: MethodsPayload['measures'] = [{ key: info.scoreField, label: `PCACE ${SCORE_LABELS[info.scoreField]}`, values: row.sc.map(r6) }];
  const full: (number | null)[][] = [row.sc];
  const add = (key: string, label: string, values: (number | null)[]) => {
    measures.push({ key, label, values: values.map(s6) });
    full.push(values);
  };
  const extra = (key: string) => row.ex.map((e) => (typeof e?.[key] === 'number' ? e[key] : null));
  const firstExtra = EXTRA_MEASURES.map((k) => [k, extra(k)] as const).filter(([, v]) => v.some((x) => x !== null));
  for (const [k, v] of firstExtra.filter(([k]) => k === 'mean_ablation_drop' || k === 'mean_ablation_rms')) add(k, MEASURE_LABELS[k].label, v);
  if (hasDrop) add('ablation_drop', 'zero-ablation drop (class score)', row.drop);
  if (hasAcc) add('ablation_accuracy_drop', 'zero-ablation drop (accuracy)', row.acc);
  for (const [k, v] of firstExtra.filter(([k]) => k !== 'mean_ablation_drop' && k !== 'mean_ablation_rms')) add(k, MEASURE_LABELS[k].label, v);
  add('mean_activation', 'mean activation', row.act);

  // Spearman on the full-precision values, pairwise over channels both measures have.
  const raw = full.map(toFloat);
  const m = raw.length;
  const rho = Array.from({ length: m }, () => new Array<number | null>(m).fill(null));
  const p = Array.from({ length: m }, () => new Array<number | null>(m).fill(null));
  const n = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      const s = spearmanOrNull(raw[i], raw[j]);
      rho[i][j] = rho[j][i] = i === j ? 1 : s ? r6(s.rho) : null;
      p[i][j] = p[j][i] = i === j || !s ? null : s.p;
      n[i][j] = n[j][i] = s?.n ?? 0;
    }
  }
  return { score, layer, analysis: info, n: row.ch.length, channel: row.ch, measures, spearman: { rho, p, n }, ablation: ablationNote(info, hasDrop), importance };
}

function ablationNote(info: AnalysisInfo, hasDrop: boolean): MethodsPayload['ablation'] {
  if (hasDrop) return { available: true };
  if (info.model.format !== 'onnx') {
    return {
      available: false,
      reason: `${info.model.name} is a ${info.model.format} model: ablation is measured for ONNX models only.`,
      howTo: 'Export the model to ONNX, upload it as a new version and run an analysis with ablation.',
    };
  }
  return {
    available: false,
    reason: info.options.ablation
      ? 'This analysis asked for ablation, but no ablation drops are stored for this layer.'
      : 'This analysis ran without ablation: nobody zeroed the channels to see what the class score loses.',
    howTo: 'Run the analysis again with ablation: the API option "ablation": true, or pcace rank --ablation on the command line. It reruns the network above the layer once per channel.',
  };
}
