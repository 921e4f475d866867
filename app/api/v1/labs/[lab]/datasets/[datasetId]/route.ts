import { withLab } from '../../../../../../../lib/server/access';
import { db } from '../../../../../../../lib/server/db';
import { notFound } from '../../../../../../../lib/server/errors';
import { datasetJson } from '../../../../../../../lib/server/serialize';

/** GET /api/v1/labs/:lab/datasets/:datasetId */
export const GET = withLab<{ lab: string; datasetId: string }>(
  async (_req, ctx) => {
    const dataset = await db.dataset.findFirst({ where: { id: ctx.params.datasetId, labId: ctx.lab.id } });
    if (!dataset) throw notFound('dataset not found');
    return Response.json({ dataset: datasetJson(dataset) });
  },
  { role: 'viewer' },
);
