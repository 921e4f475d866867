import { withLab } from '@/lib/server/access';
import { analysisSamples, findLayer } from '@/lib/server/artifacts';

type Params = { lab: string; analysisId: string; layer: string };

/**
 * GET /api/v1/labs/:lab/analyses/:analysisId/layers/:layer/samples
 * The images the analysis ranked with, in order: {index, id, label}. A strip
 * takes one of these ids; samples/:index is its thumbnail.
 */
export const GET = withLab<Params>(
  async (_req, ctx) => {
    await findLayer(ctx.lab.id, ctx.params.analysisId, ctx.params.layer);
    return Response.json({ samples: await analysisSamples(ctx.lab.id, ctx.params.analysisId) });
  },
  { role: 'viewer' },
);
