import { withLab } from '@/lib/server/access';
import { jsonResponse } from '@/lib/server/compare';
import { compareArchitectures } from '@/lib/server/compare-architectures';

/**
 * GET /api/v1/labs/:lab/compare/architectures?a=ID&b=ID[&score=auto|crossfit|multiple|pc1|z]
 * Two analyses on a relative-depth axis: per layer (model order) its depth,
 * channels and scores sorted descending (columnar), box statistics, p < 0.05
 * counts; per network a summary.
 * 400 for bad parameters, 404 for analyses that are not the lab's.
 */
export const GET = withLab(async (req, ctx) => jsonResponse(await compareArchitectures(ctx.lab.id, req), req), { role: 'viewer' });
