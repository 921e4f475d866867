/**
 * Writing one finished layer: the task's completion, the layer's rows and the
 * analysis' progress (or completion, with its network-wide curves queued)
 * commit together or not at all.
 */
import type { PrismaClient, Prisma } from '../db/generated/client';
import { insertLayerRows } from './result-rows';
import type { AnalysisResult, LayerResult } from '../analysis/types';
import { completeAnalysis, completeTask } from './analysis-status';
import { storeNetworkQValues } from './network-q';
import { storeViewParts } from './view-parts';
import { requestArtifacts } from './artifact-tasks';
import { NETWORK_CURVES, wantsNetworkCurves } from './network-curves';
import { withDefaults } from '../analysis/options';

export async function persistLayer(
  db: PrismaClient,
  task: { id: string; analysisId: string; layerIndex: number },
  workerId: string,
  layer: LayerResult,
  run: Pick<AnalysisResult, 'model' | 'dataset' | 'versions'>,
): Promise<{ analysisCompleted: boolean }> {
  return db.$transaction(
    async (tx) => {
      // Serialises the completions of one analysis, so exactly one of two
      // workers finishing its last layers sees that nothing remains.
      const [locked] = await tx.$queryRaw<{ options: Prisma.JsonValue }[]>`SELECT options FROM "Analysis" WHERE id = ${task.analysisId} FOR UPDATE`;
      await completeTask(tx, task.id, workerId);
      await insertLayerRows(tx, task.analysisId, task.layerIndex, layer);
      const [{ remaining }] = await tx.$queryRaw<{ remaining: number }[]>`
        SELECT count(*)::int AS remaining FROM "LayerTask" WHERE "analysisId" = ${task.analysisId} AND status <> 'completed'`;
      const summary = { model: run.model, dataset: run.dataset, versions: run.versions } as unknown as Prisma.InputJsonValue;
      if (remaining === 0) {
        await storeNetworkQValues(tx, task.analysisId);
        // The compare views' per-analysis parts, once, so a first comparison reads them instead of every channel.
        await storeViewParts(tx, task.analysisId);
        await completeAnalysis(tx, task.analysisId, {
          progress: 1, etaSeconds: 0, currentLayer: null, summary, codeVersion: run.versions['pcace-lab'], engineVersion: engineVersion(run.versions),
        });
        // The curves across layers as a leased task of their own, queued with the completion:
        // a worker that dies before running them leaves them to the next (network-curves.ts).
        const layers = await tx.layerResult.count({ where: { analysisId: task.analysisId } });
        if (wantsNetworkCurves(withDefaults(locked?.options as Record<string, unknown> | null), layers)) {
          await requestArtifacts(tx, [{ analysisId: task.analysisId, layerName: '', channel: -1, kind: NETWORK_CURVES, variant: '' }]);
        }
      } else {
        await tx.analysis.update({ where: { id: task.analysisId }, data: { summary, codeVersion: run.versions['pcace-lab'], engineVersion: engineVersion(run.versions) } });
        await refreshProgress(tx, task.analysisId, null, null);
      }
      return { analysisCompleted: remaining === 0 };
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}

function engineVersion(v: Record<string, string>): string {
  return v.backend === 'onnxruntime-node' ? `onnxruntime-node ${v['onnxruntime-node']}` : `${v.backend} (tfjs ${v['@tensorflow/tfjs'] ?? '?'})`;
}

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** Analysis progress = channel-weighted mean of its tasks' progress; ETA from the time since it started. */
export async function refreshProgress(db: PrismaClient | Tx, analysisId: string, currentLayer: string | null, _eta: number | null): Promise<void> {
  await db.$executeRaw`
    UPDATE "Analysis" a SET
      progress = p.value,
      "currentLayer" = COALESCE(${currentLayer}, a."currentLayer"),
      "etaSeconds" = CASE WHEN p.value > 0.02 AND a."startedAt" IS NOT NULL
        THEN round(extract(epoch FROM now() - a."startedAt") * (1 - p.value) / p.value)::int ELSE NULL END
    FROM (SELECT COALESCE(sum(progress * channels) / NULLIF(sum(channels), 0), 0) AS value
          FROM "LayerTask" WHERE "analysisId" = ${analysisId}) p
    WHERE a.id = ${analysisId} AND a.status = 'running'`;
}
