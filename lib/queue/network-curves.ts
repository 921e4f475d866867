/**
 * Network-wide deletion curves of a worker's analysis
 * (lib/analysis/importance/network-curves.ts). Each layer task sees only its
 * own layer, so the curves across layers can be run only once every layer is
 * stored. They are then a leased task like any other: the transaction that
 * stores the last layer (persist.ts) queues one artifact row of kind
 * network_curves (layer '', channel -1), which the artifact runner claims,
 * renews, and which another worker takes over when its worker dies. Its
 * holder stores the curves (or, once retrying cannot help, why they failed)
 * in the analysis' run-level summary in the same transaction that completes
 * the row, moving the analysis' finish time so cached views of it are
 * recomputed.
 */
import type { Prisma, PrismaClient } from '../db/generated/client';
import type { NetworkCurveLayer, NetworkCurves, StoredNetworkCurves } from '../analysis/importance/network-curves';
import { completeArtifact, failArtifact, type Db } from './analysis-status';
import { rowToChannel } from './result-rows';

/** The artifact kind of an analysis' network-wide curves; its row has layerName '' and channel -1. */
export const NETWORK_CURVES = 'network_curves' as const;

/** Whether an analysis with these options and stored layers gets network-wide curves: importance measures on two or more layers. */
export function wantsNetworkCurves(options: { ablation?: boolean }, layers: number): boolean {
  return options.ablation === true && layers >= 2;
}

/** Every stored layer of the analysis with its channels, in layer order. */
export async function networkCurveLayers(db: PrismaClient, analysisId: string): Promise<NetworkCurveLayer[]> {
  const rows = await db.layerResult.findMany({ where: { analysisId }, orderBy: { index: 'asc' }, include: { channels: { orderBy: { channel: 'asc' } } } });
  return rows.map((r) => ({ name: r.name, channels: r.channels.map(rowToChannel) }));
}

export async function storeNetworkCurves(db: Db, analysisId: string, curves: StoredNetworkCurves): Promise<void> {
  const value = JSON.stringify(curves);
  await db.$executeRaw`
    UPDATE "Analysis" SET summary = COALESCE(summary, '{}'::jsonb) || jsonb_build_object('network_curves', ${value}::jsonb), "finishedAt" = now()
    WHERE id = ${analysisId}`;
}

/** The holder completes the curves' row and stores them together; LeaseLost (nothing stored) when the row is no longer its. */
export async function completeNetworkCurves(db: PrismaClient, task: { id: string; analysisId: string }, workerId: string, curves: NetworkCurves): Promise<void> {
  await db.$transaction(async (tx) => {
    // The row keeps where the curves went, not a second copy of them.
    await completeArtifact(tx, task.id, workerId, { resultPath: null, values: { stored: 'analysis summary: network_curves' }, seconds: curves.seconds });
    await storeNetworkCurves(tx, task.analysisId, curves);
  });
}

/** The holder fails the curves' row and stores the reason as the curves; false (nothing stored) when the row is no longer its. */
export async function failNetworkCurves(db: PrismaClient, task: { id: string; analysisId: string }, workerId: string, reason: string): Promise<boolean> {
  return db.$transaction(async (tx) => {
    if (!(await failArtifact(tx, task.id, workerId, reason))) return false;
    await storeNetworkCurves(tx, task.analysisId, { error: reason });
    return true;
  });
}

/** The stored curves in an analysis' summary, if any. */
export function networkCurvesOf(summary: Prisma.JsonValue | null | undefined): StoredNetworkCurves | null {
  if (!summary || typeof summary !== 'object' || Array.isArray(summary)) return null;
  const v = (summary as Record<string, unknown>).network_curves;
  return v && typeof v === 'object' ? (v as StoredNetworkCurves) : null;
}
