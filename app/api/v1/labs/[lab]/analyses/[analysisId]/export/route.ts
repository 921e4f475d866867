import { withLab } from '@/lib/server/access';
import { analysisExport } from '@/lib/server/analysis-export';
import { badRequest } from '@/lib/server/errors';

const FORMATS = ['json', 'csv'] as const;

/**
 * GET /api/v1/labs/:lab/analyses/:analysisId/export?format=csv|json (default json)
 * The stored results as a download: JSON in the lib/analysis shape with the
 * analysis' settings, or CSV with one row per channel. A running analysis
 * exports the layers finished so far (JSON `complete: false`, header
 * X-Results-Complete: false).
 */
export const GET = withLab<{ lab: string; analysisId: string }>(
  async (req, ctx) => {
    const format = new URL(req.url).searchParams.get('format') ?? 'json';
    if (!(FORMATS as readonly string[]).includes(format)) throw badRequest(`format must be one of ${FORMATS.join(', ')}`);
    const out = await analysisExport(ctx.lab.id, ctx.params.analysisId, format as (typeof FORMATS)[number]);
    return new Response(out.body, {
      headers: {
        'content-type': out.contentType,
        'content-disposition': `attachment; filename="${out.filename}"`,
        'cache-control': 'private, no-store',
        'x-results-complete': String(out.complete),
      },
    });
  },
  { role: 'viewer' },
);
