import { withLab } from '../../../../../../../lib/server/access';
import { db } from '../../../../../../../lib/server/db';
import { notFound } from '../../../../../../../lib/server/errors';
import { modelJson } from '../../../../../../../lib/server/serialize';

/** GET /api/v1/labs/:lab/models/:modelId */
export const GET = withLab<{ lab: string; modelId: string }>(
  async (_req, ctx) => {
    const model = await db.model.findFirst({
      where: { id: ctx.params.modelId, labId: ctx.lab.id },
      include: { versions: { orderBy: { version: 'desc' } } },
    });
    if (!model) throw notFound('model not found');
    return Response.json({ model: modelJson(model) });
  },
  { role: 'viewer' },
);
