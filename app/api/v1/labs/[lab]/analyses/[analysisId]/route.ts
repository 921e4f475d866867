import { withLab } from '@/lib/server/access';
import { getAnalysis } from '@/lib/server/analysis-results';
import { analysisJson } from '@/lib/server/serialize';

/** GET /api/v1/labs/:lab/analyses/:analysisId — status and progress. */
export const GET = withLab<{ lab: string; analysisId: string }>(
  async (_req, ctx) => {
    const a = await getAnalysis(ctx.lab.id, ctx.params.analysisId);
    return Response.json({
      analysis: { ...analysisJson(a), model: { id: a.modelVersion.model.id, name: a.modelVersion.model.name, version: a.modelVersion.version }, dataset: a.dataset },
    });
  },
  { role: 'viewer' },
);
