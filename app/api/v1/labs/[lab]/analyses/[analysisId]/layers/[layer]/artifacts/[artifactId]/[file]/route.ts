import { withLab } from '@/lib/server/access';
import { artifactFile } from '@/lib/server/artifacts';

type Params = { lab: string; analysisId: string; layer: string; artifactId: string; file: string };

/**
 * GET /api/v1/labs/:lab/analyses/:analysisId/layers/:layer/artifacts/:artifactId/:file
 * A PNG of a completed artifact, or values.json (the numbers behind its
 * pictures); ?download=1 serves it as an attachment (exports).
 */
export const GET = withLab<Params>(
  async (req, ctx) => {
    const { analysisId, layer, artifactId, file } = ctx.params;
    const { bytes, type } = await artifactFile(ctx.lab.id, { slug: ctx.lab.slug, analysisId, layer }, artifactId, file);
    const headers: Record<string, string> = {
      'content-type': type,
      // Completed artifacts never change (a recomputation gets a new id).
      'cache-control': 'private, max-age=86400, immutable',
    };
    if (new URL(req.url).searchParams.get('download') === '1') {
      const name = `${layer}-${artifactId.slice(-8)}-${file}`.replace(/[^A-Za-z0-9._-]/g, '_');
      headers['content-disposition'] = `attachment; filename="${name}"`;
    }
    return new Response(new Uint8Array(bytes), { headers });
  },
  { role: 'viewer' },
);
