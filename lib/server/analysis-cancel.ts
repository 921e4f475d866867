/** Cancelling an analysis: a queued one stops at once, a running one when its worker sees the request. */
import { db } from '../db/client';
import { badRequest, notFound } from './errors';

/** Ask a queued or running analysis to stop (the worker honours cancelRequested). */
export async function requestCancel(labId: string, id: string) {
  const a = await db.analysis.findFirst({ where: { id, labId }, select: { id: true, status: true } });
  if (!a) throw notFound('analysis not found');
  if (a.status !== 'queued' && a.status !== 'running') throw badRequest(`analysis is ${a.status}; only queued or running analyses can be cancelled`);
  return db.analysis.update({
    where: { id: a.id },
    data: a.status === 'queued' ? { cancelRequested: true, status: 'cancelled', finishedAt: new Date() } : { cancelRequested: true },
  });
}
