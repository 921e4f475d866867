/**
 * Compare runs: two analyses of the same model (another image sample, seed,
 * k, flavour, model version or date) → per layer, both rankings of every
 * channel and how much they agree (Spearman, Kendall τ-b, top-k overlap).
 * Both rankings must be by one statistic: runs ranked by different ones are
 * refused (choose a score both have), since their agreement would mix how the
 * runs differ with how the statistics do.
 */
import { z } from 'zod';
import { ordinalRanks } from '../pcace/ranking';
import { badRequest } from './errors';
import { cachedView, type ViewBody, idParam, parseArrays, kParam, loadAnalyses, missingScore, oneStatistic, parseQuery, r6, scoreParam, scoreSql, toFloat } from './compare';
import { kendallOrNull, median, spearmanOrNull, topKOrNull } from './compare-stats';
import type { AnalysisInfo, RunsLayer, RunsPayload } from './shared/compare';
import { db, Prisma } from '../db/client';

export const runsQuery = z.object({ a: idParam, b: idParam, score: scoreParam, k: kParam }).strict();

type Row = { aid: string; name: string; rule: string | null; ch: number[]; sc: (number | null)[]; q: (number | null)[]; ef: (number | null)[]; lo: (number | null)[]; hi: (number | null)[] };

export async function compareRuns(labId: string, req: Request): Promise<ViewBody> {
  const q = parseQuery(req, runsQuery);
  return cachedView(labId, [q.a, q.b], `runs:${q.score}:${q.k}`, async () => {
    const [a, b] = await loadAnalyses(labId, [q.a, q.b], q.score);
    if (a.model.id !== b.model.id) {
      throw badRequest(`runs must be of the same model: '${a.title}' is ${a.model.name}, '${b.title}' is ${b.model.name} (compare architectures instead)`);
    }
    const statistic = oneStatistic([a, b], q.score);
    const raw = await db.$queryRaw<Record<string, unknown>[]>`
      SELECT l."analysisId" AS aid, l.name, l.extra->'verdict_rule'->>'text' AS rule,
        array_to_json(array_agg(ch.channel ORDER BY ch.channel))::text AS ch,
        array_to_json(array_agg(${scoreSql(q.score)} ORDER BY ch.channel))::text AS sc,
        array_to_json(array_agg((ch.extra->>'q_value')::float8 ORDER BY ch.channel))::text AS q,
        array_to_json(array_agg((ch.extra->>'effect')::float8 ORDER BY ch.channel))::text AS ef,
        array_to_json(array_agg((ch.extra->'effect_ci'->>0)::float8 ORDER BY ch.channel))::text AS lo,
        array_to_json(array_agg((ch.extra->'effect_ci'->>1)::float8 ORDER BY ch.channel))::text AS hi
      FROM "Analysis" a
      JOIN "LayerResult" l ON l."analysisId" = a.id
      JOIN "ChannelResult" ch ON ch."layerResultId" = l.id
      WHERE a."labId" = ${labId} AND a.id IN (${Prisma.join([...new Set([a.id, b.id])])})
      GROUP BY l."analysisId", l."index", l.name, rule ORDER BY l."index"`;
    return { ...runsPayload(a, b, parseArrays<Row>(raw, ['ch', 'sc', 'q', 'ef', 'lo', 'hi']), q.score, q.k), statistic };
  });
}

function runsPayload(a: AnalysisInfo, b: AnalysisInfo, rows: Row[], score: RunsPayload['score'], k: number): Omit<RunsPayload, 'statistic'> {
  const ofA = new Map(rows.filter((r) => r.aid === a.id).map((r) => [r.name, r]));
  const ofB = new Map(rows.filter((r) => r.aid === b.id).map((r) => [r.name, r]));
  const layers: RunsLayer[] = [];
  const skipped: RunsPayload['skipped'] = [];
  let scoredA = false;
  let scoredB = false;
  for (const [name, ra] of ofA) {
    const rb = ofB.get(name);
    if (!rb) {
      skipped.push({ name, reason: `only in '${a.title}'` });
      continue;
    }
    if (rb.ch.length !== ra.ch.length) {
      skipped.push({ name, reason: `${ra.ch.length} channels in '${a.title}', ${rb.ch.length} in '${b.title}'` });
      continue;
    }
    const sa = toFloat(ra.sc);
    const sb = toFloat(rb.sc);
    scoredA ||= sa.some(Number.isFinite);
    scoredB ||= sb.some(Number.isFinite);
    const s = spearmanOrNull(sa, sb);
    const t = kendallOrNull(sa, sb);
    const top = topKOrNull(sa, sb, k);
    layers.push({
      name,
      n: ra.ch.length,
      channel: ra.ch,
      rankA: Array.from(ordinalRanks(sa)),
      rankB: Array.from(ordinalRanks(sb)),
      scoreA: ra.sc.map(r6),
      scoreB: rb.sc.map(r6),
      spearman: s ? { rho: r6(s.rho), p: s.p } : null,
      kendall: t ? { tau: r6(t.tau), p: t.p } : null,
      topK: top ? { ...top, expected: r6(top.expected)! } : null,
      verdictA: verdicts(ra),
      verdictB: verdicts(rb),
    });
  }
  for (const name of ofB.keys()) if (!ofA.has(name)) skipped.push({ name, reason: `only in '${b.title}'` });
  if (layers.length > 0 && !scoredA) missingScore(a);
  if (layers.length > 0 && !scoredB) missingScore(b);
  const rhos = layers.flatMap((l) => (l.spearman?.rho == null ? [] : [l.spearman.rho]));
  return { score, k, a, b, differences: differences(a, b), layers, skipped, medianRho: r6(median(rhos)) };
}

/** A side's stored verdicts in the layer; null when the layer has no rule (not calibrated). */
function verdicts(r: Row): RunsLayer['verdictA'] {
  if (r.rule === null) return null;
  const sig = (v: number | null) => (v === null || !Number.isFinite(v) ? null : Number(v.toPrecision(6)));
  return { rule: r.rule, q: r.q.map(sig), effect: r.ef.map(r6), effectLow: r.lo.map(r6), effectHigh: r.hi.map(r6) };
}

/** The settings that tell the two runs apart. */
function differences(a: AnalysisInfo, b: AnalysisInfo): RunsPayload['differences'] {
  const text = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const fields: [string, unknown, unknown][] = [
    ['model version', `v${a.model.version}`, `v${b.model.version}`],
    ['dataset', a.dataset.name, b.dataset.name],
    ['target', a.targetLabel, b.targetLabel],
    ['images', a.options.images, b.options.images],
    ['seed', a.options.seed, b.options.seed],
    ['components (k)', a.options.components, b.options.components],
    ['ACE flavour', a.options.flavour, b.options.flavour],
    ['ranked by', a.options.rankBy, b.options.rankBy],
    ['score compared', a.scoreField, b.scoreField],
    ['permutations', a.options.permutations, b.options.permutations],
    ['cross-fit repeats', a.options.crossFitRepeats, b.options.crossFitRepeats],
    ['finished', a.finishedAt?.slice(0, 10), b.finishedAt?.slice(0, 10)],
  ];
  return fields.filter(([, x, y]) => text(x) !== text(y)).map(([field, x, y]) => ({ field, a: text(x), b: text(y) }));
}
