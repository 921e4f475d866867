import { withLab } from '@/lib/server/access';
import { jsonResponse } from '@/lib/server/compare';
import { compareMethods } from '@/lib/server/compare-methods';

/**
 * GET /api/v1/labs/:lab/compare/methods?analysis=ID[&layer=name][&score=…]
 * One analysis and layer: the ranking score, ablation drops (when measured)
 * and mean activations per channel, with their Spearman matrix.
 * 400 for bad parameters, 404 for analyses that are not the lab's.
 */
export const GET = withLab(async (req, ctx) => jsonResponse(await compareMethods(ctx.lab.id, req), req), { role: 'viewer' });
