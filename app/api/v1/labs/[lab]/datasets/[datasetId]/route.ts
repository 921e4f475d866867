import { withLab } from '@/lib/server/access';
import { getDataset } from '@/lib/server/datasets';
import { archiveBody, archiveDataset, deleteDataset, InUseError } from '@/lib/server/deletion';
import { parseWith } from '@/lib/server/errors';
import { datasetJson } from '@/lib/server/serialize';

/** GET /api/v1/labs/:lab/datasets/:datasetId */
export const GET = withLab<{ lab: string; datasetId: string }>(
  async (_req, ctx) => {
    const dataset = await getDataset(ctx.lab.id, ctx.params.datasetId);
    return Response.json({ dataset: datasetJson(dataset) });
  },
  { role: 'viewer' },
);

/**
 * DELETE /api/v1/labs/:lab/datasets/:datasetId — lab owner or uploader.
 * 409 with the analyses that use it; archive it instead (PATCH).
 */
export const DELETE = withLab<{ lab: string; datasetId: string }>(
  async (_req, ctx) => {
    try {
      await deleteDataset(ctx, ctx.params.datasetId);
    } catch (err) {
      if (err instanceof InUseError) return Response.json({ error: err.message, analyses: err.analyses }, { status: 409 });
      throw err;
    }
    return new Response(null, { status: 204 });
  },
  { role: 'member' },
);

/** PATCH … {"archived": true|false} — hide the dataset from the pickers (kept for its analyses), or restore it. */
export const PATCH = withLab<{ lab: string; datasetId: string }>(
  async (req, ctx) => {
    const { archived } = parseWith(archiveBody, await req.json().catch(() => undefined), 'request body');
    return Response.json({ dataset: datasetJson(await archiveDataset(ctx, ctx.params.datasetId, archived)) });
  },
  { role: 'member' },
);
