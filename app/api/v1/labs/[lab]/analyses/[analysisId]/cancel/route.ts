import { withLab } from '@/lib/server/access';
import { requestCancel } from '@/lib/server/analysis-cancel';
import { analysisJson } from '@/lib/server/serialize';

/** POST /api/v1/labs/:lab/analyses/:analysisId/cancel — queued: cancelled now; running: the worker stops at the next check. */
export const POST = withLab<{ lab: string; analysisId: string }>(
  async (_req, ctx) => {
    const a = await requestCancel(ctx.lab.id, ctx.params.analysisId);
    return Response.json({ analysis: analysisJson(a) });
  },
  { role: 'member' },
);
