/**
 * Cancelling an analysis: a queued one stops at once, a running one when its
 * worker sees the request. Resuming a cancelled one queues only the layers it
 * had not finished.
 */
import { db } from '../db/client';
import { InvalidTransition, requestCancel as requestCancelStatus, resumeAnalysis as resumeStatus } from '../queue/analysis-status';
import type { LabContext } from './access';
import { badRequest, notFound } from './errors';
import { admitAnalysis, labLimits } from './limits';

/** Ask a queued or running analysis to stop (the transition is lib/queue/analysis-status.ts's; an ended analysis is a 400). */
export async function requestCancel(labId: string, id: string) {
  try {
    const a = await requestCancelStatus(db, id, labId);
    if (!a) throw notFound('analysis not found');
    return a;
  } catch (err) {
    if (err instanceof InvalidTransition) throw badRequest(err.message);
    throw err;
  }
}

/** Resume a cancelled analysis within the lab's queue limit (429 past it); finished layers are kept. */
export async function resumeAnalysis(ctx: Pick<LabContext, 'lab'>, id: string) {
  const limits = await labLimits(ctx.lab.id);
  try {
    const r = await resumeStatus(db, id, ctx.lab.id, (tx) => admitAnalysis(tx as never, ctx.lab, limits));
    if (!r) throw notFound('analysis not found');
    return r;
  } catch (err) {
    if (err instanceof InvalidTransition) throw badRequest(err.message);
    throw err;
  }
}
