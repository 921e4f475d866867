import { withLab } from '@/lib/server/access';
import { jsonResponse } from '@/lib/server/compare';
import { compareRuns } from '@/lib/server/compare-runs';

/**
 * GET /api/v1/labs/:lab/compare/runs?a=ID&b=ID[&k=10][&score=…]
 * Two runs of the same model: per common layer both ranks of every channel,
 * Spearman, Kendall τ-b, top-k overlap; the settings that differ.
 * 400 for bad parameters, 404 for analyses that are not the lab's.
 */
export const GET = withLab(async (req, ctx) => jsonResponse(await compareRuns(ctx.lab.id, req), req), { role: 'viewer' });
