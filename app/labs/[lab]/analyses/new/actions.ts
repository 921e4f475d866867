'use server';

import { revalidatePath } from 'next/cache';
import { labAction } from '@/lib/server/access';
import { createAnalysis } from '@/lib/server/analysis-create';
import { badRequest } from '@/lib/server/errors';
import { fieldOfServerError, parseAnalysisForm, type FieldErrors } from './form-spec';

export type QueueAnalysisState =
  | { ok: true; data: { id: string } }
  | { ok: false; status: number; error: string; fields?: FieldErrors }
  | null;

/**
 * The "new analysis" form → createAnalysis, the same code path as
 * POST /api/v1/labs/:lab/analyses (same checks, same defaults). Errors come
 * back with the fields they are about, so the form shows them in place.
 */
export async function queueAnalysisAction(_prev: QueueAnalysisState, form: FormData): Promise<QueueAnalysisState> {
  const slug = String(form.get('lab') ?? '');
  const parsed = parseAnalysisForm(form);
  const res = await labAction(slug, 'member', async (ctx) => {
    // Access is checked first (labAction): a viewer learns nothing from validation messages.
    if (!parsed.body) throw badRequest(Object.entries(parsed.errors).map(([k, v]) => `${k}: ${v}`).join('; '));
    const analysis = await createAnalysis(ctx, parsed.body);
    try {
      revalidatePath(`/labs/${slug}`);
    } catch {
      // outside a request (tests)
    }
    return { id: analysis.id };
  });
  if (res.ok) return { ok: true, data: res.data };
  if (res.status !== 400) return res;
  if (!parsed.body) return { ...res, error: 'Some fields need attention (see below).', fields: parsed.errors };
  const field = fieldOfServerError(res.error);
  return { ...res, fields: field ? { [field]: res.error.replace(/^invalid analysis: /, '') } : undefined };
}
