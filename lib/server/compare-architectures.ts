/**
 * Compare architectures: two analyses (e.g. ResNet-18 and VGG-16 on the same
 * class) on a relative-depth axis — the sorted score curve of every layer,
 * per-layer distributions, the maximum by depth and a summary.
 */
import { z } from 'zod';
import { quantile } from '../pcace/stats';
import { cachedView, type ViewBody, idParam, parseArrays, loadAnalyses, missingScore, parseQuery, r6, scoreParam, scoreSql } from './compare';
import type { AnalysisInfo, ArchitectureSide, ArchitecturesPayload, LayerBoxes } from './shared/compare';
import { db, Prisma } from '../db/client';

export const architecturesQuery = z.object({ a: idParam, b: idParam, score: scoreParam }).strict();

type Row = { aid: string; index: number; name: string; ch: number[]; sc: (number | null)[]; nv: number; beats: number; rule: string | null };

export async function compareArchitectures(labId: string, req: Request): Promise<ViewBody> {
  const q = parseQuery(req, architecturesQuery);
  return cachedView(labId, [q.a, q.b], `architectures:${q.score}`, async () => {
    const infos = await loadAnalyses(labId, [q.a, q.b], q.score);
    // One query for both networks: per layer, channels and scores already sorted by score.
    const raw = await db.$queryRaw<Record<string, unknown>[]>`
      WITH c AS (
        SELECT l."analysisId" AS aid, l."index" AS index, l.name, l.extra->'verdict_rule'->>'text' AS rule, ch.channel,
          ch.extra->>'beats_noise' AS verdict, ${scoreSql(q.score)} AS s
        FROM "Analysis" a
        JOIN "LayerResult" l ON l."analysisId" = a.id
        JOIN "ChannelResult" ch ON ch."layerResultId" = l.id
        WHERE a."labId" = ${labId} AND a.id IN (${Prisma.join([...new Set([q.a, q.b])])})
      )
      SELECT aid, index, name, rule,
        array_to_json(array_agg(channel ORDER BY s DESC NULLS LAST, channel))::text AS ch,
        array_to_json(array_agg(s ORDER BY s DESC NULLS LAST, channel))::text AS sc,
        (count(*) FILTER (WHERE rule IS NOT NULL AND verdict IS NOT NULL))::int AS nv,
        (count(*) FILTER (WHERE rule IS NOT NULL AND verdict = 'true'))::int AS beats
      FROM c GROUP BY aid, index, name, rule ORDER BY aid, index`;
    const rows = parseArrays<Row>(raw, ['ch', 'sc']);
    const payload: ArchitecturesPayload = { score: q.score, sides: [side(infos[0], rows), side(infos[1], rows)] };
    return payload;
  });
}

function side(info: AnalysisInfo, all: Row[]): ArchitectureSide {
  const rows = all.filter((r) => r.aid === info.id);
  // Depth is relative to the model's conv layers, so a partial analysis still sits where its layers are.
  const count = Math.max(info.model.layerCount, ...rows.map((r) => r.index + 1), 1);
  const boxes: LayerBoxes = { min: [], q1: [], median: [], q3: [], max: [], lo: [], hi: [] };
  const channel: number[] = [];
  const score: (number | null)[] = [];
  const allScores: number[] = [];
  let scored = 0;
  let best: { v: number; depth: number } | null = null;
  for (const r of rows) {
    const values: number[] = [];
    for (let i = 0; i < r.ch.length; i++) {
      channel.push(r.ch[i]);
      const v = r.sc[i];
      score.push(r6(v));
      if (v !== null && Number.isFinite(v)) values.push(v);
    }
    scored += values.length;
    // Scores arrive sorted descending, NULLs last: ascending order is the reverse.
    values.reverse();
    for (const v of values) allScores.push(v);
    const b = box(values);
    for (const k of Object.keys(boxes) as (keyof LayerBoxes)[]) boxes[k].push(b ? r6(b[k]) : null);
    if (b && (best === null || b.max > best.v)) best = { v: b.max, depth: (r.index + 1) / count };
  }
  if (rows.length > 0 && scored === 0) missingScore(info);
  allScores.sort((x, y) => x - y);
  // Verdicts are the stored ones (q < α under the layer's rule); uncalibrated layers count in neither number.
  const withVerdict = rows.reduce((s, r) => s + r.nv, 0);
  const beats = rows.reduce((s, r) => s + r.beats, 0);
  return {
    analysis: info,
    layers: {
      name: rows.map((r) => r.name),
      index: rows.map((r) => r.index),
      depth: rows.map((r) => r6((r.index + 1) / count)!),
      n: rows.map((r) => r.ch.length),
      withVerdict: rows.map((r) => r.nv),
      beatNoise: rows.map((r) => r.beats),
      rule: rows.map((r) => r.rule),
      ...boxes,
    },
    channel,
    score,
    summary: {
      layers: rows.length,
      channels: channel.length,
      median: allScores.length ? r6(quantile(allScores, 0.5)) : null,
      max: best ? r6(best.v) : null,
      maxDepth: best ? r6(best.depth) : null,
      withVerdict,
      beatNoise: withVerdict > 0 ? r6(beats / withVerdict) : null,
      rule: rows.find((r) => r.rule !== null)?.rule ?? null,
    },
  };
}

/** Tukey box of ascending values. */
function box(sorted: number[]): Record<keyof LayerBoxes, number> | null {
  if (sorted.length === 0) return null;
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const reach = 1.5 * (q3 - q1);
  const lo = sorted.find((v) => v >= q1 - reach) ?? sorted[0];
  let hi = sorted[0];
  for (const v of sorted) if (v <= q3 + reach) hi = v;
  return { min: sorted[0], q1, median: quantile(sorted, 0.5), q3, max: sorted[sorted.length - 1], lo, hi };
}
