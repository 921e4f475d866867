import { withLab } from '@/lib/server/access';
import { channelFromQuery, createComment, listThread, readJsonBody } from '@/lib/server/comments';

type P = { lab: string; analysisId: string };

/**
 * GET /api/v1/labs/:lab/analyses/:analysisId/comments[?layer=conv1&channel=3 | ?scope=all]
 * — one thread, oldest first: the analysis' own comments, one channel's, or all of them.
 */
export const GET = withLab<P>(
  async (req, ctx) => {
    const q = new URL(req.url).searchParams;
    const all = q.get('scope') === 'all';
    const thread = await listThread(ctx, ctx.params.analysisId, all ? null : channelFromQuery(q), { all });
    return Response.json(thread);
  },
  { role: 'viewer' },
);

/** POST …/comments — JSON { body, layer?, channel? } → 201 { comment }. */
export const POST = withLab<P>(
  async (req, ctx) => {
    const comment = await createComment(ctx, ctx.params.analysisId, await readJsonBody(req));
    return Response.json({ comment }, { status: 201 });
  },
  { role: 'member' },
);
