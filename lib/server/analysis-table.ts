/**
 * The lab's analysis table: each analysis with a summary of its result
 * (channels beating noise, the top channel, the median score) computed in one
 * query over the stored channel results, so the list says what each run found.
 */
import { db, Prisma } from '../db/client';
import { scoreField, scoreSql, targetLabel } from './compare';
import { SCORE_LABELS } from './shared/compare';
import type { AnalysisRow } from './shared/analysis-table';

type SummaryRow = { aid: string; channels: number; nv: number; beats: number; median: number | null; top_layer: string | null; top_channel: number | null; top_score: number | null };

/** The lab's newest `take` analyses with their result summaries, newest first. */
export async function analysisTable(labId: string, take = 100): Promise<AnalysisRow[]> {
  const analyses = await db.analysis.findMany({
    where: { labId },
    orderBy: { createdAt: 'desc' },
    take,
    include: {
      modelVersion: { select: { id: true, version: true, modelCard: true, model: { select: { id: true, name: true } } } },
      dataset: { select: { name: true } },
      createdBy: { select: { name: true } },
    },
  });
  if (analyses.length === 0) return [];
  const summaries = await db.$queryRaw<SummaryRow[]>`
    WITH c AS (
      SELECT a.id AS aid, l.name AS layer, ch.channel, ch.extra->>'beats_noise' AS verdict,
        (l.extra->'verdict_rule') IS NOT NULL AS ruled, ${scoreSql('auto')} AS s
      FROM "Analysis" a
      JOIN "LayerResult" l ON l."analysisId" = a.id
      JOIN "ChannelResult" ch ON ch."layerResultId" = l.id
      WHERE a."labId" = ${labId} AND a.id IN (${Prisma.join(analyses.map((a) => a.id))})
    )
    SELECT aid, count(*)::int AS channels,
      (count(*) FILTER (WHERE ruled AND verdict IS NOT NULL))::int AS nv,
      (count(*) FILTER (WHERE ruled AND verdict = 'true'))::int AS beats,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS median,
      (array_agg(layer ORDER BY s DESC NULLS LAST, layer, channel))[1] AS top_layer,
      (array_agg(channel ORDER BY s DESC NULLS LAST, layer, channel))[1] AS top_channel,
      max(s) AS top_score
    FROM c GROUP BY aid`;
  const byId = new Map(summaries.map((s) => [s.aid, s]));
  const now = Date.now();
  return analyses.map((a): AnalysisRow => {
    const s = byId.get(a.id);
    const options = (a.options ?? {}) as Record<string, unknown>;
    const field = scoreField('auto', typeof options.rankBy === 'string' ? options.rankBy : 'crossfit');
    const classes = (a.modelVersion.modelCard as { classes?: unknown } | null)?.classes;
    const end = a.finishedAt?.getTime() ?? (a.status === 'running' ? now : null);
    return {
      id: a.id,
      title: a.title ?? `${a.modelVersion.model.name} v${a.modelVersion.version} × ${a.dataset.name}`,
      status: a.status,
      progress: a.progress,
      model: { id: a.modelVersion.model.id, versionId: a.modelVersion.id, label: `${a.modelVersion.model.name} v${a.modelVersion.version}` },
      dataset: a.dataset.name,
      target: targetLabel(a.target, classes),
      scoreField: field,
      statistic: `${SCORE_LABELS[field]}${options.flavour === 'pcace-2021' ? ' (pcace-2021)' : ''}`,
      channels: s?.channels ?? 0,
      beatNoise: s && s.nv > 0 ? s.beats : null,
      withVerdict: s?.nv ?? 0,
      top: s && s.top_layer !== null && s.top_channel !== null && s.top_score !== null ? { layer: s.top_layer, channel: s.top_channel, score: s.top_score } : null,
      median: s?.median ?? null,
      seconds: a.startedAt && end !== null ? Math.max(0, (end - a.startedAt.getTime()) / 1000) : null,
      who: a.createdBy.name,
      createdAt: a.createdAt.toISOString(),
    };
  });
}
