/**
 * Comparisons of stored analyses: what the four compare views and their data
 * API (/api/v1/labs/:lab/compare/...) share.
 *
 * - Every object is looked up with the caller's lab id, so other labs'
 *   analyses are "not found" (404), never "forbidden".
 * - Channels are read with one aggregated SQL query per view (array_agg per
 *   layer over the (layerResultId, channel) index): ~40 rows for a
 *   full-network pair instead of ~9,000, which is what keeps the API fast.
 * - Completed analyses never change, so a view's JSON is cached in memory,
 *   keyed by the analyses' ids and finish times (PCACE_COMPARE_CACHE_MB, 0 = off).
 *   The access check and a one-row-per-analysis lookup still run on every request.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { db, preparedQuery, Prisma } from '../db/client';
import { SCORE_COLUMN } from '../queue/view-parts';
import { badRequest, notFound, parseWith } from './errors';
import type { AnalysisInfo, ScoreChoice, ScoreField } from './shared/compare';
import { SCORE_CHOICES, SCORE_LABELS } from './shared/compare';

export * from './shared/compare';

// ---------------------------------------------------------------- query parameters

const analysisId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not an analysis id');
export const scoreParam = z.enum(SCORE_CHOICES as [ScoreChoice, ...ScoreChoice[]]).default('auto');
export const kParam = z.coerce.number().int().min(1).max(1000).default(10);
export const layerParam = z.string().min(1).max(200).optional();
export const idParam = analysisId;
/** "id1,id2,…": 2 to 12 analyses. */
export const idListParam = z
  .string()
  .transform((s) => s.split(',').filter(Boolean))
  .pipe(z.array(analysisId).min(2, 'pick at least 2 analyses').max(12, 'pick at most 12 analyses'));

/** Query string → validated object; unknown parameters are refused (a typo would silently do nothing). */
export function parseQuery<S extends z.ZodType>(req: Request, shape: S): z.output<S> {
  return parseWith(shape, Object.fromEntries(new URL(req.url).searchParams), 'query');
}

// ---------------------------------------------------------------- scores

const AUTO_FIELD: Record<string, ScoreField> = {
  pc1: 'score_pc1',
  multiple: 'score_multiple',
  crossfit: 'score_crossfit',
  z_pc1: 'z_score',
  z_multiple: 'z_score',
};
const CHOICE_FIELD: Record<Exclude<ScoreChoice, 'auto'>, ScoreField> = {
  crossfit: 'score_crossfit',
  multiple: 'score_multiple',
  pc1: 'score_pc1',
  z: 'z_score',
};

export function scoreField(choice: ScoreChoice, rankBy: string): ScoreField {
  return choice === 'auto' ? (AUTO_FIELD[rankBy] ?? 'score_crossfit') : CHOICE_FIELD[choice];
}

/**
 * The score column as SQL over `ch` (ChannelResult) and `a` (Analysis). Column
 * names come from this fixed table only, never from the request.
 */
export function scoreSql(choice: ScoreChoice): Prisma.Sql {
  if (choice !== 'auto') return SCORE_COLUMN[CHOICE_FIELD[choice]];
  return Prisma.sql`(CASE a.options->>'rankBy' WHEN 'pc1' THEN ch.score_pc1 WHEN 'multiple' THEN ch.score_multiple
    WHEN 'z_pc1' THEN ch.z_score WHEN 'z_multiple' THEN ch.z_score ELSE ch.score_crossfit END)`;
}

/**
 * The one statistic the compared rankings share. A Spearman ρ between a
 * ranking by the cross-fitted score and one by pc1 measures how two
 * statistics differ as much as how two classes (or runs) do, so such a
 * comparison is refused, naming each analysis' statistic. The stored z_score is the pc1 z
 * for analyses ranked by pc1 or z_pc1 and the multiple-correlation z
 * otherwise: two statistics under one column.
 */
export function statisticOf(info: AnalysisInfo): string {
  if (info.scoreField !== 'z_score') return SCORE_LABELS[info.scoreField];
  return info.options.rankBy === 'pc1' || info.options.rankBy === 'z_pc1' ? 'permutation z-score of pc1' : 'permutation z-score of the multiple correlation';
}

export function oneStatistic(infos: AnalysisInfo[], score: ScoreChoice): string {
  const stats = infos.map(statisticOf);
  if (stats.every((s) => s === stats[0])) return stats[0];
  const groups = [...new Set(stats)].map((s) => `${infos.filter((_, i) => stats[i] === s).map((a) => `'${a.title}'`).join(', ')} by the ${s}`);
  const how =
    score === 'auto'
      ? 'choose one score for all of them (crossfit, multiple, pc1) or pick analyses ranked alike'
      : 'pick analyses ranked alike, or another score';
  throw badRequest(`these analyses rank channels by different statistics (${groups.join('; ')}): one comparison needs one statistic; ${how}`);
}

