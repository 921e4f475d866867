'use server';
/** Server actions of the model and dataset pages: delete (refused while analyses use it) and archive/restore. */
import { revalidatePath } from 'next/cache';
import { labAction } from '@/lib/server/access';
import { archiveDataset, archiveModel, deleteDataset, deleteModel } from '@/lib/server/deletion';
import type { FormState } from './labs';

const str = (form: FormData, key: string) => String(form.get(key) ?? '');

function refresh(path: string) {
  try {
    revalidatePath(path);
  } catch {
    // Outside a Next.js request (tests) there is nothing to revalidate.
  }
}

export async function deleteModelAction(_prev: FormState, form: FormData): Promise<FormState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'member', async (ctx) => {
    await deleteModel(ctx, str(form, 'modelId'));
    refresh(`/labs/${slug}`);
    return undefined;
  });
}

export async function archiveModelAction(_prev: FormState, form: FormData): Promise<FormState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'member', async (ctx) => {
    const m = await archiveModel(ctx, str(form, 'modelId'), str(form, 'archived') === 'true');
    refresh(`/labs/${slug}/models/${m.id}`);
    refresh(`/labs/${slug}`);
    return undefined;
  });
}

export async function deleteDatasetAction(_prev: FormState, form: FormData): Promise<FormState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'member', async (ctx) => {
    await deleteDataset(ctx, str(form, 'datasetId'));
    refresh(`/labs/${slug}`);
    return undefined;
  });
}

export async function archiveDatasetAction(_prev: FormState, form: FormData): Promise<FormState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'member', async (ctx) => {
    const d = await archiveDataset(ctx, str(form, 'datasetId'), str(form, 'archived') === 'true');
    refresh(`/labs/${slug}/datasets/${d.id}`);
    refresh(`/labs/${slug}`);
    return undefined;
  });
}
