/**
 * Analyses: created as `queued` rows after checking that the model version
 * and the dataset belong to the lab and that the layers and target fit the
 * model. Running them is the queue's job (a later round hooks in at
 * `onAnalysisQueued`).
 */
import { DEFAULT_ANALYSIS } from '../analysis/defaults';
import { estimateAnalysisCost } from '../analysis/cost';
import { rowToChannel } from '../queue/result-rows';
import { db, Prisma } from '../db/client';
import { notifyWorkers } from '../queue/layer-tasks';
import { badRequest, notFound, parseWith } from './errors';
import type { LabContext } from './access';
import type { StoredLayer } from './models';
import { createAnalysisSchema } from './schemas';
import { admitAnalysis, cpuLimitRefusal, labLimits, workerThreads } from './limits';
import { analysisJson } from './serialize';

/** Integration point for the queue: called after an analysis row is created. */
export let onAnalysisQueued: (analysisId: string) => Promise<void> = async () => {};
export function setOnAnalysisQueued(fn: (analysisId: string) => Promise<void>): void {
  onAnalysisQueued = fn;
}

/** A validated analysis request with its cost estimate, before anything is stored. */
async function prepareAnalysis(ctx: LabContext, body: unknown) {
  const input = parseWith(createAnalysisSchema, body, 'analysis');
  const mv = await db.modelVersion.findFirst({
    where: { id: input.modelVersionId, model: { labId: ctx.lab.id } },
    include: { model: { select: { name: true } } },
  });
  if (!mv) throw notFound('model version not found');
  const dataset = await db.dataset.findFirst({ where: { id: input.datasetId, labId: ctx.lab.id } });
  if (!dataset) throw notFound('dataset not found');

  const available = (mv.layers as unknown as StoredLayer[]).map((l) => l.name);
  if (input.layers !== 'all') {
    const unknown = input.layers.filter((l) => !available.includes(l));
    if (unknown.length > 0) {
      throw badRequest(`unknown layer${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}; ${mv.model.name} v${mv.version} has: ${available.join(', ')}`);
    }
  }
  const outputs = ((mv.outputShape as number[] | null) ?? []).reduce((a, b) => a * b, 1);
  if (input.target.kind === 'class' && mv.outputShape && input.target.index >= outputs) {
    throw badRequest(`target class index ${input.target.index} is out of range: the model has ${outputs} outputs`);
  }
  if (input.target.kind === 'regression' && input.target.source === 'dataset' && dataset.kind !== 'csv') {
    throw badRequest('a regression target taken from the dataset needs a CSV dataset (image,target)');
  }
  const { layers: _defaultLayers, ...defaults } = DEFAULT_ANALYSIS;
  const options = { ...defaults, ...input.options };
  checkOptionCombinations(options, mv.format);

  const stored = mv.layers as unknown as StoredLayer[];
  const chosen = input.layers === 'all' ? stored : stored.filter((l) => (input.layers as string[]).includes(l.name));
  const estimate = estimateAnalysisCost({
    model: { layers: stored, inputShape: mv.inputShape as number[], format: mv.format },
    layers: input.layers,
    options,
    threads: workerThreads(),
    availableImages: (dataset.counts as { total?: number } | null)?.total,
  });
  const limits = await labLimits(ctx.lab.id);
  return { input, mv, dataset, options, stored, chosen, estimate, limits };
}

/**
 * What an analysis would cost, without creating it (POST .../analyses/estimate):
 * the estimate, the lab's limit and, when it is past the limit, the refusal
 * that creating it would give.
 */
export async function estimateAnalysis(ctx: LabContext, body: unknown) {
  const { estimate, limits } = await prepareAnalysis(ctx, body);
  const refusal = cpuLimitRefusal(ctx.lab.slug, estimate, limits);
  return { estimate, maxCpuHoursPerAnalysis: limits.maxCpuHoursPerAnalysis, allowed: refusal === null, refusal };
}

/** Creates a queued analysis with its layer tasks; the result carries the cost estimate. */
export async function createAnalysis(ctx: LabContext, body: unknown) {
  const { input, mv, dataset, options, stored, chosen, estimate, limits } = await prepareAnalysis(ctx, body);
  const refusal = cpuLimitRefusal(ctx.lab.slug, estimate, limits);
  if (refusal) throw badRequest(refusal);

  // The analysis and its layer tasks appear together: never a queued analysis without work.
  const analysis = await db.$transaction(async (tx) => {
    await admitAnalysis(tx, ctx.lab, limits);
    const created = await tx.analysis.create({
      data: {
        labId: ctx.lab.id,
        modelVersionId: mv.id,
        datasetId: dataset.id,
        title: input.title || `${mv.model.name} v${mv.version} × ${dataset.name}`,
        target: input.target,
        layers: input.layers,
        options: options as unknown as Prisma.InputJsonValue,
        status: 'queued',
        createdById: ctx.user.id,
      },
    });
    await tx.layerTask.createMany({
      data: chosen.map((l) => ({ analysisId: created.id, layerName: l.name, layerIndex: stored.indexOf(l), channels: l.channels })),
    });
    return created;
  });
  await notifyWorkers(db);
  await onAnalysisQueued(analysis.id);
  return Object.assign(analysis, { estimate });
}

export async function getAnalysis(labId: string, id: string) {
  const a = await db.analysis.findFirst({
    where: { id, labId },
    include: {
      modelVersion: { select: { id: true, version: true, model: { select: { id: true, name: true } } } },
      dataset: { select: { id: true, name: true, kind: true } },
      createdBy: { select: { name: true, email: true } },
    },
  });
  if (!a) throw notFound('analysis not found');
  return a;
}

