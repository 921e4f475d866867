import { withLab } from '@/lib/server/access';
import { getDataset } from '@/lib/server/datasets';
import { datasetThumbnailPng } from '@/lib/server/thumbnails';

/** GET /api/v1/labs/:lab/datasets/:datasetId/thumbnails/:sample — PNG of sample 0..15 of a fixed draw. */
export const GET = withLab<{ lab: string; datasetId: string; sample: string }>(
  async (_req, ctx) => {
    const dataset = await getDataset(ctx.lab.id, ctx.params.datasetId);
    const png = await datasetThumbnailPng(dataset, Number(ctx.params.sample));
    return new Response(new Uint8Array(png), { headers: { 'content-type': 'image/png', 'cache-control': 'private, max-age=86400' } });
  },
  { role: 'viewer' },
);
