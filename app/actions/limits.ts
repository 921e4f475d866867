'use server';

import { revalidatePath } from 'next/cache';
import { labAction, type ActionResult } from '@/lib/server/access';
import { badRequest } from '@/lib/server/errors';
import { LIMITS, updateLabLimits } from '@/lib/server/limits';

/**
 * The Limits form on the members page (owners): each field a number, or empty
 * for the operator's default. Same checks as PATCH /api/v1/labs/:lab.
 */
export async function updateLimitsAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const slug = String(form.get('lab') ?? '');
  return labAction(slug, 'owner', async (ctx) => {
    const body: Record<string, number | null> = {};
    for (const l of LIMITS) {
      const raw = String(form.get(l.name) ?? '').trim();
      if (raw === '') body[l.name] = null;
      else {
        const v = Number(raw);
        if (!Number.isFinite(v)) throw badRequest(`${l.label}: '${raw}' is not a number`);
        body[l.name] = v;
      }
    }
    await updateLabLimits(ctx, body);
    try {
      revalidatePath(`/labs/${slug}/members`);
    } catch {
      // outside a request (tests)
    }
    return undefined;
  });
}
