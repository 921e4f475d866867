/**
 * Analysis results between their in-memory form (lib/analysis/types.ts) and
 * the LayerResult / ChannelResult rows. Columns hold what the pages sort and
 * filter on; the remaining statistics live in `extra`.
 */
import type { ChannelResult, LayerResult } from '../analysis/types';
import type { Prisma } from '../db/generated/client';

/** Channel fields with their own column; everything else goes to `extra`. */
const COLUMNS = {
  index: 'channel',
  rank: 'rank',
  score_pc1: 'scorePc1',
  score_multiple: 'scoreMultiple',
  rsq: 'rsq',
  score_crossfit: 'scoreCrossfit',
  p_value: 'pValue',
  z_score: 'zScore',
  rank_p05: 'rankP05',
  rank_p95: 'rankP95',
  components: 'components',
  explained_variance: 'explainedVariance',
  mean_activation: 'meanActivation',
  max_activation: 'maxActivation',
  weight_mean: 'weightMean',
  reverse: 'reverse',
  ablation_drop: 'ablationDrop',
  ablation_accuracy_drop: 'ablationAccuracyDrop',
  baseline_corrected: 'baselineCorrected',
  baseline_p: 'baselineP',
  flags: 'flags',
} as const satisfies Partial<Record<keyof ChannelResult, string>>;

type ColumnKey = keyof typeof COLUMNS;

/** JSON has no NaN/Infinity: non-finite numbers are stored as null. */
const finite = (v: number | undefined | null) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function channelToRow(c: ChannelResult, layerResultId: string): Prisma.ChannelResultCreateManyInput {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) {
    if (!(k in COLUMNS) && v !== undefined) extra[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
  }
  return {
    layerResultId,
    channel: c.index,
    rank: c.rank,
    scorePc1: finite(c.score_pc1) ?? 0,
    scoreMultiple: finite(c.score_multiple) ?? 0,
    rsq: finite(c.rsq) ?? 0,
    scoreCrossfit: finite(c.score_crossfit),
    pValue: finite(c.p_value),
    zScore: finite(c.z_score),
    rankP05: finite(c.rank_p05),
    rankP95: finite(c.rank_p95),
    components: c.components,
    explainedVariance: finite(c.explained_variance) ?? 0,
    meanActivation: finite(c.mean_activation) ?? 0,
    maxActivation: finite(c.max_activation) ?? 0,
    weightMean: finite(c.weight_mean),
    reverse: c.reverse ?? null,
    ablationDrop: finite(c.ablation_drop),
    ablationAccuracyDrop: finite(c.ablation_accuracy_drop),
    baselineCorrected: finite(c.baseline_corrected),
    baselineP: finite(c.baseline_p),
    flags: c.flags ?? [],
    extra: Object.keys(extra).length ? (extra as Prisma.InputJsonValue) : undefined,
  };
}

type ChannelRow = {
  channel: number;
  rank: number;
  scorePc1: number;
  scoreMultiple: number;
  rsq: number;
  scoreCrossfit: number | null;
  pValue: number | null;
  zScore: number | null;
  rankP05: number | null;
  rankP95: number | null;
  components: number;
  explainedVariance: number;
  meanActivation: number;
  maxActivation: number;
  weightMean: number | null;
  reverse: boolean | null;
  ablationDrop: number | null;
  ablationAccuracyDrop: number | null;
  baselineCorrected: number | null;
  baselineP: number | null;
  flags: string[];
  extra: unknown;
};

export function rowToChannel(r: ChannelRow): ChannelResult {
  const out: Record<string, unknown> = {};
  for (const [key, col] of Object.entries(COLUMNS) as [ColumnKey, keyof ChannelRow][]) {
    const v = r[col];
    if (v !== null && v !== undefined) out[key] = v;
  }
  if (r.extra && typeof r.extra === 'object') Object.assign(out, r.extra);
  return out as unknown as ChannelResult;
}

export function layerToRow(l: LayerResult, analysisId: string, index: number): Prisma.LayerResultUncheckedCreateInput {
  return {
    analysisId,
    name: l.name,
    index,
    shape: l.shape,
    kernel: l.kernel ?? undefined,
    seconds: l.seconds,
    warnings: l.warnings ?? [],
    rankStability: (l.rank_stability as unknown as Prisma.InputJsonValue) ?? undefined,
    extra: layerExtra(l),
    // Through JSON: non-finite numbers become null.
    sanity: l.sanity ? (JSON.parse(JSON.stringify(l.sanity)) as Prisma.InputJsonValue) : undefined,
  };
}

/** A stored layer's sanity block; layers analysed without sanity checks give undefined. */
export function layerSanity(sanity: unknown): LayerResult['sanity'] {
  return sanity && typeof sanity === 'object' ? (sanity as LayerResult['sanity']) : undefined;
}

/**
 * The layer's verdict record: the null its channels were tested against and
 * the rule (statistic, null, correction, α). Without them a layer's q-values
 * and beats_noise could not be read back as a claim.
 */
