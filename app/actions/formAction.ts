/**
 * What every server action of the portal starts and ends with: the form's
 * string fields, the lab named by its hidden `lab` field and the one access
 * check (labAction), and re-rendering the pages the change shows on.
 * Not a 'use server' module itself: only its callers are actions.
 */
import { revalidatePath } from 'next/cache';
import { labAction, type ActionResult, type LabContext, type Role } from '@/lib/server/access';

export const str = (form: FormData, key: string) => String(form.get(key) ?? '');

/** revalidatePath; outside a Next.js request (tests) there is nothing to revalidate. */
export function refresh(path: string, type?: 'layout' | 'page'): void {
  try {
    revalidatePath(path, type);
  } catch {
    // outside a request
  }
}

/** Runs `run` for the form's lab at `role` or above; `field` reads the form's other fields. */
export function labFormAction<T>(form: FormData, role: Role, run: (ctx: LabContext, field: (key: string) => string, slug: string) => Promise<T>): Promise<ActionResult<T>> {
  const slug = str(form, 'lab');
  return labAction(slug, role, (ctx) => run(ctx, (key) => str(form, key), slug));
}
