import { withLab } from '@/lib/server/access';
import { getModel } from '@/lib/server/models';
import { archiveBody, archiveModel, deleteModel, InUseError } from '@/lib/server/deletion';
import { parseWith } from '@/lib/server/errors';
import { modelJson } from '@/lib/server/serialize';

/** GET /api/v1/labs/:lab/models/:modelId */
export const GET = withLab<{ lab: string; modelId: string }>(
  async (_req, ctx) => {
    const model = await getModel(ctx.lab.id, ctx.params.modelId);
    return Response.json({ model: modelJson(model) });
  },
  { role: 'viewer' },
);

/**
 * DELETE /api/v1/labs/:lab/models/:modelId — the model and all its versions (lab owner or uploader).
 * 409 with the analyses that use it; archive it instead (PATCH).
 */
export const DELETE = withLab<{ lab: string; modelId: string }>(
  async (_req, ctx) => {
    try {
      await deleteModel(ctx, ctx.params.modelId);
    } catch (err) {
      if (err instanceof InUseError) return Response.json({ error: err.message, analyses: err.analyses }, { status: 409 });
      throw err;
    }
    return new Response(null, { status: 204 });
  },
  { role: 'member' },
);

/** PATCH … {"archived": true|false} — hide the model from the pickers (kept for its analyses), or restore it. */
export const PATCH = withLab<{ lab: string; modelId: string }>(
  async (req, ctx) => {
    const { archived } = parseWith(archiveBody, await req.json().catch(() => undefined), 'request body');
    return Response.json({ model: modelJson(await archiveModel(ctx, ctx.params.modelId, archived)) });
  },
  { role: 'member' },
);
