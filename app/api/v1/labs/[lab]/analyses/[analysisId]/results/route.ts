import { withLab } from '@/lib/server/access';
import { analysisResults } from '@/lib/server/analysis-results';
import { badRequest } from '@/lib/server/errors';
import { analysisJson } from '@/lib/server/serialize';

/**
 * GET /api/v1/labs/:lab/analyses/:analysisId/results[?layer=name][&top=n]
 * Layers in model order, channels by rank, fields as in lib/analysis/types.ts;
 * global_ranking: channels of every returned layer by their null-standardised effect;
 * network_curves: the network-wide deletion curves (importance measures on two or more
 * layers; null for a part of the layers, before they are computed, or without them).
 */
export const GET = withLab<{ lab: string; analysisId: string }>(
  async (req, ctx) => {
    const sp = new URL(req.url).searchParams;
    const topText = sp.get('top');
    // Digits only: Number() also reads '1e21' or '0x10', which are not channel counts (1e21 reached the database).
    if (topText !== null && (!/^\d{1,6}$/.test(topText) || Number(topText) < 1)) throw badRequest('top must be a whole number from 1 to 999999');
    const top = topText === null ? undefined : Number(topText);
    const res = await analysisResults(ctx.lab.id, ctx.params.analysisId, { layer: sp.get('layer') ?? undefined, top });
    return Response.json({ analysis: analysisJson(res.analysis), summary: res.analysis.summary ?? null, layers: res.layers, global_ranking: res.globalRanking, network_curves: res.networkCurves });
  },
  { role: 'viewer' },
);
