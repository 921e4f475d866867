import { catalogEntryRoutes } from '@/lib/server/catalog-routes';
import { getDataset } from '@/lib/server/datasets';
import { archiveDataset, deleteDataset } from '@/lib/server/deletion';
import { datasetJson } from '@/lib/server/serialize';

/**
 * GET /api/v1/labs/:lab/datasets/:datasetId
 * DELETE … — lab owner or uploader; 409 with the analyses that use it; archive it instead (PATCH).
 * PATCH … {"archived": true|false} — hide the dataset from the pickers (kept for its analyses), or restore it.
 */
const routes = catalogEntryRoutes({
  param: 'datasetId',
  key: 'dataset',
  get: getDataset,
  remove: deleteDataset,
  archive: archiveDataset,
  json: datasetJson,
});

export const GET = routes.GET;
export const DELETE = routes.DELETE;
export const PATCH = routes.PATCH;
