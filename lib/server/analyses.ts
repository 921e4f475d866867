/**
 * Analyses: created as `queued` rows after checking that the model version
 * and the dataset belong to the lab and that the layers and target fit the
 * model. Running them is the queue's job (a later round hooks in at
 * `onAnalysisQueued`).
 */
import { DEFAULT_ANALYSIS } from '../analysis/defaults';
import { rowToChannel } from '../db/results';
import { db, Prisma } from './db';
import { notifyWorkers } from '../queue/layer-tasks';
import { badRequest, notFound, parseWith } from './errors';
import type { LabContext } from './access';
import type { StoredLayer } from './models';
import { createAnalysisSchema } from './schemas';

/** Integration point for the queue: called after an analysis row is created. */
export let onAnalysisQueued: (analysisId: string) => Promise<void> = async () => {};
export function setOnAnalysisQueued(fn: (analysisId: string) => Promise<void>): void {
  onAnalysisQueued = fn;
}

export async function createAnalysis(ctx: LabContext, body: unknown) {
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

  // The analysis and its layer tasks appear together: never a queued analysis without work.
  const stored = mv.layers as unknown as StoredLayer[];
  const chosen = input.layers === 'all' ? stored : stored.filter((l) => (input.layers as string[]).includes(l.name));
  const analysis = await db.$transaction(async (tx) => {
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
  return analysis;
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
