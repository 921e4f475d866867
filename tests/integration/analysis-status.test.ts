/**
 * The status table of lib/queue/analysis-status.ts on real PostgreSQL: every
 * event is tried from every status. What must happen is written out below by
 * hand (not derived from the table), and the table is checked against it:
 *   ok     — the change is made;
 *   raced  — a concurrent, legitimate change got there first: reported
 *            (false or LeaseLost), nothing changes;
 *   throws — a bug (cancelling a completed analysis, completing a cancelled
 *            one, completing a task twice): InvalidTransition, nothing changes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db';
import { mnistCnnLab, queueAnalysis } from '../helpers/lab-fixture';
import { db } from '../../lib/db/client';
import {
  ANALYSIS_TRANSITIONS, ARTIFACT_TRANSITIONS, TASK_TRANSITIONS, InvalidTransition, LeaseLost, cancelAnalysis, completeAnalysis, completeArtifact, completeTask,
  failAnalysis, failArtifact, failTask, nextStatus, releaseArtifact, releaseTask, requestCancel, resumeAnalysis, startAnalysis, type AnalysisStatus, type ArtifactStatus, type Transition,
} from '../../lib/queue/analysis-status';
import { claimTask } from '../../lib/queue/layer-tasks';
import { claimArtifact, requestArtifacts } from '../../lib/queue/artifact-tasks';

useTestDatabase();

const STATUSES: AnalysisStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled'];
const ARTIFACT_STATUSES: ArtifactStatus[] = ['queued', 'running', 'completed', 'failed'];
type Outcome = 'ok' | 'raced' | 'throws';
const row = (queued: Outcome, running: Outcome, completed: Outcome, failed: Outcome, cancelled?: Outcome) => ({ queued, running, completed, failed, ...(cancelled ? { cancelled } : {}) });

/** What each event must do from each status. */
const ANALYSIS_EXPECTED: Record<string, { outcomes: Record<string, Outcome>; to: Partial<Record<AnalysisStatus, AnalysisStatus>> }> = {
  start: { outcomes: row('ok', 'raced', 'throws', 'raced', 'raced'), to: { queued: 'running' } },
  complete: { outcomes: row('throws', 'ok', 'throws', 'throws', 'throws'), to: { running: 'completed' } },
  fail: { outcomes: row('ok', 'ok', 'throws', 'raced', 'raced'), to: { queued: 'failed', running: 'failed' } },
  cancel: { outcomes: row('ok', 'ok', 'throws', 'raced', 'raced'), to: { queued: 'cancelled', running: 'cancelled' } },
  requestCancel: { outcomes: row('ok', 'ok', 'throws', 'throws', 'throws'), to: { queued: 'cancelled', running: 'running' } },
  resume: { outcomes: row('throws', 'throws', 'throws', 'throws', 'ok'), to: { cancelled: 'queued' } },
};
/** Changes a lease holder makes to its own task / artifact. */
const TASK_EXPECTED: Record<string, { outcomes: Record<string, Outcome>; to: string }> = {
  complete: { outcomes: row('throws', 'ok', 'throws', 'raced', 'raced'), to: 'completed' },
  release: { outcomes: row('throws', 'ok', 'throws', 'raced', 'raced'), to: 'queued' },
  fail: { outcomes: row('throws', 'ok', 'throws', 'raced', 'raced'), to: 'failed' },
};
const ARTIFACT_EXPECTED: Record<string, { outcomes: Record<string, Outcome>; to: string }> = {
  complete: { outcomes: row('throws', 'ok', 'throws', 'raced'), to: 'completed' },
  release: { outcomes: row('throws', 'ok', 'throws', 'raced'), to: 'queued' },
  fail: { outcomes: row('throws', 'ok', 'throws', 'raced'), to: 'failed' },
};

function tableOutcome<S extends string>(t: Transition<S>, s: S): Outcome {
  if (nextStatus(t, s) !== null) return 'ok';
  return t.raced.includes(s) ? 'raced' : 'throws';
}

/** The holder changes of a table against their expected matrix. */
function expectHolderTable<S extends string>(table: Readonly<Record<string, Transition<S>>>, expected: typeof TASK_EXPECTED, statuses: S[]) {
  for (const [event, { outcomes, to }] of Object.entries(expected)) {
    for (const s of statuses) expect(tableOutcome(table[event], s), `${event} from ${s}`).toBe(outcomes[s]);
    expect(nextStatus(table[event], 'running' as S)).toBe(to);
  }
}

let labId = '';
let template: { modelVersionId: string; datasetId: string; createdById: string; target: object; options: object } = null as never;
const cfg = { leaseSeconds: 30, heartbeatSeconds: 5, maxAttempts: 3, pollSeconds: 1 };