/** Stored results of an analysis, in the shape of lib/analysis/types.ts (LayerResult[]). */
export async function analysisResults(labId: string, id: string, opts: { layer?: string; top?: number } = {}) {
  const a = await getAnalysis(labId, id);
  const layers = await db.layerResult.findMany({
    where: { analysisId: a.id, ...(opts.layer ? { name: opts.layer } : {}) },
    orderBy: { index: 'asc' },
    include: {
      channels: { orderBy: { rank: 'asc' }, ...(opts.top ? { where: { rank: { lte: opts.top } } } : {}) },
    },
  });
  return {
    analysis: a,
    layers: layers.map((l) => ({
      name: l.name,
      index: l.index,
      shape: l.shape,
      kernel: l.kernel ?? undefined,
      seconds: l.seconds,
      warnings: (l.warnings as string[] | null) ?? [],
      rank_stability: l.rankStability ?? undefined,
      channels: l.channels.map(rowToChannel),
    })),
  };
}

/** Ask a queued or running analysis to stop (the worker honours cancelRequested). */
export async function requestCancel(labId: string, id: string) {
  const a = await db.analysis.findFirst({ where: { id, labId }, select: { id: true, status: true } });
  if (!a) throw notFound('analysis not found');
  if (a.status !== 'queued' && a.status !== 'running') throw badRequest(`analysis is ${a.status}; only queued or running analyses can be cancelled`);
  return db.analysis.update({
    where: { id: a.id },
    data: a.status === 'queued' ? { cancelRequested: true, status: 'cancelled', finishedAt: new Date() } : { cancelRequested: true },
  });
}

/**
 * Combinations the worker would refuse (lib/analysis/run-analysis.ts
 * validateSpec, ablation-step): refused here with a 400, so the person sees
 * them on the form instead of as a failed run minutes later.
 */
export function checkOptionCombinations(
  options: { rankBy: string; permutations: number; crossFitRepeats: number; ablation?: boolean },
  format: 'onnx' | 'tfjs',
): void {
  if (options.rankBy.startsWith('z_') && options.permutations < 2) {
    throw badRequest(`options.rankBy: ranking by ${options.rankBy} needs permutations ≥ 2 (the z is measured against the permutation null)`);
  }
  if (options.rankBy === 'crossfit' && options.crossFitRepeats < 1) {
    throw badRequest('options.rankBy: ranking by crossfit needs cross-fit repeats ≥ 1');
  }
  if (options.ablation && format !== 'onnx') throw badRequest('options.ablation: ablation is available for ONNX models only');
}

// ---------------------------------------------------------------- live progress

export interface LayerTaskView {
  name: string;
  index: number;
  channels: number;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  /** 0..1 within the layer. */
  progress: number;
  /** Failure reason, or the error of an earlier attempt of a task queued again. */
  error: string | null;
}

/** What the analysis page polls while an analysis runs (GET .../progress). */
export interface AnalysisProgressView {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  progress: number;
  currentLayer: string | null;
  etaSeconds: number | null;
  error: string | null;
  cancelRequested: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  /** Layer tasks in model order; a completed task's results are stored (same transaction). */
  layers: LayerTaskView[];
}

/**
 * One indexed query (the analysis row with its tasks' small columns): it is
 * polled about once a second by every open analysis page, so it reads no
 * results and no JSON columns.
 */
export async function analysisProgress(labId: string, id: string): Promise<AnalysisProgressView> {
  const a = await db.analysis.findFirst({
    where: { id, labId },
    select: {
      id: true,
      status: true,
      progress: true,
      currentLayer: true,
      etaSeconds: true,
      error: true,
      cancelRequested: true,
      startedAt: true,
      finishedAt: true,
      layerTasks: {
        orderBy: { layerIndex: 'asc' },
        select: { layerName: true, layerIndex: true, channels: true, status: true, progress: true, error: true },
      },
    },
  });
  if (!a) throw notFound('analysis not found');
  return {
    id: a.id,
    status: a.status,
    progress: a.status === 'completed' ? 1 : a.progress,
    currentLayer: a.status === 'running' ? a.currentLayer : null,
    etaSeconds: a.status === 'running' ? a.etaSeconds : null,
    error: a.error,
    cancelRequested: a.cancelRequested,
    startedAt: a.startedAt?.toISOString() ?? null,
    finishedAt: a.finishedAt?.toISOString() ?? null,
    layers: a.layerTasks.map((t) => ({
      name: t.layerName,
      index: t.layerIndex,
      channels: t.channels,
      status: t.status,
      progress: t.status === 'completed' ? 1 : t.progress,
      error: t.error,
    })),
  };
}

// ---------------------------------------------------------------- exports

/** Channel fields in the CSV, in this order (every field of lib/analysis/types.ts ChannelResult). */
export const CHANNEL_CSV_FIELDS = [
  'rank',
  'score_pc1',
  'score_multiple',
  'rsq',
  'score_crossfit',
  'p_value',
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
  'flags',
] as const;

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
  const header = ['layer', 'layer_index', 'channel', ...CHANNEL_CSV_FIELDS];
  const lines = [header.join(',')];
  for (const l of layers) {
    for (const c of l.channels) {
      const rec = c as unknown as Record<string, unknown>;
      lines.push([csvCell(l.name), csvCell(l.index), csvCell(c.index), ...CHANNEL_CSV_FIELDS.map((f) => csvCell(rec[f]))].join(','));
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
  });
  return { filename, complete, contentType: 'application/json; charset=utf-8', body };
}
