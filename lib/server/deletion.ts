/**
 * Deleting and archiving a lab's models and datasets.
 *
 * Analyses keep the model version and dataset they ran with, so neither can
 * be deleted while an analysis uses it: the refusal (409) names those
 * analyses and offers archiving instead (hidden from the pickers, kept for
 * the analyses). Otherwise the rows go, and the stored files go too when no
 * other row (in any lab) has the same content hash, since storage is
 * content-addressed and shared. Lab owners may delete anything; members only
 * what they uploaded.
 */
import { z } from 'zod';
import type { LabContext } from './access';
import { db } from '../db/client';
import { ApiError, forbidden, notFound } from './errors';
import { removeFromStorage } from '../storage/files';
import { joinKey } from '../storage/store';

/** PATCH body of a model or dataset. */
export const archiveBody = z.object({ archived: z.boolean() }).strict();

export interface UsedBy {
  id: string;
  title: string | null;
}

/** 409 naming the analyses that use the object; the JSON body lists them (errorResponse keeps the message). */
export class InUseError extends ApiError {
  constructor(
    what: string,
    readonly analyses: UsedBy[],
  ) {
    const names = analyses.slice(0, 5).map((a) => (a.title ? `"${a.title}" (${a.id})` : a.id));
    const more = analyses.length > 5 ? ` and ${analyses.length - 5} more` : '';
    super(
      409,
      `${what} is used by ${analyses.length} ${analyses.length === 1 ? 'analysis' : 'analyses'}: ${names.join(', ')}${more}. ` +
        'Delete those analyses first, or archive it instead: archived objects are hidden from the pickers and kept for their analyses',
    );
  }
}

function mayDelete(ctx: LabContext, createdById: string, what: string): void {
  if (ctx.role === 'owner' || createdById === ctx.user.id) return;
  throw forbidden(`only a lab owner or the person who uploaded it may delete or archive this ${what}`);
}

async function loadModel(ctx: LabContext, modelId: string) {
  const model = await db.model.findFirst({ where: { id: modelId, labId: ctx.lab.id }, include: { versions: { select: { id: true, sha256: true, storagePath: true } } } });
  if (!model) throw notFound('model not found');
  return model;
}

async function loadDataset(ctx: LabContext, datasetId: string) {
  const dataset = await db.dataset.findFirst({ where: { id: datasetId, labId: ctx.lab.id } });
  if (!dataset) throw notFound('dataset not found');
  return dataset;
}

/**
 * Delete a model with all its versions. Refused (409) while an analysis uses
 * one of them. Returns the storage paths that were freed.
 */
export async function deleteModel(ctx: LabContext, modelId: string): Promise<{ freed: string[] }> {
  const model = await loadModel(ctx, modelId);
  mayDelete(ctx, model.createdById, 'model');
  const versionIds = model.versions.map((v) => v.id);
  const freed = await db.$transaction(async (tx) => {
    // Lock the versions so an analysis created meanwhile either sees them gone or blocks this delete.
    if (versionIds.length) await tx.$queryRaw`SELECT id FROM "ModelVersion" WHERE id = ANY(${versionIds}::text[]) FOR UPDATE`;
    const users = await tx.analysis.findMany({ where: { modelVersionId: { in: versionIds } }, select: { id: true, title: true }, orderBy: { createdAt: 'desc' } });
    if (users.length) throw new InUseError(`model '${model.name}'`, users);
    await tx.model.delete({ where: { id: model.id } });
    const orphaned: string[] = [];
    for (const v of model.versions) {
      if ((await tx.modelVersion.count({ where: { sha256: v.sha256 } })) === 0) orphaned.push(v.storagePath);
    }
    return [...new Set(orphaned)];
  });
  for (const rel of freed) await removeFromStorage(rel);
  return { freed };
}

/**
 * Delete a dataset. Refused (409) while an analysis uses it. Its stored
 * files and cached thumbnails go when no other dataset has the same content.
 */
export async function deleteDataset(ctx: LabContext, datasetId: string): Promise<{ freed: string[] }> {
  const dataset = await loadDataset(ctx, datasetId);
  mayDelete(ctx, dataset.createdById, 'dataset');
  const freed = await db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Dataset" WHERE id = ${dataset.id} FOR UPDATE`;
    const users = await tx.analysis.findMany({ where: { datasetId: dataset.id }, select: { id: true, title: true }, orderBy: { createdAt: 'desc' } });
    if (users.length) throw new InUseError(`dataset '${dataset.name}'`, users);
    await tx.dataset.delete({ where: { id: dataset.id } });
    // Its own picker thumbnails go with the row; content-keyed ones with the content.
    const own = joinKey('thumbnails', dataset.id);
    if (!dataset.sha256) return [own, joinKey('thumbnails', 'samples', dataset.id)];
    if ((await tx.dataset.count({ where: { sha256: dataset.sha256 } })) > 0) return [own];
    return [own, ...(dataset.storagePath ? [dataset.storagePath] : []), joinKey('thumbnails', 'samples', dataset.sha256)];
  });
  for (const rel of freed) await removeFromStorage(rel);
  return { freed };
}

/** Archive (hide from the pickers) or restore a model. */
export async function archiveModel(ctx: LabContext, modelId: string, archived: boolean) {
  const model = await loadModel(ctx, modelId);
  mayDelete(ctx, model.createdById, 'model');
  return db.model.update({ where: { id: model.id }, data: { archivedAt: archived ? (model.archivedAt ?? new Date()) : null }, include: { versions: { orderBy: { version: 'desc' } } } });
}

/** Archive (hide from the pickers) or restore a dataset. */
export async function archiveDataset(ctx: LabContext, datasetId: string, archived: boolean) {
  const dataset = await loadDataset(ctx, datasetId);
  mayDelete(ctx, dataset.createdById, 'dataset');
  return db.dataset.update({ where: { id: dataset.id }, data: { archivedAt: archived ? (dataset.archivedAt ?? new Date()) : null } });
}
