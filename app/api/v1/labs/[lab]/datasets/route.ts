import { withLab } from '@/lib/server/access';
import { catalogListRoute } from '@/lib/server/catalog-routes';
import { listDatasets, registerDatasetFromRequest } from '@/lib/server/datasets';
import { datasetJson } from '@/lib/server/serialize';

/** GET /api/v1/labs/:lab/datasets */
export const GET = catalogListRoute('datasets', listDatasets, datasetJson);

/**
 * POST /api/v1/labs/:lab/datasets
 *  JSON { name, kind: 'mnist', split?, digit? } | { name, kind: 'folder', path } (PCACE_DATASET_ROOT)
 *  multipart name, kind=zip|npy, file; kind=csv, file (CSV) + images (zip).
 */
export const POST = withLab(
  async (req, ctx) => {
    const dataset = await registerDatasetFromRequest(req, ctx.lab.id, ctx.user.id);
    return Response.json({ dataset: datasetJson(dataset) }, { status: 201 });
  },
  { role: 'member' },
);
