/** An analysis' stored results as a CSV or JSON download. */
import { db } from '../db/client';
import { analysisResults } from './analysis-results';
import { analysisJson } from './serialize';

/** Channel fields in the CSV, in this order (every field of lib/analysis/types.ts ChannelResult; intervals as _low/_high). */
export const CHANNEL_CSV_FIELDS = [
  'rank',
  'score_pc1',
  'score_multiple',
  'rsq',
  'score_crossfit',
  'mcse',
  'crossfit_repeats',
  'p_value',
  'p_value_empirical',
  'q_value',
  'q_value_network',
  'beats_noise',
  'effect',
  'effect_ci_low',
  'effect_ci_high',
  'rank_ci_low',
  'rank_ci_high',
  'rank_ci_simultaneous_low',
  'rank_ci_simultaneous_high',
  'z_score',
  'p_value_pc1',
  'p_value_multiple',
  'z_pc1',
  'z_multiple',
  'null_mean',
  'null_q95',
  'rank_p05',
  'rank_p95',
  'rank_range_k',
  'components',
  'explained_variance',
  'mean_activation',
  'max_activation',
  'weight_mean',
  'reverse',
  'ablation_drop',
  'ablation_accuracy_drop',
  'mean_ablation_drop',
  'mean_ablation_accuracy_drop',
  'mean_ablation_rms',
  'mean_abs_activation',
  'filter_l1',
  'taylor',
  'conductance',
  'baseline_corrected',
  'baseline_z',
  'baseline_p',
  'baseline_q',
  'score_retest',
  'flags',
] as const;

/** Interval fields ([low, high]) become two columns each, so spreadsheets read them as numbers. */
const INTERVALS = ['effect_ci', 'rank_ci', 'rank_ci_simultaneous'] as const;

/**
 * Per-layer columns, repeated on each of the layer's rows: the rule its
 * verdicts were made under and the null they were tested against (empty for
 * layers without a null: their channels carry no verdict), and the ranking's
 * test–retest reliability (empty without a retest).
 */
export const LAYER_CSV_FIELDS = [
  'verdict_rule',
  'verdict_alpha',
  'verdict_correction',
  'layer_null_B',
  'layer_null_pooled',
  'layer_null_mean',
  'layer_null_sd',
  'layer_null_q50',
  'layer_null_q95',
  'layer_null_q99',
  'layer_null_max',
  'sanity_statistic',
  'random_filters',
  'random_filter_mean',
  'random_filter_auc',
  'random_filter_auc_ci_low',
  'random_filter_auc_ci_high',
  'random_filter_verdict',
  'cascading_rho',
  'cascading_rho_ci_low',
  'cascading_rho_ci_high',
  'independent_rho',
  'independent_rho_ci_low',
  'independent_rho_ci_high',
  'layer_reliability',
  'layer_reliability_ci_low',
  'layer_reliability_ci_high',
  'layer_reliability_images',
] as const;

function layerCells(l: StoredResults['layers'][number]): Record<(typeof LAYER_CSV_FIELDS)[number], unknown> {
  const r = l.verdict_rule;
  const n = l.null;
  return {
    verdict_rule: r?.text,
    verdict_alpha: r?.alpha,
    verdict_correction: r?.correction,
    layer_null_B: n?.B,
    layer_null_pooled: n?.pooled,
    layer_null_mean: n?.mean,
    layer_null_sd: n?.sd,
    layer_null_q50: n?.q50,
    layer_null_q95: n?.q95,
    layer_null_q99: n?.q99,
    layer_null_max: n?.max,
    layer_reliability: l.reliability?.spearman,
    layer_reliability_ci_low: l.reliability?.ci[0],
    layer_reliability_ci_high: l.reliability?.ci[1],
    layer_reliability_images: l.reliability?.images,
    ...sanityCells(l.sanity),
  };
}

/** The layer's sanity checks (empty for analyses run without them). */
function sanityCells(s: StoredResults['layers'][number]['sanity']) {
  const rf = s?.random_filters;
  return {
    sanity_statistic: s?.statistic,
    random_filters: rf?.count,
    random_filter_mean: rf?.mean,
    random_filter_auc: rf?.auc,
    random_filter_auc_ci_low: rf?.auc_ci?.[0],
    random_filter_auc_ci_high: rf?.auc_ci?.[1],
    random_filter_verdict: rf?.verdict,
    cascading_rho: s?.cascading.rho,
    cascading_rho_ci_low: s?.cascading.rho_ci?.[0],
    cascading_rho_ci_high: s?.cascading.rho_ci?.[1],
    independent_rho: s?.independent.rho,
    independent_rho_ci_low: s?.independent.rho_ci?.[0],
    independent_rho_ci_high: s?.independent.rho_ci?.[1],
  };
}

/** RFC 4180 quoting; text starting like a formula gets a leading apostrophe so spreadsheets show it as text. */
function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = Array.isArray(v) ? v.join(';') : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

type StoredResults = Awaited<ReturnType<typeof analysisResults>>;

/** One row per channel: the layer, its position, the channel and all its statistics. */
export function resultsCsv(layers: StoredResults['layers']): string {
  const header = ['layer', 'layer_index', 'channel', ...CHANNEL_CSV_FIELDS, ...LAYER_CSV_FIELDS];
  const lines = [header.join(',')];
  for (const l of layers) {
    const perLayer = layerCells(l);
    const layerPart = LAYER_CSV_FIELDS.map((f) => csvCell(perLayer[f]));
    for (const c of l.channels) {
      const rec: Record<string, unknown> = { ...(c as unknown as Record<string, unknown>) };
      for (const k of INTERVALS) {
        const v = rec[k];
        if (Array.isArray(v)) [rec[`${k}_low`], rec[`${k}_high`]] = v;
      }
      lines.push([csvCell(l.name), csvCell(l.index), csvCell(c.index), ...CHANNEL_CSV_FIELDS.map((f) => csvCell(rec[f])), ...layerPart].join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * The stored results as a download. Exports of a running analysis hold the
 * layers finished so far: `complete` says whether every layer is there.
 */
export async function analysisExport(labId: string, id: string, format: 'csv' | 'json') {
  const [res, taskCount] = await Promise.all([analysisResults(labId, id), db.layerTask.count({ where: { analysisId: id } })]);
  const a = res.analysis;
  const complete = a.status === 'completed' && res.layers.length >= taskCount;
  const filename = `analysis-${a.id}.${format}`;
  if (format === 'csv') return { filename, complete, contentType: 'text/csv; charset=utf-8', body: resultsCsv(res.layers) };
  const body = JSON.stringify({
    analysis: {
      ...analysisJson(a),
      model: { id: a.modelVersion.model.id, name: a.modelVersion.model.name, version: a.modelVersion.version, versionId: a.modelVersion.id },
      dataset: a.dataset,
    },
    complete,
    layersDone: res.layers.length,
    layersTotal: taskCount,
    summary: a.summary ?? null,
    layers: res.layers,
    global_ranking: res.globalRanking,
    network_curves: res.networkCurves,
  });
  return { filename, complete, contentType: 'application/json; charset=utf-8', body };
}
