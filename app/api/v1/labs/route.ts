import { withUser } from '../../../../lib/server/access';
import { labsOf } from '../../../../lib/server/labs';
import { labJson } from '../../../../lib/server/serialize';

/** GET /api/v1/labs — the caller's labs with their role. */
export const GET = withUser(async (_req, ctx) => {
  const memberships = await labsOf(ctx.user.id);
  return Response.json({ labs: memberships.map((m) => labJson(m.lab, m.role)) });
});
