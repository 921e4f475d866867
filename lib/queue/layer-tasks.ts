/**
 * The work queue: one row per (analysis, layer) in "LayerTask", claimed in
 * groups of one analysis with FOR UPDATE SKIP LOCKED, each task under a lease
 * that the running worker renews. A worker that dies stops renewing, and once
 * the leases lapse any worker takes its unfinished tasks over; a layer's
 * results are written, as soon as the layer is scored, in the same transaction
 * that checks its lease is still ours, so a task completes exactly once.
 *
 * Why not graphile-worker or pg-boss: both keep a crashed worker's job locked
 * until a fixed timeout (graphile-worker: 4 hours; pg-boss: the job's expiry,
 * which must exceed the longest layer), and neither renews a lease while a long
 * task runs. Resuming a killed layer within seconds needs both.
 */
import { Prisma, type PrismaClient } from '../db/generated/client';
import { estimateAnalysisCost, type CostLayer } from '../analysis/cost';
import { withDefaults } from '../analysis/options';
import type { QueueConfig } from './config';
import { defaultMaxRunningTasks } from './config';
import { chooseGroup, groupSize, type PendingTask } from './task-groups';
import { ANALYSIS_TRANSITIONS, TASK_TRANSITIONS, exhaustTasks, failAnalysis, sqlStatus, sqlStatuses, targetOf } from './analysis-status';

export { notifyWorkers } from './analysis-status';

export interface ClaimedTask {
  id: string;
  analysisId: string;
  layerName: string;
  layerIndex: number;
  attempts: number;
}

/** Key of the transaction lock that serialises claims (any constant shared by all workers). */
export const CLAIM_LOCK = 0x70636163;

/** application_name of a worker's listening connection: pg_stat_activity counts the workers of a database by it. */
export const WORKER_APPLICATION_NAME = 'pcace-worker';

/**
 * Claims one runnable task (queued, or running with a lapsed lease), or null:
 * claimTasks taking a group of one.
 */
export async function claimTask(db: PrismaClient, workerId: string, cfg: QueueConfig, defaults = { maxRunningTasks: defaultMaxRunningTasks() }): Promise<ClaimedTask | null> {
  return (await claimTasks(db, workerId, cfg, { ...defaults, maxTasks: 1 }))[0] ?? null;
}

/**
 * Claims a group of runnable tasks (queued, or running with a lapsed lease) of
 * one analysis, in layer order; empty when there is none. The worker runs the
 * group as one run with one forward pass (a task run alone reruns the forward
 * pass up to its layer), and each task keeps its own lease.
 *
 * Which analysis: fair across labs. Among labs below their worker limit
 * (Lab.maxRunningTasks: how many workers may run the lab's tasks at once),
 * the lab with the fewest workers holding its tasks under a live lease goes
 * first, then the lab a worker served longest ago (round-robin: with one
 * worker, a lab's single analysis does not wait behind another lab's twenty),
 * then the oldest analysis and layer order within the lab.
 *
 * How many (task-groups.ts): the analysis' runnable tasks shared among the
 * free workers (workers counted in pg_stat_activity by their listening
 * connection's application_name, so workers on every machine count, less
 * those holding a live lease). The limit counts workers, not layers: it keeps
 * one lab from occupying every worker, and counting each layer of a group
 * would split a network into one forward pass per couple of layers. Which:
 * groups balanced by the estimated cost of their layers (lib/analysis/cost.ts).
 *
 * Claims run one at a time under a transaction-level advisory lock: every
 * claim then counts the workers the previous claims committed, so two
 * workers cannot both take a lab's last free slot. A claim is a few short
 * statements, so the lock costs milliseconds. SKIP LOCKED still passes over
 * rows a heartbeat or completion holds at that moment.
 */
