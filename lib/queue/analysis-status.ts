/**
 * The one owner of status: every change of an Analysis', a LayerTask's or a
 * ChannelArtifact's status is made here, by a table of transitions and the
 * functions that apply them. Elsewhere status is only read.
 *
 * Every change is a guarded UPDATE (`WHERE status IN (from)`, and for leased
 * rows `AND "lockedBy" = <worker>`), so a change is atomic however many
 * workers run. When nothing matched, the row is read once more and judged:
 *   - a status in the transition's `raced` list, or a leased row now held by
 *     another worker, is a legitimate concurrent change (another worker took
 *     the lease over, a person cancelled, another layer failed the analysis
 *     first): the function reports it (false, or LeaseLost) and changes nothing;
 *   - any other status means the caller asked for something that cannot
 *     happen (cancelling a completed analysis, completing a cancelled one,
 *     completing a task twice): InvalidTransition is thrown.
 * Statuses only move forward out of completed and failed (they are final);
 * cancelled is final too except for a person's resume, made under the
 * analysis row's lock, so the second read cannot mistake a race for a bug.
 *
 * An analysis and its tasks change together in one transaction that updates
 * the analysis row first and its tasks second, the order persist.ts locks them
 * in: completing a layer and cancelling or failing its analysis serialise on
 * the analysis row, and the loser sees the winner's outcome.
 */
import { Prisma, type PrismaClient } from '../db/generated/client';
import { TASKS_CHANNEL } from './config';

export type AnalysisStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export type TaskStatus = AnalysisStatus;
export type ArtifactStatus = 'queued' | 'running' | 'completed' | 'failed';

/** Analyses, their layer tasks and artifacts start queued (the tasks and artifacts by their column default). */
export const CREATED_STATUS = 'queued' as const;

export interface Transition<S extends string> {
  /** Statuses the row may be in for the change to apply. */
  from: readonly S[];
  /** The status after it, per source status where they differ. */
  to: S | Readonly<Partial<Record<S, S>>>;
  /** Statuses a concurrent, legitimate change may have left: reported, not thrown. */
  raced: readonly S[];
}

/**
 * Analysis: queued → running → completed | failed | cancelled. A cancel
 * request cancels a queued analysis at once and flags a running one, which its
 * worker then cancels (`cancel`) when it sees the flag.
 */
export type AnalysisEvent = 'start' | 'complete' | 'fail' | 'cancel' | 'requestCancel' | 'resume';
export type TaskEvent = 'claim' | 'takeOver' | 'take' | 'complete' | 'release' | 'fail' | 'exhaust' | 'cancel' | 'resume';
export type ArtifactEvent = 'request' | 'claim' | 'takeOver' | 'complete' | 'release' | 'fail' | 'exhaust';

export const ANALYSIS_TRANSITIONS: Readonly<Record<AnalysisEvent, Transition<AnalysisStatus>>> = Object.freeze({
  /** A worker claimed its first task. Another worker may have started it, or it was cancelled or failed meanwhile. */
  start: { from: ['queued'], to: 'running', raced: ['running', 'failed', 'cancelled'] },
  /** Its last layer was written (persist.ts, under the analysis row lock: no race is possible). */
  complete: { from: ['running'], to: 'completed', raced: [] },
  /** A layer cannot be computed. Another layer may have failed it, or a person cancelled it, first. */
  fail: { from: ['queued', 'running'], to: 'failed', raced: ['failed', 'cancelled'] },
  /** A worker honours a cancel request. */
  cancel: { from: ['queued', 'running'], to: 'cancelled', raced: ['failed', 'cancelled'] },
  /** A person asks to stop it: a queued analysis is cancelled now, a running one flagged. */
  requestCancel: { from: ['queued', 'running'], to: { queued: 'cancelled', running: 'running' }, raced: [] },
  /**
   * A person resumes a cancelled analysis: queued again, its completed layers
   * kept and only its cancelled layer tasks queued. Under the analysis row's
   * lock (resumeAnalysis), so no worker can see it half-resumed.
   */
  resume: { from: ['cancelled'], to: 'queued', raced: [] },
});

