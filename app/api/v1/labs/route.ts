import { withUser } from '@/lib/server/access';
import { labsOf } from '@/lib/server/labs';
import { labJson } from '@/lib/server/serialize';

/** GET /api/v1/labs — the caller's labs with their role (only its lab for a lab-restricted token). */
export const GET = withUser(async (_req, ctx) => {
  const only = ctx.tokenScope?.labId;
  const memberships = (await labsOf(ctx.user.id)).filter((m) => !only || m.lab.id === only);
  return Response.json({ labs: memberships.map((m) => labJson(m.lab, m.role)) });
});
