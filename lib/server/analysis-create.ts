/**
 * Creating analyses: a request is checked (the model version and the dataset
 * belong to the lab, the layers and target fit the model, the options go
 * together), priced, held against the lab's limits, and stored as a `queued`
 * analysis with one layer task per layer for the workers.
 */
import { validateOptions, withDefaults } from '../analysis/options';
import { estimateAnalysisCost } from '../analysis/cost';
import { db, Prisma } from '../db/client';
import { CREATED_STATUS, notifyWorkers } from '../queue/analysis-status';
import { badRequest, conflict, fieldError, notFound, parseWith } from './errors';
import { usableImages } from './datasets';
import type { LabContext } from './access';
import type { StoredLayer } from './models';
import { createAnalysisSchema } from './schemas';
import { admitAnalysis, cpuLimitRefusal, labLimits, workerThreads } from './limits';

/** A validated analysis request with its cost estimate, before anything is stored. */
async function prepareAnalysis(ctx: LabContext, body: unknown) {
  const input = parseWith(createAnalysisSchema, body, 'analysis');
  const mv = await db.modelVersion.findFirst({
    where: { id: input.modelVersionId, model: { labId: ctx.lab.id } },
    include: { model: { select: { name: true, archivedAt: true } } },
  });
  if (!mv) throw notFound('model version not found');
  const dataset = await db.dataset.findFirst({ where: { id: input.datasetId, labId: ctx.lab.id } });
  if (!dataset) throw notFound('dataset not found');
  // Archived objects stay for the analyses that used them; new analyses must not pick them up.
  if (mv.model.archivedAt) throw conflict(`model '${mv.model.name}' is archived; unarchive it (PATCH {"archived": false}) to analyse it again`);
  if (dataset.archivedAt) throw conflict(`dataset '${dataset.name}' is archived; unarchive it (PATCH {"archived": false}) to analyse it again`);

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
  // Every option stored (withDefaults), checked by the same validation the worker runs, now that the model and dataset are known.
  let options = withDefaults(input.options);
  // The images an analysis can draw: asking for more than the dataset holds would run on fewer while the
  // settings said otherwise. Refused at the images field; an unstated count takes what there is.
  const usable = usableImages(dataset);
  if (usable !== null && options.images > usable) {
    const holds = `dataset '${dataset.name}' has ${usable.toLocaleString('en-US')} image${usable === 1 ? '' : 's'} for this analysis`;
    if (input.options.images !== undefined) throw fieldError('images', `options.images: ${options.images.toLocaleString('en-US')} images asked for, but ${holds}; ask for ${usable.toLocaleString('en-US')} or fewer`);
    options = { ...options, images: usable };
  }
  const issues = validateOptions(options, { format: mv.format, target: input.target, datasetKind: dataset.kind });
  if (issues.length) throw badRequest(issues.map((i) => (i.option === 'target' ? i.message : `options.${i.option}: ${i.message}`)).join('; '));

  const stored = mv.layers as unknown as StoredLayer[];
  const chosen = input.layers === 'all' ? stored : stored.filter((l) => (input.layers as string[]).includes(l.name));
  const estimate = estimateAnalysisCost({
    model: { layers: stored, inputShape: mv.inputShape as number[], format: mv.format },
    layers: input.layers,
    options,
    threads: workerThreads(),
    availableImages: usable ?? undefined,
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
        status: CREATED_STATUS,
        createdById: ctx.user.id,
      },
    });
    await tx.layerTask.createMany({
      data: chosen.map((l) => ({ analysisId: created.id, layerName: l.name, layerIndex: stored.indexOf(l), channels: l.channels })),
    });
    return created;
  });
  await notifyWorkers(db);
  return Object.assign(analysis, { estimate });
}
