import { withLab } from '@/lib/server/access';
import { analysisProgress } from '@/lib/server/analysis-progress';

/**
 * GET /api/v1/labs/:lab/analyses/:analysisId/progress — status, progress,
 * current layer, ETA and the per-layer tasks; what the analysis page polls
 * about once a second while an analysis is queued or running.
 */
export const GET = withLab<{ lab: string; analysisId: string }>(
  async (_req, ctx) => {
    const progress = await analysisProgress(ctx.lab.id, ctx.params.analysisId);
    // Never cached: each poll must see the worker's latest write.
    return Response.json({ progress }, { headers: { 'cache-control': 'no-store' } });
  },
  { role: 'viewer' },
);
