import { withLab } from '@/lib/server/access';
import { estimateAnalysis } from '@/lib/server/analysis-create';
import { badRequest } from '@/lib/server/errors';
import { readBodyLimited } from '@/lib/server/uploads';

/**
 * POST /api/v1/labs/:lab/analyses/estimate — the body of POST .../analyses →
 * { estimate, maxCpuHoursPerAnalysis, allowed, refusal }; nothing is created.
 */
export const POST = withLab(
  async (req, ctx) => {
    const bytes = await readBodyLimited(req, 256 * 1024);
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw badRequest('body is not valid JSON');
    }
    return Response.json(await estimateAnalysis(ctx, body));
  },
  { role: 'member' },
);