beforeAll(async () => {
  const lab = await mnistCnnLab({ name: 'Status', email: 'status@example.org', password: 'status-password-1' });
  labId = lab.lab.id;
  const created = await db.analysis.findUniqueOrThrow({ where: { id: await queueAnalysis(lab, { layers: 'all', options: { images: 20 } }) } });
  template = { modelVersionId: created.modelVersionId, datasetId: created.datasetId, createdById: created.createdById!, target: created.target as object, options: created.options as object };
  // Only the rows a test makes itself.
  await db.analysis.deleteMany({});
});

/** An analysis in `status` with three tasks: completed, running (held by w1), queued. */
async function analysisIn(status: AnalysisStatus) {
  const a = await db.analysis.create({ data: { labId, ...template, title: `in ${status}`, layers: 'all', status } as never });
  await db.layerTask.createMany({
    data: [
      { analysisId: a.id, layerName: 'conv1', layerIndex: 0, status: 'completed' },
      { analysisId: a.id, layerName: 'conv2', layerIndex: 1, status: 'running', lockedBy: 'w1', lockedAt: new Date(), attempts: 1 },
      { analysisId: a.id, layerName: 'conv3', layerIndex: 2, status: 'queued' },
    ],
  });
  return a.id;
}

const analysisEvents: Record<string, (id: string) => Promise<unknown>> = {
  start: (id) => startAnalysis(db, id),
  complete: (id) => db.$transaction((tx) => completeAnalysis(tx, id, { progress: 1 })),
  fail: (id) => failAnalysis(db, id, 'a reason'),
  cancel: (id) => cancelAnalysis(db, id),
  requestCancel: (id) => requestCancel(db, id, labId),
  resume: (id) => resumeAnalysis(db, id, labId),
};

describe('analysis transitions', () => {
  it('the table says what the expected matrix says', () => {
    expect(Object.keys(ANALYSIS_TRANSITIONS).sort()).toEqual(Object.keys(ANALYSIS_EXPECTED).sort());
    for (const [event, t] of Object.entries(ANALYSIS_TRANSITIONS)) {
      for (const s of STATUSES) {
        expect(tableOutcome(t, s), `${event} from ${s}`).toBe(ANALYSIS_EXPECTED[event].outcomes[s]);
        if (nextStatus(t, s)) expect(nextStatus(t, s), `${event} from ${s}`).toBe(ANALYSIS_EXPECTED[event].to[s]);
      }
    }
  });

  for (const [event, { outcomes, to }] of Object.entries(ANALYSIS_EXPECTED)) {
    for (const from of STATUSES) {
      it(`${event} from ${from}: ${outcomes[from]}`, async () => {
        const id = await analysisIn(from);
        const tasksBefore = await taskStatuses(id);
        const call = analysisEvents[event](id);
        if (outcomes[from] === 'throws') {
          await expect(call).rejects.toBeInstanceOf(InvalidTransition);
        } else {
          const result = await call;
          if (outcomes[from] === 'raced') expect(result).toBe(false);
          else if (result !== undefined) expect(result).toBeTruthy();
        }
        const after = await db.analysis.findUniqueOrThrow({ where: { id } });
        expect(after.status).toBe(outcomes[from] === 'ok' ? to[from] : from);
        const tasksAfter = await taskStatuses(id);
        const ended = outcomes[from] === 'ok' && (to[from] === 'failed' || to[from] === 'cancelled');
        // Ending an analysis cancels its unfinished tasks and keeps its completed layers; nothing else touches tasks.
        expect(tasksAfter).toEqual(ended ? ['completed', 'cancelled', 'cancelled'] : tasksBefore);
        if (event === 'requestCancel' && outcomes[from] === 'ok') expect(after.cancelRequested).toBe(true);
        if (event === 'fail' && outcomes[from] === 'ok') expect(after.error).toBe('a reason');
      });
    }
  }

  it('cancelling a completed analysis and completing a cancelled one are refused, by name', async () => {
    const done = await analysisIn('completed');
    await expect(requestCancel(db, done, labId)).rejects.toThrow(`analysis is completed; only queued or running analyses can be cancelled`);
    await expect(cancelAnalysis(db, done)).rejects.toThrow(/is completed: 'cancel' applies only to an analysis that is queued or running/);
    const cancelled = await analysisIn('cancelled');
    await expect(db.$transaction((tx) => completeAnalysis(tx, cancelled, {}))).rejects.toThrow(/is cancelled: 'complete' applies only to an analysis that is running/);
  });

  it('resuming a cancelled analysis queues only its unfinished layers, with fresh attempts, and keeps the finished ones', async () => {
    const id = await analysisIn('running');
    await requestCancel(db, id, labId);
    expect(await cancelAnalysis(db, id)).toBe(true);
    expect(await taskStatuses(id)).toEqual(['completed', 'cancelled', 'cancelled']);
    const resumed = await resumeAnalysis(db, id, labId);
    expect(resumed?.requeued).toBe(2);
    const a = await db.analysis.findUniqueOrThrow({ where: { id } });
    expect([a.status, a.cancelRequested, a.finishedAt]).toEqual(['queued', false, null]);
    const tasks = await db.layerTask.findMany({ where: { analysisId: id }, orderBy: { layerIndex: 'asc' } });
    expect(tasks.map((t) => [t.status, t.attempts, t.lockedBy])).toEqual([
      ['completed', 0, null],
      ['queued', 0, null],
      ['queued', 0, null],
    ]);
    // A second resume finds it queued: refused by name; another lab's analysis is not found.
    await expect(resumeAnalysis(db, id, labId)).rejects.toThrow('analysis is queued; only a cancelled analysis can be resumed');
    expect(await resumeAnalysis(db, id, 'another-lab')).toBeNull();
  });

  it("another lab's analysis is not found by a cancel request", async () => {
    const id = await analysisIn('queued');
    expect(await requestCancel(db, id, 'another-lab')).toBeNull();
    expect((await db.analysis.findUniqueOrThrow({ where: { id } })).status).toBe('queued');
  });
});

