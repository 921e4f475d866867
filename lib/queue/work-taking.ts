/**
 * Work-taking between the workers of one analysis. Claims split an analysis'
 * layers into groups up front, balanced by estimated cost, but a layer's real
 * cost varies with the data (the adaptive cross-fit repeats), so one group
 * can end seconds before the other. A worker whose group has ended, and that
 * finds nothing to claim, takes unstarted layers of another running group of
 * the same analysis: about half of that group's remaining work, so both end
 * together, and only when that ends the analysis sooner by a clear margin
 * (the taker pays its own setup and forward pass).
 *
 * Ownership is per layer, in PostgreSQL: a holder marks a layer started
 * (markLayerStarted, conditionally on still holding it) before scoring it, and
 * a take moves only layers not started, conditionally on their holder. Both
 * are single-row conditional UPDATEs, so of a concurrent start and take
 * exactly one matches (the second re-reads the row the first committed). A
 * taken layer records whom it was taken from, so its former holder skips it
 * instead of giving up its group as if its lease had lapsed. A taken layer is
 * leased as any other: a taker that dies leaves it to lapse and be claimed again.
 */
import { Prisma, type PrismaClient } from '../db/generated/client';
import type { QueueConfig } from './config';
import { defaultMaxRunningTasks } from './config';
import { CLAIM_LOCK, takenFrom, withCosts, type ClaimedTask } from './layer-tasks';
import { chooseTake, type TakePlan } from './task-groups';
import { ANALYSIS_TRANSITIONS, TASK_TRANSITIONS, sqlStatus, sqlStatuses, targetOf, type Db } from './analysis-status';

/** What a worker measured in the group it just ran of the analysis: its pace, and its cost before the first layer. */
export interface GroupPace {
  /** The layers it stored. */
  layerNames: string[];
  /** Their own seconds (LayerResult.seconds: scoring and what follows it per layer). */
  layerSeconds: number;
  /** The run's seconds outside its layers: opening the model and images, the forward pass. */
  overheadSeconds: number;
}

/** A take gains at least this much, and at least half the taker's overhead (chooseTake's margin). */
export const MIN_TAKE_GAIN_SECONDS = 0.25;

/**
 * Before scoring a layer: marks it started if `workerId` still holds it.
 * 'taken' when a free worker took it first (skip it), 'lost' when it is no
 * longer ours otherwise (lease taken over, analysis ended).
 */
export async function markLayerStarted(db: Db, taskId: string, workerId: string): Promise<'ours' | 'taken' | 'lost'> {
  const n = await db.$executeRaw`
    UPDATE "LayerTask" SET "startedAt" = coalesce("startedAt", now()), "updatedAt" = now()
    WHERE id = ${taskId} AND "lockedBy" = ${workerId} AND status = ${sqlStatus('running')}`;
  if (n === 1) return 'ours';
  return (await takenFrom(db, workerId, [taskId])).has(taskId) ? 'taken' : 'lost';
}

interface HeldTask {
  id: string;
  layerName: string;
  layerIndex: number;
  lockedBy: string;
  started: boolean;
}

/**
 * Takes unstarted layers of another worker's running group of `analysisId`
 * for `workerId` (whose own group of it has ended, with `pace`); empty when
 * no take gains enough. Run only when the worker found nothing to claim, so
 * queued work of every lab goes first; and like a claim it respects the lab's
 * worker limit. Under the claims' lock, so takes and claims see each other's
 * leases.
 */
