import { withLab } from '@/lib/server/access';
import { catalogListRoute } from '@/lib/server/catalog-routes';
import { createModelVersion, listModels, readModelUpload } from '@/lib/server/models';
import { modelJson, modelVersionJson } from '@/lib/server/serialize';

/** GET /api/v1/labs/:lab/models — models with their versions. */
export const GET = catalogListRoute('models', listModels, modelJson);

/**
 * POST /api/v1/labs/:lab/models — multipart: name, file (.onnx) or files
 * (model.json + shards), optional inputShape / preprocessing / modelCard (JSON).
 * Same name → next version. 201 with { model, version }.
 */
export const POST = withLab(
  async (req, ctx) => {
    const upload = await readModelUpload(req);
    try {
      const { model, version } = await createModelVersion(ctx.lab.id, ctx.user.id, upload);
      return Response.json({ model: modelJson(model), version: modelVersionJson(version) }, { status: 201 });
    } finally {
      await upload.cleanup();
    }
  },
  { role: 'member' },
);
