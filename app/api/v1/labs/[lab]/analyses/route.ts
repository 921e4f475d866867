import { withLab } from '@/lib/server/access';
import { createAnalysis } from '@/lib/server/analysis-create';
import { listAnalyses } from '@/lib/server/analysis-results';
import { badRequest } from '@/lib/server/errors';
import { analysisJson } from '@/lib/server/serialize';
import { readJsonBody } from '@/lib/server/uploads';

const STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;

/** GET /api/v1/labs/:lab/analyses[?status=queued] — newest first (200 at most). */
export const GET = withLab(
  async (req, ctx) => {
    const status = new URL(req.url).searchParams.get('status');
    if (status && !(STATUSES as readonly string[]).includes(status)) throw badRequest(`status must be one of ${STATUSES.join(', ')}`);
    const analyses = await listAnalyses(ctx.lab.id, { status: (status || undefined) as (typeof STATUSES)[number] | undefined, take: 200 });
    return Response.json({ analyses: analyses.map(analysisJson) });
  },
  { role: 'viewer' },
);

/**
 * POST /api/v1/labs/:lab/analyses — JSON { modelVersionId, datasetId, target, layers?, options?, title? } → 201,
 * status queued, with its cost estimate; 400 past the lab's CPU-hours limit, 429 past its queued-analyses limit.
 */
export const POST = withLab(
  async (req, ctx) => {
    const body = await readJsonBody(req, 256 * 1024);
    const analysis = await createAnalysis(ctx, body);
    return Response.json({ analysis: analysisJson(analysis), estimate: analysis.estimate }, { status: 201 });
  },
  { role: 'member' },
);
