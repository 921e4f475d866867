/**
 * Security finding 4, fairness: claims are fair across labs and never exceed a
 * lab's running-task limit. Lab A queues 20 analyses, then lab B one: B's runs
 * before A's third, with simulated workers calling claimTask (one at a time,
 * several per round, all at once) and with a real worker process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db';
import { analysisCompleted, mnistCnnLab, queueAnalysis, type MnistLab } from '../helpers/lab-fixture';
import { workerPool } from '../helpers/worker-process';
import { claimTask, type ClaimedTask } from '../../lib/queue/layer-tasks';
import type { QueueConfig } from '../../lib/queue/config';
import { db, getDb } from '../../lib/db/client';

const testDb = useTestDatabase();
const cfg: QueueConfig = { leaseSeconds: 30, heartbeatSeconds: 5, maxAttempts: 3, pollSeconds: 1 };
const { spawn: spawnWorker, stopAll } = workerPool(() => ({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir }));

const labs: Record<'A' | 'B', MnistLab> = {} as never;
const setUpLab = (name: 'A' | 'B') => mnistCnnLab({ name: `Lab ${name}`, email: `lab-${name.toLowerCase()}@example.org`, password: `lab-${name}-password-1` });

/** A small one-layer MNIST CNN analysis: one task, a second or two on a worker. */
const queue = (lab: MnistLab, seed: number) => queueAnalysis(lab, { layers: ['conv1'], options: { images: 20, crossFitRepeats: 0, rankBy: 'multiple', seed } });

let aIds: string[] = [];
let bId = '';
const labOf = (t: ClaimedTask) => (t.analysisId === bId ? 'B' : `A${aIds.indexOf(t.analysisId) + 1}`);

async function resetQueue() {
  await db.layerTask.updateMany({ data: { status: 'queued', lockedBy: null, lockedAt: null, attempts: 0 } });
  await db.analysis.updateMany({ data: { status: 'queued' } });
  await db.lab.updateMany({ data: { lastClaimAt: null } });
}
const complete = (t: ClaimedTask) => db.layerTask.update({ where: { id: t.id }, data: { status: 'completed' } });
async function runningPerLab(): Promise<Record<string, number>> {
  const rows = await db.layerTask.findMany({ where: { status: 'running' }, select: { analysis: { select: { labId: true } } } });
  const out: Record<string, number> = {};
  for (const r of rows) out[r.analysis.labId] = (out[r.analysis.labId] ?? 0) + 1;
  return out;
}

beforeAll(async () => {
  labs.A = await setUpLab('A');
  labs.B = await setUpLab('B');
  for (let i = 0; i < 20; i++) aIds.push(await queue(labs.A, i));
  bId = await queue(labs.B, 0);
});
afterAll(stopAll);

describe('fair claims', () => {
  it('one worker, one task at a time: B runs second, not after A’s twenty', async () => {
    await resetQueue();
    const order: string[] = [];
    for (;;) {
      const t = await claimTask(getDb(), 'w1', cfg);
      if (!t) break;
      order.push(labOf(t));
      await complete(t);
    }
    expect(order).toHaveLength(21);
    expect(order.slice(0, 3)).toEqual(['A1', 'B', 'A2']);
  });

  it('three workers per round: B before A’s third, and A never above its 2 running tasks', async () => {
    await resetQueue();
    const order: string[] = [];
    for (let round = 0; round < 30; round++) {
      const claimed: ClaimedTask[] = [];
      for (const w of ['w1', 'w2', 'w3']) {
        const t = await claimTask(getDb(), w, cfg);
        if (t) claimed.push(t);
        const running = await runningPerLab();
        expect(running[labs.A.lab.id] ?? 0).toBeLessThanOrEqual(2);
      }
      if (!claimed.length) break;
      order.push(...claimed.map(labOf));
      for (const t of claimed) await complete(t);
    }
    expect(order).toHaveLength(21);
    expect(order.indexOf('B')).toBeLessThan(order.indexOf('A3'));
    // Round 1: A1, then B (A has one running), then A2; no third A task while A has 2 running.
    expect(order.slice(0, 3)).toEqual(['A1', 'B', 'A2']);
  });

  it('concurrent claims never exceed a lab’s limit, and the limit is the lab’s own when set', async () => {
    await resetQueue();
    await db.layerTask.updateMany({ where: { analysisId: bId }, data: { status: 'completed' } });
    const got = await Promise.all(Array.from({ length: 8 }, (_, i) => claimTask(getDb(), `c${i}`, cfg)));
    expect(got.filter(Boolean)).toHaveLength(2);
    expect((await runningPerLab())[labs.A.lab.id]).toBe(2);

    await db.lab.update({ where: { id: labs.A.lab.id }, data: { maxRunningTasks: 5 } });
    const more = await Promise.all(Array.from({ length: 8 }, (_, i) => claimTask(getDb(), `d${i}`, cfg)));
    expect(more.filter(Boolean)).toHaveLength(3);
    expect((await runningPerLab())[labs.A.lab.id]).toBe(5);
    await db.lab.update({ where: { id: labs.A.lab.id }, data: { maxRunningTasks: null } });
  });

  it('takes over a task whose lease lapsed, and does not count it as running', async () => {
    await resetQueue();
    await db.layerTask.updateMany({ where: { analysisId: bId }, data: { status: 'completed' } });
    // Two A tasks "running" under workers that died an hour ago.
    const dead = await db.layerTask.findMany({ where: { analysisId: { in: aIds.slice(0, 2) } } });
    await db.layerTask.updateMany({
      where: { id: { in: dead.map((t) => t.id) } },
      data: { status: 'running', lockedBy: 'dead', lockedAt: new Date(Date.now() - 3600_000), attempts: 1 },
    });
    const t1 = await claimTask(getDb(), 'alive-1', cfg);
    const t2 = await claimTask(getDb(), 'alive-2', cfg);
    expect([t1?.analysisId, t2?.analysisId]).toEqual(aIds.slice(0, 2));
    expect([t1?.attempts, t2?.attempts]).toEqual([2, 2]);
    expect(await claimTask(getDb(), 'alive-3', cfg)).toBeNull();
  });
});

describe('fair claims with a real worker process', () => {
  it('runs B’s analysis before A’s third', async () => {
    await db.layerTask.updateMany({ data: { status: 'cancelled', lockedBy: null, lockedAt: null } });
    await db.analysis.updateMany({ data: { status: 'cancelled' } });
    await db.lab.updateMany({ data: { lastClaimAt: null } });
    aIds = [];
    for (let i = 0; i < 20; i++) aIds.push(await queue(labs.A, 100 + i));
    bId = await queue(labs.B, 100);

    const w = spawnWorker('w-real');
    const b = await analysisCompleted(bId, 180_000);
    const a = await db.analysis.findMany({ where: { id: { in: aIds } }, select: { id: true, startedAt: true } });
    const started = new Map(a.map((x) => [x.id, x.startedAt]));
    expect(b.startedAt).not.toBeNull();
    expect(started.get(aIds[0])).not.toBeNull();
    expect(started.get(aIds[0])!.getTime()).toBeLessThan(b.startedAt!.getTime());
    const third = started.get(aIds[2]);
    expect(third == null || third.getTime() > b.startedAt!.getTime(), w.output()).toBe(true);
  });
});