export async function claimTasks(
  db: PrismaClient,
  workerId: string,
  cfg: QueueConfig,
  opts: { maxRunningTasks?: number; maxTasks?: number } = {},
): Promise<ClaimedTask[]> {
  const maxRunningTasks = opts.maxRunningTasks ?? defaultMaxRunningTasks();
  await failExhausted(db, cfg);
  return db.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${CLAIM_LOCK})`);
    const lapsed = Prisma.sql`t.status IN ${sqlStatuses(TASK_TRANSITIONS.takeOver.from)} AND t."lockedAt" < now() - make_interval(secs => ${cfg.leaseSeconds})`;
    const runnable = Prisma.sql`t.attempts < ${cfg.maxAttempts} AND (t.status IN ${sqlStatuses(TASK_TRANSITIONS.claim.from)} OR (${lapsed}))`;
    const [first] = await tx.$queryRaw<{ analysisId: string; labId: string }[]>`
      WITH live AS (
        SELECT a."labId", count(DISTINCT t."lockedBy")::int AS running
        FROM "LayerTask" t JOIN "Analysis" a ON a.id = t."analysisId"
        WHERE t.status = ${sqlStatus('running')} AND t."lockedAt" >= now() - make_interval(secs => ${cfg.leaseSeconds})
        GROUP BY a."labId")
      SELECT t."analysisId", a."labId"
      FROM "LayerTask" t
      JOIN "Analysis" a ON a.id = t."analysisId"
      JOIN "Lab" l ON l.id = a."labId"
      LEFT JOIN live ON live."labId" = a."labId"
      WHERE a.status IN ${sqlStatuses(ANALYSIS_TRANSITIONS.fail.from)} AND NOT a."cancelRequested" AND ${runnable}
        AND coalesce(live.running, 0) < coalesce(l."maxRunningTasks", ${maxRunningTasks})
      ORDER BY coalesce(live.running, 0), l."lastClaimAt" NULLS FIRST, a."createdAt", t."layerIndex"
      FOR UPDATE OF t SKIP LOCKED
      LIMIT 1`;
    if (!first) return [];
    const pending = await tx.$queryRaw<{ id: string; layerName: string; layerIndex: number }[]>`
      SELECT t.id, t."layerName", t."layerIndex" FROM "LayerTask" t
      WHERE t."analysisId" = ${first.analysisId} AND ${runnable}
      ORDER BY t."layerIndex"
      FOR UPDATE SKIP LOCKED`;
    const [workers] = await tx.$queryRaw<{ live: number; busy: number }[]>`
      SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE application_name = ${WORKER_APPLICATION_NAME} AND datname = current_database()) AS live,
             (SELECT count(DISTINCT "lockedBy")::int FROM "LayerTask"
              WHERE status = ${sqlStatus('running')} AND "lockedAt" >= now() - make_interval(secs => ${cfg.leaseSeconds}) AND "lockedBy" <> ${workerId}) AS busy`;
    const size = groupSize(pending.length, workers.live - workers.busy, opts.maxTasks);
    const chosen = size >= pending.length ? pending : chooseGroup(await withCosts(tx, first.analysisId, pending), size);
    const rows = await tx.$queryRaw<ClaimedTask[]>`
      UPDATE "LayerTask" SET status = ${sqlStatus(targetOf(TASK_TRANSITIONS.claim))}, "lockedBy" = ${workerId}, "lockedAt" = now(),
             attempts = attempts + 1, "startedAt" = NULL, "takenFrom" = NULL, "updatedAt" = now()
      WHERE id = ANY(${chosen.map((t) => t.id)}::text[])
      RETURNING id, "analysisId", "layerName", "layerIndex", attempts`;
    await tx.$executeRaw`UPDATE "Lab" SET "lastClaimAt" = clock_timestamp() WHERE id = ${first.labId}`;
    return rows.sort((a, b) => a.layerIndex - b.layerIndex);
  });
}

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** The tasks with their layers' estimated cost (a layer the model no longer lists costs as much as the dearest). */
export async function withCosts<T extends { id: string; layerName: string; layerIndex: number }>(tx: Tx, analysisId: string, pending: T[]): Promise<(T & PendingTask)[]> {
  const a = await tx.analysis.findUniqueOrThrow({ where: { id: analysisId }, select: { options: true, modelVersion: { select: { layers: true, inputShape: true, format: true } } } });
  const layers = a.modelVersion.layers as unknown as CostLayer[];
  const estimate = estimateAnalysisCost({
    model: { layers, inputShape: a.modelVersion.inputShape as number[], format: a.modelVersion.format },
    layers: 'all',
    options: withDefaults(a.options as never),
    threads: 1,
  });
  const cost = new Map(layers.map((l, i) => [l.name, estimate.layerSeconds[i]]));
  const dearest = Math.max(0, ...estimate.layerSeconds);
  return pending.map((t) => ({ ...t, cost: cost.get(t.layerName) ?? dearest }));
}

/**
 * Tasks whose workers died `maxAttempts` times fail, and so do their analyses:
 * a layer that kills its worker every time (out of memory, say) must not loop.
 */
async function failExhausted(db: PrismaClient, cfg: QueueConfig): Promise<void> {
  for (const d of await exhaustTasks(db, cfg)) await failAnalysis(db, d.analysisId, `layer ${d.layerName}: its worker stopped ${cfg.maxAttempts} times (crash or out of memory)`);
}

export interface Heartbeat {
  /** The tasks still ours: the others were taken over by another worker (our lease lapsed), taken (`taken`) or ended with their analysis. */
  ours: Set<string>;
  /** Tasks a free worker took from us before we started them (work-taking.ts): skipped, not lost. */
  taken: Set<string>;
  cancelRequested: boolean;
}

/** Renews the lease of a worker's running tasks (one analysis' group) and records each one's progress. */
export async function heartbeat(db: PrismaClient, workerId: string, tasks: { id: string; progress: number }[]): Promise<Heartbeat> {
  if (!tasks.length) return { ours: new Set(), taken: new Set(), cancelRequested: false };
  const rows = await db.$queryRaw<{ id: string; cancelRequested: boolean }[]>`
    UPDATE "LayerTask" t SET "lockedAt" = now(), progress = v.progress, "updatedAt" = now()
    FROM "Analysis" a, unnest(${tasks.map((t) => t.id)}::text[], ${tasks.map((t) => t.progress)}::float8[]) AS v(id, progress)
    WHERE t.id = v.id AND t."lockedBy" = ${workerId} AND t.status = ${sqlStatus('running')} AND a.id = t."analysisId"
    RETURNING t.id, a."cancelRequested"`;
  const ours = new Set(rows.map((r) => r.id));
  const missing = tasks.map((t) => t.id).filter((id) => !ours.has(id));
  const taken = missing.length ? await takenFrom(db, workerId, missing) : new Set<string>();
  return { ours, taken, cancelRequested: rows.some((r) => r.cancelRequested) };
}

/** Of `ids`, the tasks another worker holds because it took them from `workerId` (work-taking.ts). */
export async function takenFrom(db: PrismaClient | Tx, workerId: string, ids: string[]): Promise<Set<string>> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM "LayerTask" WHERE id = ANY(${ids}::text[]) AND "takenFrom" = ${workerId} AND "lockedBy" IS DISTINCT FROM ${workerId}`;
  return new Set(rows.map((r) => r.id));
}