function layerExtra(l: LayerResult): Prisma.InputJsonValue | undefined {
  const extra: Record<string, unknown> = {};
  if (l.null) extra.null = Object.fromEntries(Object.entries(l.null).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? null : v]));
  if (l.verdict_rule) extra.verdict_rule = l.verdict_rule;
  // JSON has no NaN/Infinity: a curve point or interval that is not finite is stored as null.
  if (l.importance) extra.importance = JSON.parse(JSON.stringify(l.importance, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
  if (l.reliability) extra.reliability = { ...l.reliability, spearman: finite(l.reliability.spearman), ci: l.reliability.ci.map(finite) };
  return Object.keys(extra).length ? (extra as Prisma.InputJsonValue) : undefined;
}

/** A stored layer's `extra` back as LayerResult fields; layers stored before verdicts (or a retest) existed give {}. */
export function layerVerdictRecord(extra: unknown): Pick<LayerResult, 'null' | 'verdict_rule' | 'reliability'> {
  if (!extra || typeof extra !== 'object') return {};
  const e = extra as Record<string, unknown>;
  const out: Pick<LayerResult, 'null' | 'verdict_rule' | 'reliability'> = {};
  if (e.null && typeof e.null === 'object') out.null = e.null as LayerResult['null'];
  if (e.verdict_rule && typeof e.verdict_rule === 'object') out.verdict_rule = e.verdict_rule as LayerResult['verdict_rule'];
  if (e.reliability && typeof e.reliability === 'object') out.reliability = e.reliability as LayerResult['reliability'];
  return out;
}

/** A stored layer's importance block (curves, agreement), or {} for layers run without importance measures. */
export function layerImportanceRecord(extra: unknown): Pick<LayerResult, 'importance'> {
  if (!extra || typeof extra !== 'object') return {};
  const imp = (extra as Record<string, unknown>).importance;
  return imp && typeof imp === 'object' ? { importance: imp as LayerResult['importance'] } : {};
}

/**
 * Store one finished layer (layer row + its channels) in a transaction;
 * replaces an earlier result of the same layer (a retried task).
 */
export async function saveLayerResult(
  db: { $transaction: <T>(fn: (tx: Prisma.TransactionClient) => Promise<T>) => Promise<T> },
  analysisId: string,
  index: number,
  layer: LayerResult,
): Promise<string> {
  return db.$transaction(async (tx) => {
    await tx.layerResult.deleteMany({ where: { analysisId, name: layer.name } });
    return insertLayerRows(tx, analysisId, index, layer);
  });
}

/** A layer's rows inside the caller's transaction (the queue adds its lease check to it). */
export async function insertLayerRows(tx: Prisma.TransactionClient, analysisId: string, index: number, layer: LayerResult): Promise<string> {
  const row = await tx.layerResult.create({ data: layerToRow(layer, analysisId, index), select: { id: true } });
  await insertChannelRows(tx, row.id, layer.channels);
  return row.id;
}

/**
 * The channel rows of one layer as one statement over one JSON parameter:
 * the same rows as createMany of channelToRow, at a fraction of its CPU
 * (Prisma builds and maps every value of every row; bench/persist-layer.ts).
 * Numbers travel as JSON's shortest round-trip text, which float8 reads back
 * to the same double; ids as artifact rows make theirs (Prisma's cuid default
 * applies only to its own inserts).
 */
async function insertChannelRows(tx: Prisma.TransactionClient, layerResultId: string, channels: ChannelResult[]): Promise<void> {
  if (!channels.length) return;
  const rows = JSON.stringify(channels.map((c) => channelToRow(c, layerResultId)));
  await tx.$executeRaw`
    INSERT INTO "ChannelResult" (id, "layerResultId", channel, rank, score_pc1, score_multiple, rsq, score_crossfit, p_value, z_score,
      rank_p05, rank_p95, components, explained_variance, mean_activation, max_activation, weight_mean, reverse, ablation_drop,
      ablation_accuracy_drop, baseline_corrected, baseline_p, flags, extra)
    SELECT 'cr' || replace(gen_random_uuid()::text, '-', ''), r."layerResultId", r.channel, r.rank, r."scorePc1", r."scoreMultiple", r.rsq,
      r."scoreCrossfit", r."pValue", r."zScore", r."rankP05", r."rankP95", r.components, r."explainedVariance", r."meanActivation",
      r."maxActivation", r."weightMean", r.reverse, r."ablationDrop", r."ablationAccuracyDrop", r."baselineCorrected", r."baselineP",
      ARRAY(SELECT jsonb_array_elements_text(r.flags)), r.extra
    FROM jsonb_to_recordset(${rows}::jsonb) AS r("layerResultId" text, channel int, rank int, "scorePc1" float8, "scoreMultiple" float8,
      rsq float8, "scoreCrossfit" float8, "pValue" float8, "zScore" float8, "rankP05" float8, "rankP95" float8, components int,
      "explainedVariance" float8, "meanActivation" float8, "maxActivation" float8, "weightMean" float8, reverse boolean,
      "ablationDrop" float8, "ablationAccuracyDrop" float8, "baselineCorrected" float8, "baselineP" float8, flags jsonb, extra jsonb)`;
}
