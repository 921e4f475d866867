/**
 * Network-wide deletion curves of a worker's analysis
 * (lib/analysis/importance/network-curves.ts). Each layer task sees only its
 * own layer, so the curves across layers can be run only once every layer is
 * stored: the worker that stores the last one reads the layers back from
 * here, runs the curves in a model process, and stores them (or why they
 * failed) in the analysis' run-level summary, moving its finish time so
 * cached views of it are recomputed.
 */
import type { Prisma, PrismaClient } from '../db/generated/client';
import type { NetworkCurveLayer, StoredNetworkCurves } from '../analysis/importance/network-curves';
import { rowToChannel } from './result-rows';

/** Every stored layer of the analysis with its channels, in layer order. */
export async function networkCurveLayers(db: PrismaClient, analysisId: string): Promise<NetworkCurveLayer[]> {
  const rows = await db.layerResult.findMany({ where: { analysisId }, orderBy: { index: 'asc' }, include: { channels: { orderBy: { channel: 'asc' } } } });
  return rows.map((r) => ({ name: r.name, channels: r.channels.map(rowToChannel) }));
}

export async function storeNetworkCurves(db: PrismaClient, analysisId: string, curves: StoredNetworkCurves): Promise<void> {
  const value = JSON.stringify(curves);
  await db.$executeRaw`
    UPDATE "Analysis" SET summary = COALESCE(summary, '{}'::jsonb) || jsonb_build_object('network_curves', ${value}::jsonb), "finishedAt" = now()
    WHERE id = ${analysisId}`;
}

/** The stored curves in an analysis' summary, if any. */
export function networkCurvesOf(summary: Prisma.JsonValue | null | undefined): StoredNetworkCurves | null {
  if (!summary || typeof summary !== 'object' || Array.isArray(summary)) return null;
  const v = (summary as Record<string, unknown>).network_curves;
  return v && typeof v === 'object' ? (v as StoredNetworkCurves) : null;
}
