/**
 * The work queue: one row per (analysis, layer) in "LayerTask", claimed with
 * FOR UPDATE SKIP LOCKED under a lease that the running worker renews. A worker
 * that dies stops renewing, and once the lease lapses any worker takes the task
 * over; a layer's results are written in the same transaction that checks the
 * lease is still ours, so a task completes exactly once.
 *
 * Why not graphile-worker or pg-boss: both keep a crashed worker's job locked
 * until a fixed timeout (graphile-worker: 4 hours; pg-boss: the job's expiry,
 * which must exceed the longest layer), and neither renews a lease while a long
 * task runs. Resuming a killed layer within seconds needs both.
 */
import type { PrismaClient } from '../db/generated/client';
import type { QueueConfig } from './config';
import { defaultMaxRunningTasks } from './config';
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
const CLAIM_LOCK = 0x70636163;

/**
 * Claims a runnable task (queued, or running with a lapsed lease), or null.
 * Fair across labs: among labs below their running-task limit, the lab with
 * the fewest tasks running under a live lease goes first, then the lab a
 * worker served longest ago (round-robin: with one worker, a lab's single
 * analysis does not wait behind another lab's twenty), then the oldest
 * analysis and layer order within the lab.
 *
 * Claims run one at a time under a transaction-level advisory lock: every
 * claim then counts the running tasks the previous claims committed, so two
 * workers cannot both take a lab's last free slot. A claim is one short
 * statement, so the lock costs milliseconds. SKIP LOCKED still passes over
 * rows a heartbeat or completion holds at that moment.
 */
export async function claimTask(db: PrismaClient, workerId: string, cfg: QueueConfig, defaults = { maxRunningTasks: defaultMaxRunningTasks() }): Promise<ClaimedTask | null> {
  await failExhausted(db, cfg);
  return db.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${CLAIM_LOCK})`);
    const rows = await tx.$queryRaw<(ClaimedTask & { labId: string })[]>`
      WITH live AS (
        SELECT a."labId", count(*)::int AS running
        FROM "LayerTask" t JOIN "Analysis" a ON a.id = t."analysisId"
        WHERE t.status = ${sqlStatus('running')} AND t."lockedAt" >= now() - make_interval(secs => ${cfg.leaseSeconds})
        GROUP BY a."labId"),
      picked AS (
        SELECT t.id, a."labId" FROM "LayerTask" t
        JOIN "Analysis" a ON a.id = t."analysisId"
        JOIN "Lab" l ON l.id = a."labId"
        LEFT JOIN live ON live."labId" = a."labId"
        WHERE a.status IN ${sqlStatuses(ANALYSIS_TRANSITIONS.fail.from)} AND NOT a."cancelRequested"
          AND t.attempts < ${cfg.maxAttempts}
          AND (t.status IN ${sqlStatuses(TASK_TRANSITIONS.claim.from)}
               OR (t.status IN ${sqlStatuses(TASK_TRANSITIONS.takeOver.from)} AND t."lockedAt" < now() - make_interval(secs => ${cfg.leaseSeconds})))
          AND coalesce(live.running, 0) < coalesce(l."maxRunningTasks", ${defaults.maxRunningTasks})
        ORDER BY coalesce(live.running, 0), l."lastClaimAt" NULLS FIRST, a."createdAt", t."layerIndex"
        FOR UPDATE OF t SKIP LOCKED
        LIMIT 1)
      UPDATE "LayerTask" u SET status = ${sqlStatus(targetOf(TASK_TRANSITIONS.claim))}, "lockedBy" = ${workerId}, "lockedAt" = now(),
             attempts = u.attempts + 1, "updatedAt" = now()
      FROM picked WHERE u.id = picked.id
      RETURNING u.id, u."analysisId", u."layerName", u."layerIndex", u.attempts, picked."labId"`;
    const row = rows[0];
    if (!row) return null;
    await tx.$executeRaw`UPDATE "Lab" SET "lastClaimAt" = clock_timestamp() WHERE id = ${row.labId}`;
    const { labId: _lab, ...task } = row;
    return task;
  });
}

/**
 * Tasks whose workers died `maxAttempts` times fail, and so do their analyses:
 * a layer that kills its worker every time (out of memory, say) must not loop.
 */
async function failExhausted(db: PrismaClient, cfg: QueueConfig): Promise<void> {
  for (const d of await exhaustTasks(db, cfg)) await failAnalysis(db, d.analysisId, `layer ${d.layerName}: its worker stopped ${cfg.maxAttempts} times (crash or out of memory)`);
}

export interface Heartbeat {
  /** False when another worker has taken the task over (our lease lapsed). */
  stillOurs: boolean;
  cancelRequested: boolean;
}

export async function heartbeat(db: PrismaClient, taskId: string, workerId: string, progress: number): Promise<Heartbeat> {
  const rows = await db.$queryRaw<{ cancelRequested: boolean }[]>`
    UPDATE "LayerTask" t SET "lockedAt" = now(), progress = ${progress}, "updatedAt" = now()
    FROM "Analysis" a
    WHERE t.id = ${taskId} AND t."lockedBy" = ${workerId} AND t.status = ${sqlStatus('running')} AND a.id = t."analysisId"
    RETURNING a."cancelRequested"`;
  return rows.length ? { stillOurs: true, cancelRequested: rows[0].cancelRequested } : { stillOurs: false, cancelRequested: false };
}
