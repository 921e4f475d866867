'use server';

import { revalidatePath } from 'next/cache';
import { labAction, type ActionResult } from '../../lib/server/access';
import { createAnalysis, requestCancel } from '../../lib/server/analyses';
import { badRequest } from '../../lib/server/errors';

export type AnalysisFormState = ActionResult<{ id: string }> | null;

const str = (form: FormData, key: string) => String(form.get(key) ?? '');

function optionalNumber(form: FormData, key: string): number | undefined {
  const v = str(form, key).trim();
  if (v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw badRequest(`${key}: is not a number`);
  return n;
}

/** The "new analysis" form → createAnalysis (same validation as POST /api/v1/.../analyses). */
export async function createAnalysisAction(_prev: AnalysisFormState, form: FormData): Promise<AnalysisFormState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'member', async (ctx) => {
    const targetKind = str(form, 'targetKind');
    const target =
      targetKind === 'regression' ? { kind: 'regression', source: str(form, 'regressionSource') || 'output' } : { kind: 'class', index: optionalNumber(form, 'classIndex') ?? 0 };
    const chosen = form.getAll('layers').map(String).filter(Boolean);
    const options: Record<string, unknown> = {};
    for (const key of ['images', 'components', 'permutations', 'seed'] as const) {
      const v = optionalNumber(form, key);
      if (v !== undefined) options[key] = v;
    }
    if (str(form, 'rankBy')) options.rankBy = str(form, 'rankBy');
    const analysis = await createAnalysis(ctx, {
      modelVersionId: str(form, 'modelVersionId'),
      datasetId: str(form, 'datasetId'),
      title: str(form, 'title') || undefined,
      target,
      layers: chosen.length ? chosen : 'all',
      options,
    });
    try {
      revalidatePath(`/labs/${slug}`);
    } catch {
      // outside a request (tests)
    }
    return { id: analysis.id };
  });
}

export async function cancelAnalysisAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult | null> {
  const slug = str(form, 'lab');
  return labAction(slug, 'member', async (ctx) => {
    await requestCancel(ctx.lab.id, str(form, 'analysisId'));
    try {
      revalidatePath(`/labs/${slug}/analyses/${str(form, 'analysisId')}`);
    } catch {
      // outside a request (tests)
    }
    return undefined;
  });
}