/**
 * Layer task: queued → running → completed | failed | cancelled, back to
 * queued when released for another attempt, running → running when another
 * worker takes a lapsed lease over. complete/release/fail are made by the
 * lease holder; a task that was failed as exhausted or cancelled with its
 * analysis while it worked is a race, reported as a lost lease.
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskEvent, Transition<TaskStatus>>> = Object.freeze({
  claim: { from: ['queued'], to: 'running', raced: [] },
  takeOver: { from: ['running'], to: 'running', raced: [] },
  /**
   * A free worker takes a layer another worker holds under a live lease but has
   * not started (work-taking.ts): the holder then skips it. Conditional on the
   * holder and on "startedAt" being null, so a take and the holder's start
   * cannot both win.
   */
  take: { from: ['running'], to: 'running', raced: [] },
  complete: { from: ['running'], to: 'completed', raced: ['failed', 'cancelled'] },
  release: { from: ['running'], to: 'queued', raced: ['failed', 'cancelled'] },
  fail: { from: ['running'], to: 'failed', raced: ['failed', 'cancelled'] },
  /** A lapsed lease whose workers stopped maxAttempts times (a sweep: it changes what matches). */
  exhaust: { from: ['running'], to: 'failed', raced: [] },
  /** With its analysis (fail or cancel; a sweep over the analysis' unfinished tasks). */
  cancel: { from: ['queued', 'running'], to: 'cancelled', raced: [] },
  /** With its analysis when it is resumed: a cancelled layer is queued again, with fresh attempts. */
  resume: { from: ['cancelled'], to: 'queued', raced: [] },
});

/**
 * Channel artifact (and the analysis' network-wide curves, queued as one when
 * its last layer is stored): as a layer task, without cancel; a new request
 * retries a failed one.
 */
export const ARTIFACT_TRANSITIONS: Readonly<Record<ArtifactEvent, Transition<ArtifactStatus>>> = Object.freeze({
  /** A request of an existing artifact requeues only a failed one; the others are left as they are. */
  request: { from: ['failed'], to: 'queued', raced: ['queued', 'running', 'completed'] },
  claim: { from: ['queued'], to: 'running', raced: [] },
  takeOver: { from: ['running'], to: 'running', raced: [] },
  complete: { from: ['running'], to: 'completed', raced: ['failed'] },
  release: { from: ['running'], to: 'queued', raced: ['failed'] },
  fail: { from: ['running'], to: 'failed', raced: ['failed'] },
  exhaust: { from: ['running'], to: 'failed', raced: [] },
});

/** The status `current` moves to, or null when the transition does not apply to it. */
export function nextStatus<S extends string>(t: Transition<S>, current: S): S | null {
  if (!t.from.includes(current)) return null;
  return typeof t.to === 'string' ? t.to : (t.to[current] ?? null);
}

export class InvalidTransition extends Error {
  constructor(
    readonly entity: 'analysis' | 'task' | 'artifact',
    readonly id: string,
    readonly event: string,
    readonly status: string,
    message = `${entity} ${id} is ${status}: '${event}' applies only to ${entity === 'analysis' ? 'an analysis' : `a ${entity}`} that is ${fromOf(entity, event).join(' or ')}`,
  ) {
    super(message);
    this.name = 'InvalidTransition';
  }
}

function fromOf(entity: string, event: string): readonly string[] {
  const t = entity === 'analysis' ? ANALYSIS_TRANSITIONS : entity === 'task' ? TASK_TRANSITIONS : ARTIFACT_TRANSITIONS;
  return (t as Record<string, Transition<string>>)[event]?.from ?? [];
}

export class LeaseLost extends Error {
  constructor(taskId: string) {
    super(`task ${taskId} was taken over by another worker`);
    this.name = 'LeaseLost';
  }
}

/** A transaction's client, or (Db) either that or the client itself. */
export type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;
export type Db = PrismaClient | Tx;

/** `('a', 'b')` for a status list of the table (constants of this file, never input). */
export function sqlStatuses(list: readonly string[]): Prisma.Sql {
  return Prisma.raw(`(${list.map((s) => `'${s}'`).join(', ')})`);
}

/** A status of the table as an SQL literal. */
export function sqlStatus(status: string): Prisma.Sql {
  return Prisma.raw(`'${status}'`);
}

