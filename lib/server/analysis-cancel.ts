/** Cancelling an analysis: a queued one stops at once, a running one when its worker sees the request. */
import { db } from '../db/client';
import { InvalidTransition, requestCancel as requestCancelStatus } from '../queue/analysis-status';
import { badRequest, notFound } from './errors';

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
