import { withLab } from '@/lib/server/access';
import { jsonResponse } from '@/lib/server/compare';
import { compareClasses } from '@/lib/server/compare-classes';

/**
 * GET /api/v1/labs/:lab/compare/classes?analyses=ID,ID[,…][&layer=name][&k=10][&score=…]
 * 2–12 analyses of one model version: class × class Spearman ρ of the
 * layer's channel rankings with p per cell, top-k overlap with its
 * hypergeometric p, and how many pairs are significant.
 * 400 for bad parameters, 404 for analyses that are not the lab's.
 */
export const GET = withLab(async (req, ctx) => jsonResponse(await compareClasses(ctx.lab.id, req), req), { role: 'viewer' });
