import { withLab } from '@/lib/server/access';
import { readJsonBody } from '@/lib/server/comments';
import { editPin, unpin } from '@/lib/server/pins';

type P = { lab: string; analysisId: string; pinId: string };

/** PATCH …/pins/:pinId — JSON { note }; the person who pinned only. */
export const PATCH = withLab<P>(
  async (req, ctx) => {
    const body = await readJsonBody(req);
    return Response.json({ pin: await editPin(ctx, ctx.params.analysisId, ctx.params.pinId, body) });
  },
  { role: 'member' },
);

/** DELETE …/pins/:pinId — unpin: the person who pinned, or a lab owner. */
export const DELETE = withLab<P>(
  async (_req, ctx) => {
    await unpin(ctx, ctx.params.analysisId, ctx.params.pinId);
    return Response.json({ deleted: ctx.params.pinId });
  },
  { role: 'member' },
);
