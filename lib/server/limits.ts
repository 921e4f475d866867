/**
 * Per-lab limits: workers running the lab's tasks at once (enforced by the
 * queue's claim; the column keeps its first name, maxRunningTasks), queued
 * analyses and estimated CPU-hours per analysis (refused at creation), and
 * storage (refused before an upload is stored). A lab's own value overrides
 * the operator's default from the environment; owners change their lab's.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { CostEstimate } from '../analysis/cost';
import { DEFAULT_MAX_RUNNING_TASKS } from '../queue/config';
import { db, type Prisma } from '../db/client';
import { ApiError, badRequest, parseWith } from './errors';
import type { LabContext } from './access';

export interface LabLimits {
  /** Workers that run the lab's layer tasks at once (each runs a group of layers in one pass). */
  maxRunningTasks: number;
  /** Analyses queued or running at once. */
  maxQueuedAnalyses: number;
  /** Estimated CPU-hours (lib/analysis/cost.ts) of one analysis. */
  maxCpuHoursPerAnalysis: number;
  /** Uploaded models and datasets, MB. */
  storageQuotaMb: number;
}

export type LimitName = keyof LabLimits;

/** Names, environment variables and defaults of the limits, in display order. */
export const LIMITS: { name: LimitName; env: string; fallback: number; label: string; unit: string; integer: boolean; max: number }[] = [
  { name: 'maxRunningTasks', env: 'PCACE_LAB_MAX_RUNNING_TASKS', fallback: DEFAULT_MAX_RUNNING_TASKS, label: 'Workers at once', unit: 'workers', integer: true, max: 1000 },
  { name: 'maxQueuedAnalyses', env: 'PCACE_LAB_MAX_QUEUED_ANALYSES', fallback: 20, label: 'Queued or running analyses', unit: 'analyses', integer: true, max: 100_000 },
  { name: 'maxCpuHoursPerAnalysis', env: 'PCACE_LAB_MAX_CPU_HOURS', fallback: 8, label: 'Estimated CPU-hours per analysis', unit: 'CPU-hours', integer: false, max: 1_000_000 },
  { name: 'storageQuotaMb', env: 'PCACE_LAB_STORAGE_MB', fallback: 5120, label: 'Storage (models and datasets)', unit: 'MB', integer: true, max: 100_000_000 },
];

/** The operator's defaults: PCACE_LAB_* variables, read on each use. */
export function defaultLabLimits(env: NodeJS.ProcessEnv = process.env): LabLimits {
  const out = {} as LabLimits;
  for (const l of LIMITS) {
    const raw = Number(env[l.env]);
    // Whole numbers where the queue counts (as lib/queue/config.ts reads the worker-limit default).
    const v = l.integer ? Math.floor(raw) : raw;
    out[l.name] = env[l.env] !== undefined && Number.isFinite(v) && v > 0 ? v : l.fallback;
  }
  return out;
}

type LimitColumns = { [K in LimitName]: number | null };

export function effectiveLimits(row: LimitColumns): LabLimits {
  const defaults = defaultLabLimits();
  const out = {} as LabLimits;
  for (const l of LIMITS) out[l.name] = row[l.name] ?? defaults[l.name];
  return out;
}

const limitSelect = { maxRunningTasks: true, maxQueuedAnalyses: true, maxCpuHoursPerAnalysis: true, storageQuotaMb: true } as const;

export async function labLimits(labId: string): Promise<LabLimits> {
  return effectiveLimits(await db.lab.findUniqueOrThrow({ where: { id: labId }, select: limitSelect }));
}

/** Bytes of the lab's uploads as registered (each version and dataset counts, as the lab uploaded it). */
export async function labStorageBytes(labId: string): Promise<number> {
  const [models, datasets] = await Promise.all([
    db.modelVersion.aggregate({ where: { model: { labId } }, _sum: { sizeBytes: true } }),
    db.dataset.aggregate({ where: { labId }, _sum: { sizeBytes: true } }),
  ]);
  return Number(models._sum.sizeBytes ?? 0n) + Number(datasets._sum.sizeBytes ?? 0n);
}

/** Limits (own value or default) and what the lab uses now: the API's and the settings page's view. */
export async function labLimitsView(labId: string) {
  const row = await db.lab.findUniqueOrThrow({ where: { id: labId }, select: { slug: true, ...limitSelect } });
  const [runningWorkers, queuedAnalyses, storageBytes] = await Promise.all([
    // Workers now holding the lab's tasks (a worker's group of layers counts once, as in the claim).
    db.layerTask.findMany({ where: { status: 'running', analysis: { labId } }, distinct: ['lockedBy'], select: { lockedBy: true } }).then((rows) => rows.length),
    db.analysis.count({ where: { labId, status: { in: ['queued', 'running'] } } }),
    labStorageBytes(labId),
  ]);
  const defaults = defaultLabLimits();
  return {
    limits: effectiveLimits(row),
    /** The lab's own values; null where the default applies. */
    overrides: Object.fromEntries(LIMITS.map((l) => [l.name, row[l.name]])) as LimitColumns,
    defaults,
    usage: { runningWorkers, queuedAnalyses, storageMb: Math.round((storageBytes / 2 ** 20) * 10) / 10 },
  };
}

