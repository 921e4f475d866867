/**
 * Compare classes: analyses of one model version and layer that differ by
 * target class → class × class Spearman ρ of the channel rankings, with p
 * per cell, and top-k overlap. The PCACE paper reported no correlation
 * between class rankings; this view shows the numbers. Analyses that ran a
 * test–retest also get ρ disattenuated for both rankings' unreliability
 * (lib/pcace/reliability.ts), since a noisy ranking agrees with nothing.
 */
import { z } from 'zod';
import { badRequest } from './errors';
import { cachedView, type ViewBody, idListParam, parseArrays, kParam, layerParam, loadAnalyses, missingScore, oneStatistic, parseQuery, pickLayer, r6, scoreSql, scoreParam, toFloat } from './compare';
import { median, spearmanOrNull, topKOrNull } from './compare-stats';
import type { AnalysisInfo, ClassesPayload } from './shared/compare';
import { db, Prisma } from '../db/client';
import { disattenuatedCorrelation } from '../pcace/reliability';
import type { ScoreField } from './shared/compare';

export const classesQuery = z.object({ analyses: idListParam, layer: layerParam, score: scoreParam, k: kParam }).strict();

type Row = { aid: string; ch: number[]; sc: (number | null)[]; rt: (number | null)[]; rel: string | null };

/** The statistic a stored retest is of, by the score field it can be compared with. */
const RETEST_FIELD: Record<string, ScoreField> = { crossfit: 'score_crossfit', multiple: 'score_multiple', pc1: 'score_pc1' };
/** Bootstrap resamples of channels behind each disattenuated interval. */
const DISATTENUATION_RESAMPLES = 1000;