/** The status a transition with one target leads to. */
export const targetOf = <S extends string>(t: Transition<S>): S => {
  if (typeof t.to !== 'string') throw new Error('this transition has a target per source status');
  return t.to;
};

// ---------------------------------------------------------------- analyses

/** Judges an analysis change that matched nothing: false for a race, InvalidTransition otherwise, null when the row is gone. */
async function judgeAnalysis(db: Db, id: string, event: AnalysisEvent): Promise<false | null> {
  const row = await db.analysis.findUnique({ where: { id }, select: { status: true } });
  if (!row) return null;
  if ((ANALYSIS_TRANSITIONS[event].raced as readonly string[]).includes(row.status)) return false;
  throw new InvalidTransition('analysis', id, event, row.status);
}

/** queued → running, when a worker claims one of its tasks; false when another change came first. */
export async function startAnalysis(db: Db, id: string): Promise<boolean> {
  const t = ANALYSIS_TRANSITIONS.start;
  const { count } = await db.analysis.updateMany({ where: { id, status: { in: [...t.from] } }, data: { status: targetOf(t), startedAt: new Date() } });
  return count === 1 || ((await judgeAnalysis(db, id, 'start')) ?? false);
}

/** running → completed with the run's summary, inside the transaction that wrote its last layer. */
export async function completeAnalysis(tx: Tx, id: string, data: Omit<Prisma.AnalysisUpdateManyMutationInput, 'status'>): Promise<void> {
  const t = ANALYSIS_TRANSITIONS.complete;
  const { count } = await tx.analysis.updateMany({ where: { id, status: { in: [...t.from] } }, data: { ...data, status: targetOf(t), finishedAt: new Date() } });
  if (count !== 1) await judgeAnalysis(tx, id, 'complete');
}

/** Ends an analysis as failed or cancelled, with its unfinished tasks cancelled; completed layers stay. */
async function endAnalysis(db: PrismaClient, id: string, event: 'fail' | 'cancel', error: string | null): Promise<boolean> {
  const t = ANALYSIS_TRANSITIONS[event];
  return db.$transaction(async (tx) => {
    const { count } = await tx.analysis.updateMany({
      where: { id, status: { in: [...t.from] } },
      data: { status: targetOf(t), finishedAt: new Date(), etaSeconds: null, ...(error === null ? {} : { error: error.slice(0, 2000) }) },
    });
    if (count !== 1) return (await judgeAnalysis(tx, id, event)) ?? false;
    await cancelTasks(tx, id);
    return true;
  });
}

/** Fails the analysis with a reason (its unfinished tasks cancelled); false when it had already ended. */
export function failAnalysis(db: PrismaClient, id: string, reason: string): Promise<boolean> {
  return endAnalysis(db, id, 'fail', reason);
}

/** Honours a cancel request: the analysis and its unfinished tasks cancelled; false when it had already ended. */
export function cancelAnalysis(db: PrismaClient, id: string): Promise<boolean> {
  return endAnalysis(db, id, 'cancel', null);
}

/**
 * A person's cancel request: a queued analysis is cancelled at once (with its
 * tasks), a running one is flagged for its worker. Under the analysis row's
 * lock, so a worker starting or completing it meanwhile is seen. Null when the
 * lab has no such analysis; InvalidTransition when it has already ended.
 */
export async function requestCancel(db: PrismaClient, id: string, labId: string) {
  const t = ANALYSIS_TRANSITIONS.requestCancel;
  return db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<{ status: AnalysisStatus }[]>`
      SELECT status::text AS status FROM "Analysis" WHERE id = ${id} AND "labId" = ${labId} FOR UPDATE`;
    if (!row) return null;
    const to = nextStatus(t, row.status);
    if (to === null) throw new InvalidTransition('analysis', id, 'requestCancel', row.status, `analysis is ${row.status}; only queued or running analyses can be cancelled`);
    const ended = to !== row.status;
    const updated = await tx.analysis.update({
      where: { id },
      data: { cancelRequested: true, ...(ended ? { status: to, finishedAt: new Date(), etaSeconds: null } : {}) },
    });
    if (ended) await cancelTasks(tx, id);
    return updated;
  });
}