const limitValue = (l: (typeof LIMITS)[number]) => {
  const base = l.integer ? z.number().int('must be a whole number') : z.number();
  return base.positive('must be positive').max(l.max, `must be at most ${l.max.toLocaleString('en-US')}`).nullable().optional();
};

export const limitsUpdateSchema = z
  .object(Object.fromEntries(LIMITS.map((l) => [l.name, limitValue(l)])) as Record<LimitName, ReturnType<typeof limitValue>>)
  .strict();

/** Owner only (the route asks withLab for 'owner'). null resets a limit to the default. */
export async function updateLabLimits(ctx: LabContext, body: unknown) {
  const input = parseWith(limitsUpdateSchema, body, 'limits');
  const data: Prisma.LabUpdateInput = {};
  for (const l of LIMITS) if (input[l.name] !== undefined) (data as Record<string, unknown>)[l.name] = input[l.name];
  if (Object.keys(data).length === 0) throw badRequest(`invalid limits: send at least one of ${LIMITS.map((l) => l.name).join(', ')} (a number, or null for the default)`);
  await db.lab.update({ where: { id: ctx.lab.id }, data });
  return labLimitsView(ctx.lab.id);
}

const howToChange = (slug: string, name: LimitName) =>
  `a lab owner can raise it under Members → Limits (/labs/${slug}/members) or with PATCH /api/v1/labs/${slug} {"${name}": …}`;

/** Statistics threads a worker uses: PCACE_WORKER_THREADS, else every core (as workers/main.ts). */
export function workerThreads(): number {
  const v = Number(process.env.PCACE_WORKER_THREADS);
  return Number.isFinite(v) && v >= 1 ? Math.floor(v) : availableParallelism();
}

/** Refusal text when the estimate is past the lab's CPU-hours limit, else null. */
export function cpuLimitRefusal(slug: string, estimate: CostEstimate, limits: LabLimits): string | null {
  if (estimate.cpuHours <= limits.maxCpuHoursPerAnalysis) return null;
  const hours = estimate.cpuHours >= 100 ? Math.round(estimate.cpuHours).toLocaleString('en-US') : estimate.cpuHours.toFixed(1);
  return (
    `this analysis is estimated at ${hours} CPU-hours (${estimate.summary}), above this lab's limit of ` +
    `${limits.maxCpuHoursPerAnalysis} CPU-hours per analysis (maxCpuHoursPerAnalysis). ` +
    `${estimate.advice ? `Most of it comes from ${estimate.advice}: lower those, use` : 'Use'} fewer images or layers, or ${howToChange(slug, 'maxCpuHoursPerAnalysis')}`
  );
}

type Tx = Prisma.TransactionClient;

/**
 * Inside the creating transaction: locks the lab row, so concurrent requests
 * count one after the other and the limit holds exactly, then refuses (429)
 * when the lab already has its maximum of queued or running analyses.
 */
export async function admitAnalysis(tx: Tx, lab: { id: string; slug: string }, limits: LabLimits): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Lab" WHERE id = ${lab.id} FOR UPDATE`;
  const active = await tx.analysis.count({ where: { labId: lab.id, status: { in: ['queued', 'running'] } } });
  if (active >= limits.maxQueuedAnalyses) {
    throw new ApiError(
      429,
      `lab '${lab.slug}' has ${active} analyses queued or running, its limit (maxQueuedAnalyses = ${limits.maxQueuedAnalyses}); ` +
        `wait for some to finish or cancel some, or ${howToChange(lab.slug, 'maxQueuedAnalyses')}`,
    );
  }
}

/**
 * Refuses (413) an upload of `bytes` that would take the lab past its storage
 * quota. Call it before anything is written to storage, so a refusal leaves no file.
 */
export async function checkStorageQuota(labId: string, bytes: number): Promise<void> {
  const row = await db.lab.findUniqueOrThrow({ where: { id: labId }, select: { slug: true, ...limitSelect } });
  const quota = effectiveLimits(row).storageQuotaMb;
  const used = await labStorageBytes(labId);
  if (used + bytes > quota * 2 ** 20) {
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
    throw new ApiError(
      413,
      `this upload (${mb(bytes)}) would take lab '${row.slug}' to ${mb(used + bytes)}, past its storage quota of ${quota} MB (storageQuotaMb; ${mb(used)} used); ` +
        `delete old models or datasets, or ${howToChange(row.slug, 'storageQuotaMb')}`,
    );
  }
}
