import { withLab } from '@/lib/server/access';
import { deleteComment, editComment, readJsonBody } from '@/lib/server/comments';

type P = { lab: string; analysisId: string; commentId: string };

/** PATCH …/comments/:commentId — JSON { body }; the author only. */
export const PATCH = withLab<P>(
  async (req, ctx) => {
    const body = await readJsonBody(req);
    const comment = await editComment(ctx, ctx.params.analysisId, ctx.params.commentId, body);
    return Response.json({ comment });
  },
  { role: 'member' },
);

/** DELETE …/comments/:commentId — the author, or a lab owner. */
export const DELETE = withLab<P>(
  async (_req, ctx) => {
    await deleteComment(ctx, ctx.params.analysisId, ctx.params.commentId);
    return Response.json({ deleted: ctx.params.commentId });
  },
  { role: 'member' },
);
