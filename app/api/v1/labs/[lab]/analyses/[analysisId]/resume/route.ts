import { withLab } from '@/lib/server/access';
import { resumeAnalysis } from '@/lib/server/analysis-cancel';
import { analysisJson } from '@/lib/server/serialize';

/**
 * POST /api/v1/labs/:lab/analyses/:analysisId/resume — a cancelled analysis is
 * queued again; its finished layers are kept and only the others are computed.
 * 400 unless it is cancelled; 429 past the lab's queue limit.
 */
export const POST = withLab<{ lab: string; analysisId: string }>(
  async (_req, ctx) => {
    const r = await resumeAnalysis(ctx, ctx.params.analysisId);
    return Response.json({ analysis: analysisJson(r.analysis), requeuedLayers: r.requeued });
  },
  { role: 'member' },
);