/** A holder's change: made (true, or nothing for complete), a race (false, or LeaseLost for complete), or a bug. */
async function expectHolderOutcome(call: Promise<unknown>, outcome: Outcome, event: string) {
  if (outcome === 'throws') await expect(call).rejects.toBeInstanceOf(InvalidTransition);
  else if (outcome === 'raced' && event === 'complete') await expect(call).rejects.toBeInstanceOf(LeaseLost);
  else expect(await call).toBe(outcome === 'ok' ? (event === 'complete' ? undefined : true) : false);
}

async function taskStatuses(analysisId: string) {
  return (await db.layerTask.findMany({ where: { analysisId }, orderBy: { layerIndex: 'asc' } })).map((t) => t.status);
}

describe('layer task transitions', () => {
  it('the table says what the expected matrix says', () => expectHolderTable(TASK_TRANSITIONS, TASK_EXPECTED, STATUSES));

  const taskEvents: Record<string, (id: string, worker: string) => Promise<unknown>> = {
    complete: (id, w) => db.$transaction((tx) => completeTask(tx, id, w)),
    release: (id, w) => releaseTask(db, id, w, 'try again'),
    fail: (id, w) => failTask(db, id, w, 'broken'),
  };

  for (const [event, { outcomes, to }] of Object.entries(TASK_EXPECTED)) {
    for (const from of STATUSES) {
      it(`${event} by its holder from ${from}: ${outcomes[from]}`, async () => {
        const analysisId = await analysisIn('running');
        const task = await db.layerTask.findFirstOrThrow({ where: { analysisId, layerName: 'conv2' } });
        await db.layerTask.update({ where: { id: task.id }, data: { status: from } });
        await expectHolderOutcome(taskEvents[event](task.id, 'w1'), outcomes[from], event);
        expect((await db.layerTask.findUniqueOrThrow({ where: { id: task.id } })).status).toBe(outcomes[from] === 'ok' ? to : from);
      });
    }

    it(`${event} of a task another worker took over: a lost lease, nothing changes`, async () => {
      const analysisId = await analysisIn('running');
      const task = await db.layerTask.findFirstOrThrow({ where: { analysisId, layerName: 'conv2' } });
      await db.layerTask.update({ where: { id: task.id }, data: { lockedBy: 'w2' } });
      const call = taskEvents[event](task.id, 'w1');
      if (event === 'complete') await expect(call).rejects.toBeInstanceOf(LeaseLost);
      else expect(await call).toBe(false);
      expect(await db.layerTask.findUniqueOrThrow({ where: { id: task.id } })).toMatchObject({ status: 'running', lockedBy: 'w2' });
    });
  }

  it('claims take queued tasks and lapsed leases, never live leases or ended tasks; exhausted ones fail with their analysis', async () => {
    await db.analysis.deleteMany({});
    const id = await analysisIn('running');
    const [, running, queued] = await db.layerTask.findMany({ where: { analysisId: id }, orderBy: { layerIndex: 'asc' } });
    await db.layerTask.create({ data: { analysisId: id, layerName: 'conv4', layerIndex: 3, status: 'failed' } });
    await db.layerTask.create({ data: { analysisId: id, layerName: 'conv5', layerIndex: 4, status: 'cancelled' } });
    const first = await claimTask(db, 'w3', cfg, { maxRunningTasks: 10 });
    expect(first?.id).toBe(queued.id);
    expect(await claimTask(db, 'w3', cfg, { maxRunningTasks: 10 })).toBeNull();
    // The lease of w1 lapses: another worker takes the task over.
    await db.layerTask.update({ where: { id: running.id }, data: { lockedAt: new Date(Date.now() - 60_000) } });
    const takeover = await claimTask(db, 'w4', cfg, { maxRunningTasks: 10 });
    expect(takeover).toMatchObject({ id: running.id, attempts: 2 });
    expect(await db.layerTask.findUniqueOrThrow({ where: { id: running.id } })).toMatchObject({ status: 'running', lockedBy: 'w4' });
    // It lapses again after its last attempt: the task fails, and so does the analysis (its other tasks cancelled).
    await db.layerTask.update({ where: { id: running.id }, data: { lockedAt: new Date(Date.now() - 60_000), attempts: cfg.maxAttempts } });
    expect(await claimTask(db, 'w5', cfg, { maxRunningTasks: 10 })).toBeNull();
    expect(await db.layerTask.findUniqueOrThrow({ where: { id: running.id } })).toMatchObject({ status: 'failed', error: 'the worker running this layer stopped 3 times (crash or out of memory)' });
    expect(await db.analysis.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'failed', error: expect.stringMatching(/conv2: its worker stopped 3 times/) });
    expect(await taskStatuses(id)).toEqual(['completed', 'failed', 'cancelled', 'failed', 'cancelled']);
  });
});

