import { requireLab, type Role } from '@/lib/server/access';

/**
 * The start of a lab sub-page: its route parameters and the one access check,
 * which sends a signed-out visitor back to `/labs/<lab>/<below>` after sign-in.
 */
export async function labPage<P extends { lab: string }>(params: Promise<P>, role: Role, below: (p: P) => string) {
  const p = await params;
  const ctx = await requireLab(p.lab, role, `/labs/${p.lab}/${below(p)}`);
  return { ...p, slug: p.lab, ctx };
}