/** A 400 that says how to get the missing score, instead of an empty chart. */
export function missingScore(info: AnalysisInfo): never {
  const how: Record<ScoreField, string> = {
    score_crossfit: 'it ran without cross-fitting (crossFitRepeats = 0); choose another score',
    z_score: 'it ran without a permutation test (permutations = 0); choose another score',
    score_multiple: 'it has no stored scores',
    score_pc1: 'it has no stored scores',
  };
  throw badRequest(`analysis '${info.title}' has no ${info.scoreField}: ${how[info.scoreField]}`);
}

// ---------------------------------------------------------------- analyses

type MetaRow = {
  id: string;
  title: string | null;
  status: AnalysisInfo['status'];
  target: unknown;
  options: Record<string, unknown> | null;
  createdAt: Date;
  finishedAt: Date | null;
  versionId: string;
  version: number;
  format: string;
  layerCount: number;
  classes: unknown;
  modelId: string;
  modelName: string;
  datasetId: string;
  datasetName: string;
  layerNames: string[];
  channels: number | null;
};

const META_COLUMNS = Prisma.sql`
    a.id, a.title, a.status::text AS status, a.target, a.options, a."createdAt", a."finishedAt",
    mv.id AS "versionId", mv.version, mv.format::text AS format,
    CASE WHEN jsonb_typeof(mv.layers) = 'array' THEN jsonb_array_length(mv.layers) ELSE 0 END AS "layerCount",
    mv."modelCard"->'classes' AS classes, m.id AS "modelId", m.name AS "modelName",
    d.id AS "datasetId", d.name AS "datasetName",
    ARRAY(SELECT lr.name FROM "LayerResult" lr WHERE lr."analysisId" = a.id ORDER BY lr."index") AS "layerNames",
    (SELECT sum((lr.shape->>1)::int) FROM "LayerResult" lr WHERE lr."analysisId" = a.id)::int AS channels`;
const META_FROM = Prisma.sql`
  FROM "Analysis" a
  JOIN "ModelVersion" mv ON mv.id = a."modelVersionId"
  JOIN "Model" m ON m.id = mv."modelId"
  JOIN "Dataset" d ON d.id = a."datasetId"`;
const META_SELECT = Prisma.sql`SELECT ${META_COLUMNS} ${META_FROM}`;

export function targetLabel(target: unknown, classes: unknown): string {
  const t = (target ?? {}) as { kind?: string; index?: number; source?: string };
  if (t.kind === 'class' && typeof t.index === 'number') {
    const name = Array.isArray(classes) && typeof classes[t.index] === 'string' ? ` (${classes[t.index]})` : '';
    return `class ${t.index}${name}`;
  }
  if (t.kind === 'regression') return t.source === 'dataset' ? 'regression (dataset target)' : `regression output ${t.index ?? 0}`;
  return 'unknown target';
}

function toInfo(r: MetaRow, choice: ScoreChoice): AnalysisInfo {
  const o = r.options ?? {};
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const rankBy = typeof o.rankBy === 'string' ? o.rankBy : 'crossfit';
  return {
    id: r.id,
    title: r.title ?? `${r.modelName} v${r.version} × ${r.datasetName}`,
    status: r.status,
    model: { id: r.modelId, name: r.modelName, versionId: r.versionId, version: r.version, format: r.format, layerCount: r.layerCount },
    dataset: { id: r.datasetId, name: r.datasetName },
    target: r.target,
    targetLabel: targetLabel(r.target, r.classes),
    options: {
      rankBy,
      images: num(o.images),
      components: o.components ?? null,
      flavour: typeof o.flavour === 'string' ? o.flavour : null,
      seed: num(o.seed),
      permutations: num(o.permutations) ?? 0,
      crossFitRepeats: num(o.crossFitRepeats) ?? 0,
      ablation: o.ablation === true,
    },
    scoreField: scoreField(choice, rankBy),
    layers: r.layerNames ?? [],
    channels: r.channels ?? 0,
    createdAt: r.createdAt.toISOString(),
    finishedAt: r.finishedAt ? r.finishedAt.toISOString() : null,
  };
}