export async function takeTasks(
  db: PrismaClient,
  workerId: string,
  analysisId: string,
  cfg: QueueConfig,
  pace: GroupPace,
  opts: { maxRunningTasks?: number; log?: (line: string) => void } = {},
): Promise<ClaimedTask[]> {
  const maxRunningTasks = opts.maxRunningTasks ?? defaultMaxRunningTasks();
  return db.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${CLAIM_LOCK})`);
    const live = Prisma.sql`t.status = ${sqlStatus('running')} AND t."lockedAt" >= now() - make_interval(secs => ${cfg.leaseSeconds})`;
    const [open] = await tx.$queryRaw<{ ok: boolean }[]>`
      SELECT (a.status IN ${sqlStatuses(ANALYSIS_TRANSITIONS.fail.from)} AND NOT a."cancelRequested"
              AND (SELECT count(DISTINCT t."lockedBy") FROM "LayerTask" t JOIN "Analysis" b ON b.id = t."analysisId"
                   WHERE b."labId" = a."labId" AND ${live} AND t."lockedBy" <> ${workerId}) < coalesce(l."maxRunningTasks", ${maxRunningTasks})) AS ok
      FROM "Analysis" a JOIN "Lab" l ON l.id = a."labId" WHERE a.id = ${analysisId}`;
    if (!open?.ok) return [];
    const held = await tx.$queryRaw<HeldTask[]>`
      SELECT t.id, t."layerName", t."layerIndex", t."lockedBy", t."startedAt" IS NOT NULL AS started
      FROM "LayerTask" t WHERE t."analysisId" = ${analysisId} AND ${live} AND t."lockedBy" <> ${workerId}`;
    if (!held.length) return [];
    const priced = await withCosts(tx, analysisId, [...held, ...pace.layerNames.map((layerName) => ({ id: '', layerName, layerIndex: -1, lockedBy: '', started: false }))]);
    const paced = priced.filter((t) => t.id === '').reduce((s, t) => s + t.cost, 0);
    if (!(paced > 0) || !(pace.layerSeconds > 0)) return [];
    // Estimated costs in the taker's measured seconds: the estimate's ratios, the measured pace.
    const rate = pace.layerSeconds / paced;
    let best: { victim: string; plan: TakePlan } | null = null;
    let declined: { victim: string; remaining: number } | null = null;
    for (const victim of new Set(held.map((t) => t.lockedBy))) {
      const mine = priced.filter((t) => t.id !== '' && t.lockedBy === victim);
      const unstarted = mine.filter((t) => !t.started).map((t) => ({ ...t, cost: t.cost * rate }));
      // A started layer is somewhere in its scoring: half of it counted.
      const remaining = unstarted.reduce((s, t) => s + t.cost, 0) + mine.filter((t) => t.started).reduce((s, t) => s + (t.cost * rate) / 2, 0);
      const plan = chooseTake(unstarted, remaining, pace.overheadSeconds, Math.max(MIN_TAKE_GAIN_SECONDS, pace.overheadSeconds / 2));
      if (plan.take.length && (!best || plan.without - plan.with > best.plan.without - best.plan.with)) best = { victim, plan };
      if (!plan.take.length && unstarted.length && (!declined || remaining > declined.remaining)) declined = { victim, remaining };
    }
    if (!best) {
      if (declined) {
        opts.log?.(
          `took nothing of ${analysisId} from ${declined.victim}: its group's end expected in ${declined.remaining.toFixed(1)} s, ` +
            `too little beside ${pace.overheadSeconds.toFixed(1)} s before a first layer`,
        );
      }
      return [];
    }
    const rows = await tx.$queryRaw<ClaimedTask[]>`
      UPDATE "LayerTask" SET status = ${sqlStatus(targetOf(TASK_TRANSITIONS.take))}, "lockedBy" = ${workerId}, "lockedAt" = now(),
             "takenFrom" = ${best.victim}, progress = 0, "updatedAt" = now()
      WHERE id = ANY(${best.plan.take.map((t) => t.id)}::text[]) AND "lockedBy" = ${best.victim} AND "startedAt" IS NULL
        AND status IN ${sqlStatuses(TASK_TRANSITIONS.take.from)} AND "lockedAt" >= now() - make_interval(secs => ${cfg.leaseSeconds})
      RETURNING id, "analysisId", "layerName", "layerIndex", attempts`;
    if (rows.length) {
      opts.log?.(
        `took ${rows.map((r) => r.layerName).join(', ')} of ${analysisId} from ${best.victim}: its group's end expected in ` +
          `${best.plan.without.toFixed(1)} s, both ending in ${best.plan.with.toFixed(1)} s with the take (${pace.overheadSeconds.toFixed(1)} s before the first layer)`,
      );
    }
    return rows.sort((a, b) => a.layerIndex - b.layerIndex);
  });
}