/**
 * A person resumes a cancelled analysis: it is queued again with its cancel
 * request cleared, its cancelled layer tasks queued with fresh attempts, and
 * its completed layers (tasks and results) kept, so workers compute only what
 * is missing. Null when the lab has no such analysis; InvalidTransition when
 * it is not cancelled. `admit` runs inside the transaction first (the lab's
 * queue limit).
 */
export async function resumeAnalysis(db: PrismaClient, id: string, labId: string, admit: (tx: Tx) => Promise<void> = async () => {}) {
  const t = ANALYSIS_TRANSITIONS.resume;
  const resumed = await db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<{ status: AnalysisStatus }[]>`
      SELECT status::text AS status FROM "Analysis" WHERE id = ${id} AND "labId" = ${labId} FOR UPDATE`;
    if (!row) return null;
    if (nextStatus(t, row.status) === null) throw new InvalidTransition('analysis', id, 'resume', row.status, `analysis is ${row.status}; only a cancelled analysis can be resumed`);
    await admit(tx);
    const tt = TASK_TRANSITIONS.resume;
    const requeued = await tx.$executeRaw`
      UPDATE "LayerTask" SET status = ${sqlStatus(targetOf(tt))}, attempts = 0, progress = 0, error = NULL, "lockedBy" = NULL, "lockedAt" = NULL, "updatedAt" = now()
      WHERE "analysisId" = ${id} AND status IN ${sqlStatuses(tt.from)}`;
    const updated = await tx.analysis.update({
      where: { id },
      data: { status: targetOf(t), cancelRequested: false, finishedAt: null, etaSeconds: null, error: null, currentLayer: null },
    });
    return { analysis: updated, requeued };
  });
  if (resumed) await notifyWorkers(db);
  return resumed;
}

// ---------------------------------------------------------------- layer tasks

async function cancelTasks(tx: Tx, analysisId: string): Promise<void> {
  const t = TASK_TRANSITIONS.cancel;
  await tx.$executeRaw`
    UPDATE "LayerTask" SET status = ${sqlStatus(targetOf(t))}, "updatedAt" = now()
    WHERE "analysisId" = ${analysisId} AND status IN ${sqlStatuses(t.from)}`;
}

/**
 * A change of a leased row by its holder. True when made; false when another
 * worker holds it now or a race in `raced` ended it; InvalidTransition when it
 * is still ours in a status the change does not apply to.
 */
async function holderChange(
  db: Db,
  entity: 'task' | 'artifact',
  event: string,
  t: Transition<string>,
  id: string,
  workerId: string,
  set: Prisma.Sql,
): Promise<boolean> {
  const tableName = Prisma.raw(entity === 'task' ? '"LayerTask"' : '"ChannelArtifact"');
  const n = await db.$executeRaw`
    UPDATE ${tableName} SET status = ${sqlStatus(targetOf(t))}, ${set}, "updatedAt" = now()
    WHERE id = ${id} AND "lockedBy" = ${workerId} AND status IN ${sqlStatuses(t.from)}`;
  if (n === 1) return true;
  const [row] = await db.$queryRaw<{ status: string; lockedBy: string | null }[]>`
    SELECT status::text AS status, "lockedBy" FROM ${tableName} WHERE id = ${id}`;
  // Gone (its analysis was deleted), taken over, or ended by a concurrent change.
  if (!row || row.lockedBy !== workerId || t.raced.includes(row.status)) return false;
  throw new InvalidTransition(entity, id, event, row.status);
}

/** running → completed inside `tx`; throws LeaseLost (rolling back `tx`) if it is no longer ours. */
export async function completeTask(tx: Tx, taskId: string, workerId: string): Promise<void> {
  if (!(await holderChange(tx, 'task', 'complete', TASK_TRANSITIONS.complete, taskId, workerId, Prisma.sql`progress = 1, error = NULL`))) throw new LeaseLost(taskId);
}

/** running → queued for another attempt (idle workers are woken); false when the task is no longer ours. */
export function releaseTask(db: Db, taskId: string, workerId: string, error: string): Promise<boolean> {
  return release(db, 'task', taskId, workerId, error);
}

