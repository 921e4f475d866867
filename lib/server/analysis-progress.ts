/** The live progress of an analysis and its layer tasks, polled by the analysis page. */
import { db } from '../db/client';
import { notFound } from './errors';
import type { AnalysisProgressView } from './shared/payloads';

/**
 * One indexed query (the analysis row with its tasks' small columns): it is
 * polled about once a second by every open analysis page, so it reads no
 * results and no JSON columns.
 */
export async function analysisProgress(labId: string, id: string): Promise<AnalysisProgressView> {
  const a = await db.analysis.findFirst({
    where: { id, labId },
    select: {
      id: true,
      status: true,
      progress: true,
      currentLayer: true,
      etaSeconds: true,
      error: true,
      cancelRequested: true,
      startedAt: true,
      finishedAt: true,
      layerTasks: {
        orderBy: { layerIndex: 'asc' },
        select: { layerName: true, layerIndex: true, channels: true, status: true, progress: true, error: true },
      },
    },
  });
  if (!a) throw notFound('analysis not found');
  return {
    id: a.id,
    status: a.status,
    progress: a.status === 'completed' ? 1 : a.progress,
    currentLayer: a.status === 'running' ? a.currentLayer : null,
    etaSeconds: a.status === 'running' ? a.etaSeconds : null,
    error: a.error,
    cancelRequested: a.cancelRequested,
    startedAt: a.startedAt?.toISOString() ?? null,
    finishedAt: a.finishedAt?.toISOString() ?? null,
    layers: a.layerTasks.map((t) => ({
      name: t.layerName,
      index: t.layerIndex,
      channels: t.channels,
      status: t.status,
      progress: t.status === 'completed' ? 1 : t.progress,
      error: t.error,
    })),
  };
}
