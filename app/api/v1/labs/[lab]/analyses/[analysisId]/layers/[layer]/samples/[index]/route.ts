import { withLab } from '@/lib/server/access';
import { findLayer, sampleThumbnail } from '@/lib/server/artifacts';

type Params = { lab: string; analysisId: string; layer: string; index: string };

/** GET /api/v1/labs/:lab/analyses/:analysisId/layers/:layer/samples/:index — the sample as a 96 px PNG (the strip's image picker). */
export const GET = withLab<Params>(
  async (_req, ctx) => {
    await findLayer(ctx.lab.id, ctx.params.analysisId, ctx.params.layer);
    const png = await sampleThumbnail(ctx.lab.id, ctx.params.analysisId, ctx.params.index);
    return new Response(new Uint8Array(png), { headers: { 'content-type': 'image/png', 'cache-control': 'private, max-age=3600' } });
  },
  { role: 'viewer' },
);