describe('channel artifact transitions', () => {
  it('the table says what the expected matrix says', () => {
    expectHolderTable(ARTIFACT_TRANSITIONS, ARTIFACT_EXPECTED, ARTIFACT_STATUSES);
    for (const s of ARTIFACT_STATUSES) expect(tableOutcome(ARTIFACT_TRANSITIONS.request, s), `request from ${s}`).toBe(s === 'failed' ? 'ok' : 'raced');
  });

  let n = 0;
  async function artifactIn(status: ArtifactStatus, lockedBy = 'w1') {
    const analysisId = await analysisIn('completed');
    const key = { analysisId, layerName: 'conv1', channel: n++, kind: 'maps' as const, variant: '' };
    await requestArtifacts(db, [key]);
    const a = await db.channelArtifact.findFirstOrThrow({ where: { analysisId } });
    await db.channelArtifact.update({ where: { id: a.id }, data: { status, lockedBy, lockedAt: new Date() } });
    return { id: a.id, key };
  }
  const artifactEvents: Record<string, (id: string, worker: string) => Promise<unknown>> = {
    complete: (id, w) => completeArtifact(db, id, w, { resultPath: 'x', values: {}, seconds: 1 }),
    release: (id, w) => releaseArtifact(db, id, w, 'try again'),
    fail: (id, w) => failArtifact(db, id, w, 'broken'),
  };

  for (const [event, { outcomes, to }] of Object.entries(ARTIFACT_EXPECTED)) {
    for (const from of ARTIFACT_STATUSES) {
      it(`${event} by its holder from ${from}: ${outcomes[from]}`, async () => {
        const { id } = await artifactIn(from);
        await expectHolderOutcome(artifactEvents[event](id, 'w1'), outcomes[from], event);
        expect((await db.channelArtifact.findUniqueOrThrow({ where: { id } })).status).toBe(outcomes[from] === 'ok' ? to : from);
      });
    }
  }

  it('a request requeues only a failed artifact; a claim takes a queued one or a lapsed lease', async () => {
    for (const s of ARTIFACT_STATUSES) {
      const { id, key } = await artifactIn(s);
      expect(await requestArtifacts(db, [key])).toBe(s === 'failed' ? 1 : 0);
      expect((await db.channelArtifact.findUniqueOrThrow({ where: { id } })).status).toBe(s === 'failed' ? 'queued' : s);
    }
    await db.channelArtifact.deleteMany({});
    const live = await artifactIn('running', 'w2');
    expect(await claimArtifact(db, 'w3', cfg)).toBeNull();
    await db.channelArtifact.update({ where: { id: live.id }, data: { lockedAt: new Date(Date.now() - 60_000) } });
    expect(await claimArtifact(db, 'w3', cfg)).toMatchObject({ id: live.id });
    await artifactIn('completed');
    await artifactIn('failed');
    expect(await claimArtifact(db, 'w3', cfg)).toBeNull();
    // Its last attempt lapses too: it fails instead of looping.
    await db.channelArtifact.update({ where: { id: live.id }, data: { lockedAt: new Date(Date.now() - 60_000), attempts: cfg.maxAttempts } });
    expect(await claimArtifact(db, 'w4', cfg)).toBeNull();
    expect(await db.channelArtifact.findUniqueOrThrow({ where: { id: live.id } })).toMatchObject({
      status: 'failed',
      error: 'the worker computing this stopped 3 times (crash or out of memory)',
    });
  });
});
