/**
 * Compare classes: analyses of one model version and layer that differ by
 * target class → class × class Spearman ρ of the channel rankings, with p
 * per cell, and top-k overlap. The PCACE paper reported no correlation
 * between class rankings; this view shows the numbers.
 */
import { z } from 'zod';
import { badRequest } from './errors';
import { cachedView, type ViewBody, idListParam, parseArrays, kParam, layerParam, loadAnalyses, missingScore, parseQuery, pickLayer, r6, scoreSql, scoreParam, toFloat } from './compare';
import { median, spearmanOrNull, topKOrNull } from './compare-stats';
import type { AnalysisInfo, ClassesPayload } from './shared/compare';
import { SCORE_LABELS } from './shared/compare';
import { db, Prisma } from '../db/client';

export const classesQuery = z.object({ analyses: idListParam, layer: layerParam, score: scoreParam, k: kParam }).strict();

type Row = { aid: string; ch: number[]; sc: (number | null)[] };

export async function compareClasses(labId: string, req: Request): Promise<ViewBody> {
  const q = parseQuery(req, classesQuery);
  return cachedView(labId, q.analyses, `classes:${q.score}:${q.layer ?? ''}:${q.k}`, async () => {
    const infos = await loadAnalyses(labId, q.analyses, q.score);
    const version = infos[0].model.versionId;
    const other = infos.find((a) => a.model.versionId !== version);
    if (other) {
      throw badRequest(
        `class comparisons need one model version: '${infos[0].title}' is ${infos[0].model.name} v${infos[0].model.version}, '${other.title}' is ${other.model.name} v${other.model.version}`,
      );
    }
    const statistic = oneStatistic(infos, q.score);
    const { layer, common } = pickLayer(infos, q.layer);
    const raw = await db.$queryRaw<Record<string, unknown>[]>`
      SELECT l."analysisId" AS aid,
        array_to_json(array_agg(ch.channel ORDER BY ch.channel))::text AS ch,
        array_to_json(array_agg(${scoreSql(q.score)} ORDER BY ch.channel))::text AS sc
      FROM "Analysis" a
      JOIN "LayerResult" l ON l."analysisId" = a.id AND l.name = ${layer}
      JOIN "ChannelResult" ch ON ch."layerResultId" = l.id
      WHERE a."labId" = ${labId} AND a.id IN (${Prisma.join([...new Set(q.analyses)])})
      GROUP BY l."analysisId"`;
    return { ...classMatrix(infos, parseArrays<Row>(raw, ['ch', 'sc']), { layer, common, k: q.k, score: q.score }), statistic };
  });
}

/**
 * The one statistic the compared rankings share. A Spearman ρ between a
 * ranking by the cross-fitted score and one by pc1 measures how two
 * statistics differ as much as how two classes do, so such a comparison is
 * refused, naming each analysis' statistic. The stored z_score is the pc1 z
 * for analyses ranked by pc1 or z_pc1 and the multiple-correlation z
 * otherwise: two statistics under one column.
 */
export function statisticOf(info: AnalysisInfo): string {
  if (info.scoreField !== 'z_score') return SCORE_LABELS[info.scoreField];
  return info.options.rankBy === 'pc1' || info.options.rankBy === 'z_pc1' ? 'permutation z-score of pc1' : 'permutation z-score of the multiple correlation';
}

function oneStatistic(infos: AnalysisInfo[], score: ClassesPayload['score']): string {
  const stats = infos.map(statisticOf);
  if (stats.every((s) => s === stats[0])) return stats[0];
  const groups = [...new Set(stats)].map((s) => `${infos.filter((_, i) => stats[i] === s).map((a) => `'${a.title}'`).join(', ')} by the ${s}`);
  const how =
    score === 'auto'
      ? 'choose one score for all of them (crossfit, multiple, pc1) or pick analyses ranked alike'
      : 'pick analyses ranked alike, or another score';
  throw badRequest(`these analyses rank channels by different statistics (${groups.join('; ')}): one comparison needs one statistic; ${how}`);
}

function classMatrix(infos: AnalysisInfo[], rows: Row[], o: { layer: string; common: string[]; k: number; score: ClassesPayload['score'] }): Omit<ClassesPayload, 'statistic'> {
  // Scores aligned by channel index: channels the first analysis has, NaN where another lacks one.
  const rowOf = (id: string) => rows.find((r) => r.aid === id) ?? { aid: id, ch: [], sc: [] };
  const channels = rowOf(infos[0].id).ch;
  const vectors = infos.map((info) => {
    const r = rowOf(info.id);
    const byChannel = new Map(r.ch.map((c, i) => [c, r.sc[i]]));
    const v = toFloat(channels.map((c) => byChannel.get(c) ?? null));
    if (!v.some(Number.isFinite)) missingScore(info);
    return v;
  });
  const m = infos.length;
  const grid = <T>(fill: T) => Array.from({ length: m }, () => new Array<T>(m).fill(fill));
  const rho = grid<number | null>(null);
  const p = grid<number | null>(null);
  const shared = grid(0);
  const fraction = grid(0);
  const overlapP = grid<number | null>(null);
  let k = o.k;
  let method: ClassesPayload['method'] = null;
  const offDiagonal: { rho: number; p: number }[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      const s = spearmanOrNull(vectors[i], vectors[j]);
      const t = topKOrNull(vectors[i], vectors[j], o.k);
      if (t) k = t.k;
      for (const [x, y] of [
        [i, j],
        [j, i],
      ]) {
        rho[x][y] = i === j ? 1 : s ? r6(s.rho) : null;
        p[x][y] = i === j || !s ? null : s.p;
        shared[x][y] = t?.shared ?? 0;
        fraction[x][y] = t ? r6(t.shared / t.k)! : 0;
        overlapP[x][y] = i === j || !t ? null : t.p;
      }
      if (i !== j && s) {
        method = s.method;
        offDiagonal.push({ rho: s.rho, p: s.p });
      }
    }
  }
  const pairs = (m * (m - 1)) / 2;
  return {
    score: o.score,
    layer: o.layer,
    layers: o.common,
    k,
    n: channels.length,
    analyses: infos,
    labels: uniqueLabels(infos),
    rho,
    p,
    method,
    overlap: { shared, fraction, expected: r6((k * k) / Math.max(1, channels.length))!, p: overlapP },
    pairs,
    significant: offDiagonal.filter((c) => c.p < 0.05).length,
    bonferroni: offDiagonal.filter((c) => c.p < 0.05 / Math.max(1, pairs)).length,
    medianAbsRho: r6(median(offDiagonal.map((c) => Math.abs(c.rho)))),
  };
}

/** Target labels, told apart by title when two analyses share a class. */
function uniqueLabels(infos: AnalysisInfo[]): string[] {
  return infos.map((a, i) => {
    const dup = infos.some((b, j) => j !== i && b.targetLabel === a.targetLabel);
    return dup ? `${a.targetLabel} · ${a.title}` : a.targetLabel;
  });
}
