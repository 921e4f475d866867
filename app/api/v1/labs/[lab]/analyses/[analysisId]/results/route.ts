import { withLab } from '../../../../../../../../lib/server/access';
import { analysisResults } from '../../../../../../../../lib/server/analyses';
import { badRequest } from '../../../../../../../../lib/server/errors';
import { analysisJson } from '../../../../../../../../lib/server/serialize';

/**
 * GET /api/v1/labs/:lab/analyses/:analysisId/results[?layer=name][&top=n]
 * Layers in model order, channels by rank, fields as in lib/analysis/types.ts.
 */
export const GET = withLab<{ lab: string; analysisId: string }>(
  async (req, ctx) => {
    const sp = new URL(req.url).searchParams;
    const topText = sp.get('top');
    const top = topText === null ? undefined : Number(topText);
    if (top !== undefined && (!Number.isInteger(top) || top < 1)) throw badRequest('top must be a positive integer');
    const res = await analysisResults(ctx.lab.id, ctx.params.analysisId, { layer: sp.get('layer') ?? undefined, top });
    return Response.json({ analysis: analysisJson(res.analysis), summary: res.analysis.summary ?? null, layers: res.layers });
  },
  { role: 'viewer' },
);
