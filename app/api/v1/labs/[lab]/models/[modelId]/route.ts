import { catalogEntryRoutes } from '@/lib/server/catalog-routes';
import { archiveModel, deleteModel } from '@/lib/server/deletion';
import { getModel } from '@/lib/server/models';
import { modelJson } from '@/lib/server/serialize';

/**
 * GET /api/v1/labs/:lab/models/:modelId
 * DELETE … — the model and all its versions (lab owner or uploader); 409 with the analyses that use it.
 * PATCH … {"archived": true|false} — hide the model from the pickers (kept for its analyses), or restore it.
 */
const routes = catalogEntryRoutes({ param: 'modelId', key: 'model', get: getModel, remove: deleteModel, archive: archiveModel, json: modelJson });

export const GET = routes.GET;
export const DELETE = routes.DELETE;
export const PATCH = routes.PATCH;
