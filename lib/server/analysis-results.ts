/**
 * Reading analyses for the pages and the API: one analysis with what it ran
 * on, and its stored results in the shape of lib/analysis/types.ts. Every
 * lookup is within the lab (another lab's analysis is "not found").
 */
import { layerImportanceRecord, layerSanity, layerVerdictRecord, rowToChannel } from '../queue/result-rows';
import { db } from '../db/client';
import { globalRanking } from '../analysis/global-ranking';
import { networkCurvesOf } from '../queue/network-curves';
import { notFound } from './errors';
import type { AnalysisStatus, StoredLayerView } from './shared/payloads';

export async function getAnalysis(labId: string, id: string) {
  const a = await db.analysis.findFirst({
    where: { id, labId },
    include: {
      modelVersion: { select: { id: true, version: true, model: { select: { id: true, name: true } } } },
      dataset: { select: { id: true, name: true, kind: true } },
      createdBy: { select: { name: true, email: true } },
    },
  });
  if (!a) throw notFound('analysis not found');
  return a;
}

/** Stored results of an analysis, in the shape of lib/analysis/types.ts (LayerResult[]). */
export async function analysisResults(labId: string, id: string, opts: { layer?: string; top?: number } = {}) {
  const a = await getAnalysis(labId, id);
  const layers = await db.layerResult.findMany({
    where: { analysisId: a.id, ...(opts.layer ? { name: opts.layer } : {}) },
    orderBy: { index: 'asc' },
    include: {
      channels: { orderBy: { rank: 'asc' }, ...(opts.top ? { where: { rank: { lte: opts.top } } } : {}) },
    },
  });
  const views = layers.map(
    (l): StoredLayerView => ({
      name: l.name,
      index: l.index,
      shape: l.shape,
      kernel: l.kernel ?? undefined,
      seconds: l.seconds,
      warnings: (l.warnings as string[] | null) ?? [],
      rank_stability: l.rankStability ?? undefined,
      ...layerVerdictRecord(l.extra),
      ...layerImportanceRecord(l.extra),
      sanity: layerSanity(l.sanity),
      channels: l.channels.map(rowToChannel),
    }),
  );
  // Only over every channel: with `top` the list would rank a truncated set.
  // Both over every layer's channels: with `layer` or `top` they would describe a part.
  const whole = !opts.top && !opts.layer;
  return { analysis: a, layers: views, globalRanking: opts.top ? null : globalRanking(views), networkCurves: whole ? networkCurvesOf(a.summary) : null };
}

/** One layer's verdict record (null, rule, reliability) and sanity checks, for the channel page; {} when the layer has none. */
export async function layerVerdict(labId: string, analysisId: string, layer: string): Promise<Pick<StoredLayerView, 'null' | 'verdict_rule' | 'reliability' | 'sanity'>> {
  const row = await db.layerResult.findFirst({ where: { analysisId, name: layer, analysis: { labId } }, select: { extra: true, sanity: true } });
  return row ? { ...layerVerdictRecord(row.extra), sanity: layerSanity(row.sanity) } : {};
}

/** The lab's analyses, newest first, optionally of one status (GET .../analyses). */
export function listAnalyses(labId: string, opts: { status?: AnalysisStatus; take: number }) {
  return db.analysis.findMany({
    where: { labId, ...(opts.status ? { status: opts.status } : {}) },
    orderBy: { createdAt: 'desc' },
    take: opts.take,
  });
}

/** The lab's latest analyses with the model and dataset names they ran on (the lab's home page). */
export function recentAnalyses(labId: string, take: number) {
  return db.analysis.findMany({
    where: { labId },
    orderBy: { createdAt: 'desc' },
    take,
    include: { modelVersion: { select: { version: true, model: { select: { name: true } } } }, dataset: { select: { name: true } } },
  });
}

/** Each layer's channels ranked 1..top, layers in model order (the discussion page's short lists). */
export function topChannels(labId: string, analysisId: string, top: number) {
  return db.layerResult.findMany({
    where: { analysisId, analysis: { labId } },
    orderBy: { index: 'asc' },
    select: { name: true, channels: { where: { rank: { lte: top } }, orderBy: { rank: 'asc' }, select: { channel: true, rank: true, scoreCrossfit: true, scoreMultiple: true, pValue: true } } },
  });
}