/** The lab's analyses with these ids, in the order asked; 404 when one is not the lab's. */
export async function loadAnalyses(labId: string, ids: string[], choice: ScoreChoice): Promise<AnalysisInfo[]> {
  return (await loadAnalysesWithViews(labId, ids, choice)).infos;
}

/** A constant of the code as an SQL literal (never a request's text). */
const literal = (text: string) => Prisma.raw(`'${text.replace(/'/g, "''")}'`);

/** keyOf(scoreField(choice, rankBy)) as SQL over `a` (Analysis), from the same tables as scoreField. */
function viewKeySql(choice: ScoreChoice, keyOf: (field: ScoreField) => string): Prisma.Sql {
  if (choice !== 'auto') return literal(keyOf(CHOICE_FIELD[choice]));
  const whens = Object.entries(AUTO_FIELD).map(([rankBy, field]) => Prisma.sql`WHEN ${literal(rankBy)} THEN ${literal(keyOf(field))}`);
  return Prisma.sql`(CASE a.options->>'rankBy' ${Prisma.join(whens, ' ')} ELSE ${literal(keyOf('score_crossfit'))} END)`;
}

/**
 * loadAnalyses, and with `keyOf`, in the same query, each completed analysis'
 * stored view row (AnalysisView) for its score field, keyed by `keyOf(field)`:
 * the body's text by analysis id, absent when none is stored (or the analysis
 * is not completed).
 */
export async function loadAnalysesWithViews(
  labId: string,
  ids: string[],
  choice: ScoreChoice,
  keyOf?: (field: ScoreField) => string,
): Promise<{ infos: AnalysisInfo[]; views: Map<string, string> }> {
  const unique = [...new Set(ids)];
  const where = Prisma.sql`WHERE a."labId" = ${labId} AND a.id IN (${Prisma.join(unique)})`;
  const rows = keyOf
    ? await db.$queryRaw<(MetaRow & { view: string | null; viewKey: string | null })[]>`
        SELECT ${META_COLUMNS}, v.body AS view, v.key AS "viewKey" ${META_FROM}
        LEFT JOIN "AnalysisView" v ON a.status = 'completed' AND v."analysisId" = a.id AND v.key = ${viewKeySql(choice, keyOf)}
        ${where}`
    : await db.$queryRaw<MetaRow[]>`${META_SELECT} ${where}`;
  const byId = new Map(rows.map((r) => [r.id, toInfo(r, choice)]));
  const views = new Map<string, string>();
  for (const r of rows as (MetaRow & { view?: string | null; viewKey?: string | null })[]) {
    // The key chosen in SQL must be the one of the info's score field (else the row is as good as missing).
    if (typeof r.view === 'string' && r.viewKey === keyOf?.(byId.get(r.id)!.scoreField)) views.set(r.id, r.view);
  }
  const infos = ids.map((id) => {
    const info = byId.get(id);
    if (!info) throw notFound('analysis not found');
    return info;
  });
  return { infos, views };
}

/** Completed analyses of the lab, newest first: what the pickers offer. */
export async function listCandidates(labId: string, limit = 200): Promise<AnalysisInfo[]> {
  const rows = await db.$queryRaw<MetaRow[]>`${META_SELECT}
    WHERE a."labId" = ${labId} AND a.status = 'completed' ORDER BY a."finishedAt" DESC NULLS LAST, a."createdAt" DESC LIMIT ${limit}`;
  return rows.map((r) => toInfo(r, 'auto'));
}

// ---------------------------------------------------------------- numbers

export { r6 } from '../analysis/architecture-part';
/** Activations and ablation drops have any magnitude: 6 significant digits. */
export const s6 = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toPrecision(6)));
/**
 * Rows whose array columns came as JSON text (array_to_json(array_agg(…))::text):
 * Postgres writes the arrays and JSON.parse reads them, twice less Node time
 * than Prisma decoding ~9,000 array elements itself.
 */
export function parseArrays<R extends Record<string, unknown>>(rows: Record<string, unknown>[], keys: string[]): R[] {
  return rows.map((r) => {
    const out: Record<string, unknown> = { ...r };
    for (const k of keys) out[k] = typeof r[k] === 'string' ? JSON.parse(r[k] as string) : (r[k] ?? []);
    return out as R;
  });
}

/** SQL NULL → NaN, so the ranking code puts unscored channels last. */
export const toFloat = (a: (number | null)[]) => Float64Array.from(a, (v) => (v === null ? NaN : v));

// ---------------------------------------------------------------- cache

/**
 * A view's JSON, encoded once; `cached` when it came from (or went into) the cache,
 * and then with `etag`, a strong validator of its bytes (they never change: every
 * analysis in it is completed, and the cache key names each one's finish time).
 */
