import { withLab } from '../../../../../../../../../lib/server/access';
import { db } from '../../../../../../../../../lib/db/client';
import { notFound } from '../../../../../../../../../lib/server/errors';
import { datasetThumbnailPng } from '../../../../../../../../../lib/server/thumbnails';

/** GET /api/v1/labs/:lab/datasets/:datasetId/thumbnails/:sample — PNG of sample 0..15 of a fixed draw. */
export const GET = withLab<{ lab: string; datasetId: string; sample: string }>(
  async (_req, ctx) => {
    const dataset = await db.dataset.findFirst({ where: { id: ctx.params.datasetId, labId: ctx.lab.id }, select: { id: true, spec: true } });
    if (!dataset) throw notFound('dataset not found');
    const png = await datasetThumbnailPng(dataset, Number(ctx.params.sample));
    return new Response(new Uint8Array(png), { headers: { 'content-type': 'image/png', 'cache-control': 'private, max-age=86400' } });
  },
  { role: 'viewer' },
);
