/**
 * Compare-view parts of one analysis (AnalysisView rows). A completed
 * analysis never changes, so the transaction that completes it computes its
 * architectures part for every score field once; the first opening of a
 * comparison then reads two rows of JSON text instead of aggregating ~9,000
 * channel rows and computing boxes on the request (bench/compare-load.ts).
 * Analyses completed before the parts existed get theirs on first use
 * (storeViewParts from the portal), and running ones are computed live.
 */
import { Prisma, type PrismaClient } from '../db/generated/client';
import { architecturePart, SCORE_FIELDS, type PartLayerRow, type ScoreField } from '../analysis/architecture-part';
import type { VerdictRule } from '../pcace/verdicts';

type Db = PrismaClient | Prisma.TransactionClient;

/** The score column as SQL over `ch` (ChannelResult); names come from this fixed table only. */
export const SCORE_COLUMN: Record<ScoreField, Prisma.Sql> = {
  score_crossfit: Prisma.sql`ch.score_crossfit`,
  score_multiple: Prisma.sql`ch.score_multiple`,
  score_pc1: Prisma.sql`ch.score_pc1`,
  z_score: Prisma.sql`ch.z_score`,
};

/**
 * The part's format version is in its key: a part stored in an older format
 * (v1 had no per-channel verdicts) is not found, so it is stored anew on first use.
 */
export const architectureKey = (field: ScoreField) => `architecture-side:v2:${field}`;

/** A part as stored: its JSON text, and how many channels have the score (0 with layers: the analysis has no such score). */
export interface StoredPart {
  json: string;
  scored: number;
  layers: number;
}

/**
 * One analysis' layers in model order, channels sorted by the field's score
 * descending (NULLs last, then by channel), with verdict counts: one
 * aggregated row per layer (array_agg over the (layerResultId, channel) index).
 */
export async function partRows(db: Db, analysisId: string, field: ScoreField): Promise<PartLayerRow[]> {
  const raw = await db.$queryRaw<(Omit<PartLayerRow, 'ch' | 'sc' | 'bn' | 'rule'> & { ch: string; sc: string; bn: string; rule: string | null })[]>`
    WITH c AS (
      SELECT l."index" AS index, l.name, (l.extra->'verdict_rule')::text AS rule, ch.channel,
        ch.extra->>'beats_noise' AS verdict, ${SCORE_COLUMN[field]} AS s
      FROM "LayerResult" l
      JOIN "ChannelResult" ch ON ch."layerResultId" = l.id
      WHERE l."analysisId" = ${analysisId}
    )
    SELECT index, name, rule,
      array_to_json(array_agg(channel ORDER BY s DESC NULLS LAST, channel))::text AS ch,
      array_to_json(array_agg(s ORDER BY s DESC NULLS LAST, channel))::text AS sc,
      array_to_json(array_agg(CASE WHEN rule IS NULL OR verdict IS NULL THEN NULL ELSE verdict = 'true' END ORDER BY s DESC NULLS LAST, channel))::text AS bn,
      (count(*) FILTER (WHERE rule IS NOT NULL AND verdict IS NOT NULL))::int AS nv,
      (count(*) FILTER (WHERE rule IS NOT NULL AND verdict = 'true'))::int AS beats
    FROM c GROUP BY index, name, rule ORDER BY index`;
  // Arrays come as JSON text: Postgres writes them and JSON.parse reads them, twice less Node time than Prisma decoding.
  return raw.map((r) => ({
    ...r,
    ch: JSON.parse(r.ch) as number[],
    sc: JSON.parse(r.sc) as (number | null)[],
    bn: JSON.parse(r.bn) as (boolean | null)[],
    rule: r.rule === null ? null : (JSON.parse(r.rule) as VerdictRule | null),
  }));
}

/** The analysis' part for one score field, computed from its rows now. */
export async function computePart(db: Db, analysisId: string, field: ScoreField, layerCount: number): Promise<StoredPart> {
  const rows = await partRows(db, analysisId, field);
  const { part, scored } = architecturePart(rows, layerCount);
  return { json: JSON.stringify(part), scored, layers: rows.length };
}

/** The model's conv layer count (its stored layer list), which depth is relative to. */
async function layerCountOf(db: Db, analysisId: string): Promise<number> {
  const [row] = await db.$queryRaw<{ n: number }[]>`
    SELECT CASE WHEN jsonb_typeof(mv.layers) = 'array' THEN jsonb_array_length(mv.layers) ELSE 0 END AS n
    FROM "Analysis" a JOIN "ModelVersion" mv ON mv.id = a."modelVersionId" WHERE a.id = ${analysisId}`;
  return row?.n ?? 0;
}

/** Computes and stores every field's part of a completed analysis (again: a resumed analysis completes anew). */
export async function storeViewParts(db: Db, analysisId: string): Promise<void> {
  const layerCount = await layerCountOf(db, analysisId);
  for (const field of SCORE_FIELDS) {
    const p = await computePart(db, analysisId, field, layerCount);
    const body = `{"scored":${p.scored},"layers":${p.layers},"part":${p.json}}`;
    await db.$executeRaw`
      INSERT INTO "AnalysisView" ("analysisId", key, body) VALUES (${analysisId}, ${architectureKey(field)}, ${body})
      ON CONFLICT ("analysisId", key) DO UPDATE SET body = EXCLUDED.body, "createdAt" = now()`;
  }
}

/**
 * Stored parts of these analyses for one field each, by analysis id; an
 * analysis without its row is absent. The part's JSON is cut out of the row's
 * body as text, never parsed: the view splices it into its own body.
 */
export async function readParts(db: Db, wanted: { id: string; field: ScoreField }[]): Promise<Map<string, StoredPart>> {
  if (!wanted.length) return new Map();
  const rows = await db.$queryRaw<{ analysisId: string; body: string }[]>`
    SELECT "analysisId", body FROM "AnalysisView"
    WHERE ("analysisId", key) IN (${Prisma.join(wanted.map((w) => Prisma.sql`(${w.id}, ${architectureKey(w.field)})`))})`;
  const out = new Map<string, StoredPart>();
  for (const r of rows) out.set(r.analysisId, splitPart(r.body));
  return out;
}

/** `{"scored":S,"layers":L,"part":{…}}` → its numbers and the part's text. */
export function splitPart(body: string): StoredPart {
  const head = /^\{"scored":(\d+),"layers":(\d+),"part":/.exec(body);
  if (!head || !body.endsWith('}')) throw new Error('a stored compare-view part is malformed');
  return { scored: Number(head[1]), layers: Number(head[2]), json: body.slice(head[0].length, -1) };
}
