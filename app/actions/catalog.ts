'use server';
/** Server actions of the model and dataset pages: delete (refused while analyses use it) and archive/restore. */
import { archiveDataset, archiveModel, deleteDataset, deleteModel } from '@/lib/server/deletion';
import { labFormAction, refresh } from './formAction';
import type { FormState } from './labs';

/** Models and datasets differ only in their functions, their id field and their pages' folder. */
const CATALOG = {
  model: { remove: deleteModel, archive: archiveModel, idField: 'modelId', folder: 'models' },
  dataset: { remove: deleteDataset, archive: archiveDataset, idField: 'datasetId', folder: 'datasets' },
} as const;

function removeEntry(kind: keyof typeof CATALOG, form: FormData): Promise<FormState> {
  const c = CATALOG[kind];
  return labFormAction(form, 'member', async (ctx, field, slug) => {
    await c.remove(ctx, field(c.idField));
    refresh(`/labs/${slug}`);
    return undefined;
  });
}

function archiveEntry(kind: keyof typeof CATALOG, form: FormData): Promise<FormState> {
  const c = CATALOG[kind];
  return labFormAction(form, 'member', async (ctx, field, slug) => {
    const entry = await c.archive(ctx, field(c.idField), field('archived') === 'true');
    refresh(`/labs/${slug}/${c.folder}/${entry.id}`);
    refresh(`/labs/${slug}`);
    return undefined;
  });
}

export async function deleteModelAction(_prev: FormState, form: FormData): Promise<FormState> {
  return removeEntry('model', form);
}

export async function archiveModelAction(_prev: FormState, form: FormData): Promise<FormState> {
  return archiveEntry('model', form);
}

export async function deleteDatasetAction(_prev: FormState, form: FormData): Promise<FormState> {
  return removeEntry('dataset', form);
}

export async function archiveDatasetAction(_prev: FormState, form: FormData): Promise<FormState> {
  return archiveEntry('dataset', form);
}