export async function compareClasses(labId: string, req: Request): Promise<ViewBody> {
  const q = parseQuery(req, classesQuery);
  return cachedView(labId, q.analyses, `classes:${q.score}:${q.layer ?? ''}:${q.k}`, async () => {
    // Rows and columns in class order (ties: oldest first), whatever order the analyses were picked in.
    const infos = (await loadAnalyses(labId, q.analyses, q.score)).sort((a, b) => classIndex(a) - classIndex(b) || a.createdAt.localeCompare(b.createdAt));
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
        array_to_json(array_agg(${scoreSql(q.score)} ORDER BY ch.channel))::text AS sc,
        array_to_json(array_agg((ch.extra->>'score_retest')::float8 ORDER BY ch.channel))::text AS rt,
        (l.extra->'reliability')::text AS rel
      FROM "Analysis" a
      JOIN "LayerResult" l ON l."analysisId" = a.id AND l.name = ${layer}
      JOIN "ChannelResult" ch ON ch."layerResultId" = l.id
      WHERE a."labId" = ${labId} AND a.id IN (${Prisma.join([...new Set(q.analyses)])})
      GROUP BY l."analysisId", rel`;
    const rows = parseArrays<Row>(raw, ['ch', 'sc', 'rt']);
    const matrix = classMatrix(infos, rows, { layer, common, k: q.k, score: q.score });
    return { ...matrix, statistic, ...disattenuation(infos, rows) };
  });
}

const rowOf = (rows: Row[], id: string): Row => rows.find((r) => r.aid === id) ?? { aid: id, ch: [], sc: [], rt: [], rel: null };

/** One column of each analysis, aligned by channel index: the first analysis' channels, NaN where another lacks one. */
function aligned(infos: AnalysisInfo[], rows: Row[], column: 'sc' | 'rt'): Float64Array[] {
  const channels = rowOf(rows, infos[0].id).ch;
  return infos.map((info) => {
    const r = rowOf(rows, info.id);
    const byChannel = new Map(r.ch.map((c, i) => [c, r[column][i]]));
    return toFloat(channels.map((c) => byChannel.get(c) ?? null));
  });
}

/**
 * Each ranking's test–retest reliability in the layer and, for every pair that
 * both have one, ρ disattenuated with its bootstrap interval. A retest counts
 * only when it is of the statistic being compared (a reliability of the
 * cross-fitted ranking says nothing about a pc1 ranking).
 */
function disattenuation(infos: AnalysisInfo[], rows: Row[]): Pick<ClassesPayload, 'reliability' | 'disattenuated' | 'disattenuationNote'> {
  const scores = aligned(infos, rows, 'sc');
  const retests = aligned(infos, rows, 'rt');
  const missing: string[] = [];
  const reliability = infos.map((info, i): ClassesPayload['reliability'][number] => {
    const rel = rowOf(rows, info.id).rel;
    const r = rel ? (JSON.parse(rel) as { spearman: number | null; ci: (number | null)[]; images: number; statistic: string }) : null;
    if (!r || RETEST_FIELD[r.statistic] !== info.scoreField || !retests[i].some(Number.isFinite)) {
      missing.push(`'${info.title}'`);
      return null;
    }
    return { spearman: r6(r.spearman), low: r6(r.ci[0]), high: r6(r.ci[1]), images: r.images, statistic: r.statistic };
  });
  const m = infos.length;
  const grid = () => Array.from({ length: m }, () => new Array<number | null>(m).fill(null));
  const rho = grid();
  const low = grid();
  const high = grid();
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      if (!reliability[i] || !reliability[j]) continue;
      const keep: number[] = [];
      for (let c = 0; c < scores[i].length; c++) if ([scores[i], retests[i], scores[j], retests[j]].every((v) => Number.isFinite(v[c]))) keep.push(c);
      if (keep.length < 4) continue;
      const pick = (v: Float64Array) => Float64Array.from(keep, (c) => v[c]);
      const d = disattenuatedCorrelation(pick(scores[i]), pick(retests[i]), pick(scores[j]), pick(retests[j]), { resamples: DISATTENUATION_RESAMPLES, seed: 1 });
      rho[i][j] = rho[j][i] = r6(d.rho);
      low[i][j] = low[j][i] = r6(d.ci[0]);
      high[i][j] = high[j][i] = r6(d.ci[1]);
    }
  }
  const note = missing.length
    ? `${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no test–retest of this statistic in this layer: run ${missing.length === 1 ? 'it' : 'them'} again with test–retest (the dataset needs twice the images) to correct ρ for the rankings' noise`
    : null;
  return { reliability, disattenuated: { rho, low, high }, disattenuationNote: note };
}

function classMatrix(infos: AnalysisInfo[], rows: Row[], o: { layer: string; common: string[]; k: number; score: ClassesPayload['score'] }): Omit<ClassesPayload, 'statistic' | 'reliability' | 'disattenuated' | 'disattenuationNote'> {
  const channels = rowOf(rows, infos[0].id).ch;
  const vectors = aligned(infos, rows, 'sc');
  vectors.forEach((v, i) => {
    if (!v.some(Number.isFinite)) missingScore(infos[i]);
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

/** The class an analysis explains (regression targets last). */
const classIndex = (a: AnalysisInfo) => {
  const t = a.target as { kind?: string; index?: unknown } | null;
  return t?.kind === 'class' && typeof t.index === 'number' ? t.index : Number.MAX_SAFE_INTEGER;
};

/**
 * Row labels, never two alike: the class; with the analysis' title when two
 * analyses share a class; numbered #1, #2 … in the given (oldest-first) order
 * when they share the title too.
 */
export function uniqueLabels(infos: Pick<AnalysisInfo, 'targetLabel' | 'title'>[]): string[] {
  const alike = (labels: string[], i: number) => labels.some((l, j) => j !== i && l === labels[i]);
  const byClass = infos.map((a) => a.targetLabel);
  const byTitle = infos.map((a, i) => (alike(byClass, i) ? `${a.targetLabel} · ${a.title}` : a.targetLabel));
  return byTitle.map((l, i) => (alike(byTitle, i) ? `${l} #${byTitle.slice(0, i + 1).filter((x) => x === l).length}` : l));
}
