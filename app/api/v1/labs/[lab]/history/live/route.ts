import { withLab } from '@/lib/server/access';
import { badRequest } from '@/lib/server/errors';
import { liveStates } from '@/lib/server/history';

/** GET /api/v1/labs/:lab/history/live?ids=a,b,c — status and progress of these analyses (what the timeline polls). */
export const GET = withLab(
  async (req, ctx) => {
    const raw = new URL(req.url).searchParams.get('ids') ?? '';
    const ids = raw.split(',').filter(Boolean);
    if (ids.some((id) => id.length > 64)) throw badRequest('ids must be analysis ids separated by commas');
    return Response.json({ analyses: await liveStates(ctx, ids) });
  },
  { role: 'viewer' },
);
