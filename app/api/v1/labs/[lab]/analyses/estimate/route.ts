import { withLab } from '@/lib/server/access';
import { estimateAnalysis } from '@/lib/server/analysis-create';
import { readJsonBody } from '@/lib/server/uploads';

/**
 * POST /api/v1/labs/:lab/analyses/estimate — the body of POST .../analyses →
 * { estimate, maxCpuHoursPerAnalysis, allowed, refusal }; nothing is created.
 */
export const POST = withLab(
  async (req, ctx) => {
    const body = await readJsonBody(req, 256 * 1024);
    return Response.json(await estimateAnalysis(ctx, body));
  },
  { role: 'member' },
);