/** A task or artifact given back by its holder, with the error; idle workers are woken to retry it. */
async function release(db: Db, entity: 'task' | 'artifact', id: string, workerId: string, error: string): Promise<boolean> {
  const t = (entity === 'task' ? TASK_TRANSITIONS : ARTIFACT_TRANSITIONS).release;
  const released = await holderChange(db, entity, 'release', t, id, workerId, Prisma.sql`"lockedBy" = NULL, "lockedAt" = NULL, error = ${error.slice(0, 2000)}`);
  await notifyWorkers(db);
  return released;
}

/** A task or artifact failed by its holder with its error. */
function failHeld(db: Db, entity: 'task' | 'artifact', id: string, workerId: string, error: string): Promise<boolean> {
  const t = (entity === 'task' ? TASK_TRANSITIONS : ARTIFACT_TRANSITIONS).fail;
  return holderChange(db, entity, 'fail', t, id, workerId, Prisma.sql`error = ${error.slice(0, 2000)}`);
}

/** running → failed with its error (the analysis is failed separately); false when the task is no longer ours. */
export function failTask(db: Db, taskId: string, workerId: string, error: string): Promise<boolean> {
  return failHeld(db, 'task', taskId, workerId, error);
}

/**
 * Fails the leased rows whose lapsed lease has run out of attempts (their
 * workers died each time: out of memory, say), so they do not loop; returns them.
 */
function exhaust(db: Db, entity: 'task' | 'artifact', cfg: { maxAttempts: number; leaseSeconds: number }) {
  const t = (entity === 'task' ? TASK_TRANSITIONS : ARTIFACT_TRANSITIONS).exhaust;
  const tableName = Prisma.raw(entity === 'task' ? '"LayerTask"' : '"ChannelArtifact"');
  const doing = entity === 'task' ? 'running this layer' : 'computing this';
  const kind = Prisma.raw(entity === 'task' ? 'NULL' : 'kind::text');
  return db.$queryRaw<{ analysisId: string; layerName: string; kind: string | null; error: string }[]>`
    UPDATE ${tableName} SET status = ${sqlStatus(targetOf(t))}, "updatedAt" = now(),
           error = 'the worker ' || ${doing} || ' stopped ' || attempts || ' times (crash or out of memory)'
    WHERE status IN ${sqlStatuses(t.from)} AND attempts >= ${cfg.maxAttempts}
      AND "lockedAt" < now() - make_interval(secs => ${cfg.leaseSeconds})
    RETURNING "analysisId", "layerName", ${kind} AS kind, error`;
}

/** Exhausted layer tasks fail; returned so their analyses can be failed. */
export const exhaustTasks = (db: Db, cfg: { maxAttempts: number; leaseSeconds: number }) => exhaust(db, 'task', cfg);

// ---------------------------------------------------------------- channel artifacts

/** Records the result; throws LeaseLost if the artifact is no longer ours (the caller removes its files). */
export async function completeArtifact(db: Db, id: string, workerId: string, result: { resultPath: string | null; values: unknown; seconds: number }): Promise<void> {
  const set = Prisma.sql`progress = 1, error = NULL, "resultPath" = ${result.resultPath}, "values" = ${JSON.stringify(result.values)}::jsonb, seconds = ${result.seconds}`;
  if (!(await holderChange(db, 'artifact', 'complete', ARTIFACT_TRANSITIONS.complete, id, workerId, set))) throw new LeaseLost(id);
}

/** Gives the artifact back to the queue after an error another attempt may not repeat; false when it is no longer ours. */
export function releaseArtifact(db: Db, id: string, workerId: string, error: string): Promise<boolean> {
  return release(db, 'artifact', id, workerId, error);
}

/** running → failed with its error; false when the artifact is no longer ours. */
export function failArtifact(db: Db, id: string, workerId: string, error: string): Promise<boolean> {
  return failHeld(db, 'artifact', id, workerId, error);
}

/** Artifacts whose workers died maxAttempts times fail with that reason instead of looping; returned (with their kind and reason). */
export function exhaustArtifacts(db: Db, cfg: { maxAttempts: number; leaseSeconds: number }) {
  return exhaust(db, 'artifact', cfg);
}

/** Wakes idle workers (they LISTEN on this channel): work was queued or given back. */
export async function notifyWorkers(db: Db): Promise<void> {
  await db.$executeRawUnsafe(`NOTIFY ${TASKS_CHANNEL}`);
}