export interface ViewBody {
  raw: Uint8Array;
  cached: boolean;
  etag?: string;
}

/** A view body that is JSON text already (spliced from stored parts): sent as it is, not stringified again. */
export class JsonText {
  constructor(readonly text: string) {}
}

const pending = new Map<string, Promise<ViewBody>>();
const cache = new Map<string, ViewBody>();
let cachedBytes = 0;
const cacheLimit = () => Number(process.env.PCACE_COMPARE_CACHE_MB ?? 64) * 2 ** 20;

/**
 * A view's JSON body. Before anything else one light indexed query checks that
 * every analysis is the lab's (404 otherwise) and reads status and finish time;
 * when all are completed the body comes from the cache, else `compute` runs
 * (full lookup, validation, the channel query) and its body is kept. With the
 * cache off `compute` runs at once: its lookup must 404 other labs' analyses.
 * Concurrent misses of one view share one computation. `view` must name every
 * parameter that changes the body.
 */
export async function cachedView(labId: string, ids: string[], view: string, compute: () => Promise<unknown>): Promise<ViewBody> {
  const run = async (cached: boolean): Promise<ViewBody> => {
    const body = await compute();
    const raw = new TextEncoder().encode(body instanceof JsonText ? body.text : JSON.stringify(body));
    return cached ? { raw, cached, etag: `"${createHash('sha256').update(raw).digest('base64url')}"` } : { raw, cached };
  };
  // No cache: compute's own lookup (loadAnalyses) is the lab check, no query ahead of it.
  if (cacheLimit() <= 0) return run(false);
  const unique = [...new Set(ids)];
  const stamps = await preparedQuery<{ id: string; status: string; finishedAt: Date | null }>(Prisma.sql`
    SELECT id, status::text AS status, "finishedAt" FROM "Analysis" WHERE "labId" = ${labId} AND id IN (${Prisma.join(unique)})`);
  if (stamps.length !== unique.length) throw notFound('analysis not found');
  if (stamps.some((a) => a.status !== 'completed')) return run(false);
  const byId = new Map(stamps.map((a) => [a.id, a]));
  const key = `${view}|${ids.map((id) => `${id}@${byId.get(id)!.finishedAt?.getTime()}`).join(',')}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Re-insert: Map order is the LRU order.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  let job = pending.get(key);
  if (!job) {
    job = run(true);
    pending.set(key, job);
    job
      .then((body) => {
        cache.set(key, body);
        cachedBytes += body.raw.byteLength;
        for (const [k, v] of cache) {
          if (cachedBytes <= cacheLimit()) break;
          cache.delete(k);
          cachedBytes -= v.raw.byteLength;
        }
      })
      .catch(() => {})
      .finally(() => pending.delete(key));
  }
  return job;
}

/** If-None-Match (a list of entity tags, or `*`) against `etag`, by the weak comparison RFC 9110 asks for there. */
export function noneMatch(header: string | null, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === opaque);
}

/**
 * The body as JSON. A cached body goes out as it is (no-transform): Next.js
 * would gzip the same ~120 KB again for every browser request, which halved
 * the throughput in bench/compare-load.ts, and it drops the Content-Encoding
 * of a body gzipped in advance. Computed bodies are compressed as usual.
 * A cached body carries its ETag, and a request that already holds it
 * (If-None-Match) gets 304 without the body; the access check ran before this
 * (withLab), so a 304 tells nobody more than a 200 would.
 */
export function jsonResponse(body: ViewBody, req: Request): Response {
  const headers: Record<string, string> = { 'cache-control': body.cached ? 'private, no-cache, no-transform' : 'private, no-cache' };
  if (body.etag) {
    headers.etag = body.etag;
    if (noneMatch(req.headers.get('if-none-match'), body.etag)) return new Response(null, { status: 304, headers });
  }
  return new Response(body.raw as BodyInit, { headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}

/** Common layers of several analyses, in the first one's order; the asked layer or the first common one. */
export function pickLayer(infos: AnalysisInfo[], layer: string | undefined): { layer: string; common: string[] } {
  const common = infos[0].layers.filter((l) => infos.every((a) => a.layers.includes(l)));
  if (common.length === 0) throw badRequest('the analyses have no layer in common with results');
  if (layer === undefined) return { layer: common[0], common };
  if (!common.includes(layer)) {
    throw badRequest(`layer '${layer}' is not in ${infos.length > 1 ? 'all of these analyses' : 'this analysis'}; available: ${common.join(', ')}`);
  }
  return { layer, common };
}
