import { withLab } from '@/lib/server/access';
import { listCandidates } from '@/lib/server/compare';

/**
 * GET /api/v1/labs/:lab/compare — the lab's completed analyses (newest first,
 * 200 at most) with what the comparisons need to pair them: model and
 * version, dataset, target, options, layers with results.
 */
export const GET = withLab(async (_req, ctx) => Response.json({ analyses: await listCandidates(ctx.lab.id) }), { role: 'viewer' });
