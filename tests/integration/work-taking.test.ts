/**
 * Work-taking (lib/queue/work-taking.ts) on real PostgreSQL: a take moves only
 * layers their holder has not started, a concurrent start and take never both
 * win, and the holder learns which layers were taken (to skip them, not to give
 * up its group). End to end with real worker processes and the demo ResNet-18:
 * one worker's model process is held (SIGSTOP) so its group falls behind, the
 * other worker, done with its own group, takes unstarted layers of it and runs
 * them in one forward pass, the held group skips them, and every layer is
 * stored exactly once with results equal to runAnalysis on the same spec.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db';
import { analysisCompleted, queueAnalysis, resnet18Lab, type MnistLab } from '../helpers/lab-fixture';
import { waitFor, workerPool, type WorkerProcess } from '../helpers/worker-process';
import { db, getDb } from '../../lib/db/client';
import { runAnalysis } from '../../lib/analysis/run-analysis';
import type { QueueConfig } from '../../lib/queue/config';
import { cancelAnalysis } from '../../lib/queue/analysis-status';
import { claimTasks, heartbeat } from '../../lib/queue/layer-tasks';
import { specFromRow } from '../../lib/queue/spec-from-db';
import { markLayerStarted, takeTasks, type GroupPace } from '../../lib/queue/work-taking';

const testDb = useTestDatabase();
const { spawn: spawnWorker, stopAll } = workerPool(() => ({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir }));
const cfg: QueueConfig = { leaseSeconds: 30, heartbeatSeconds: 5, maxAttempts: 3, pollSeconds: 1 };
const LAYERS = 20;

let lab: MnistLab;

beforeAll(async () => {
  lab = await resnet18Lab({ name: 'Taking', email: 'taking@example.org', password: 'taking-password-1' });
});
afterAll(stopAll);

/** A pace that makes any unstarted layer worth taking: seconds per layer far above a setup of 0. */
async function eagerPace(analysisId: string): Promise<GroupPace> {
  const names = (await db.layerTask.findMany({ where: { analysisId }, select: { layerName: true } })).map((t) => t.layerName);
  return { layerNames: names, layerSeconds: 100 * names.length, overheadSeconds: 0 };
}

const tasksOf = (analysisId: string) => db.layerTask.findMany({ where: { analysisId }, orderBy: { layerIndex: 'asc' } });

describe('the take query', () => {
  it('never takes a started layer, takes only from a live holder, and tells the holder what was taken', async () => {
    const id = await queueAnalysis(lab, { layers: 'all', options: { images: 24 } });
    // No live worker connections: one claim takes the whole analysis.
    const held = await claimTasks(getDb(), 'v', cfg);
    expect(held).toHaveLength(LAYERS);
    // The holder started its last four layers (the ones a take prefers) and its first.
    const started = [held[0], ...held.slice(-4)];
    for (const t of started) expect(await markLayerStarted(db, t.id, 'v')).toBe('ours');

    const taken = await takeTasks(getDb(), 't', id, cfg, await eagerPace(id));
    expect(taken.length).toBeGreaterThan(0);
    expect(taken.length).toBeLessThan(LAYERS - started.length + 1);
    const startedIds = new Set(started.map((t) => t.id));
    expect(taken.filter((t) => startedIds.has(t.id))).toEqual([]);
    const rows = await tasksOf(id);
    for (const r of rows) {
      const isTaken = taken.some((t) => t.id === r.id);
      expect(r, r.layerName).toMatchObject(isTaken ? { lockedBy: 't', takenFrom: 'v', status: 'running', startedAt: null, attempts: 1 } : { lockedBy: 'v', takenFrom: null });
    }
    // The holder's start of a taken layer fails as 'taken' (skip it), and its heartbeat reports it taken, not lost.
    expect(await markLayerStarted(db, taken[0].id, 'v')).toBe('taken');
    const hb = await heartbeat(getDb(), 'v', held.map((t) => ({ id: t.id, progress: 0 })));
    expect([...hb.taken].sort()).toEqual(taken.map((t) => t.id).sort());
    expect(hb.ours.size).toBe(LAYERS - taken.length);
    // The taker owns them now: its start succeeds.
    expect(await markLayerStarted(db, taken[0].id, 't')).toBe('ours');

    // Holders whose leases lapsed are not taken from (their layers are claimable as any lapsed task).
    await db.layerTask.updateMany({ where: { analysisId: id }, data: { lockedAt: new Date(Date.now() - 60_000) } });
    expect(await takeTasks(getDb(), 't2', id, cfg, await eagerPace(id))).toEqual([]);
    // A lab at its worker limit (v is live again: one worker, limit 1) gets no taker either, nor does an analysis with a cancel request.
    await db.layerTask.updateMany({ where: { analysisId: id, lockedBy: 'v' }, data: { lockedAt: new Date() } });
    await db.lab.update({ where: { id: lab.lab.id }, data: { maxRunningTasks: 1 } });
    expect(await takeTasks(getDb(), 't2', id, cfg, await eagerPace(id))).toEqual([]);
    await db.lab.update({ where: { id: lab.lab.id }, data: { maxRunningTasks: 100 } });
    await db.analysis.update({ where: { id }, data: { cancelRequested: true } });
    expect(await takeTasks(getDb(), 't2', id, cfg, await eagerPace(id))).toEqual([]);
    await cancelAnalysis(db, id);
  });

  it('a taker that dies leaves its taken layers to lapse and be claimed like any others', async () => {
    const id = await queueAnalysis(lab, { layers: 'all', options: { images: 24 } });
    await claimTasks(getDb(), 'v', cfg);
    const taken = await takeTasks(getDb(), 't', id, cfg, await eagerPace(id));
    expect(taken.length).toBeGreaterThan(0);
    expect(await markLayerStarted(db, taken[0].id, 't')).toBe('ours');
    // 't' stops heart-beating; 'v' still holds its own.
    await db.layerTask.updateMany({ where: { analysisId: id, lockedBy: 't' }, data: { lockedAt: new Date(Date.now() - 60_000) } });
    const again = await claimTasks(getDb(), 'c', cfg);
    expect(again.map((t) => t.id).sort()).toEqual(taken.map((t) => t.id).sort());
    for (const r of await db.layerTask.findMany({ where: { id: { in: taken.map((t) => t.id) } } })) {
      // A fresh claim: a new attempt, nothing started, taken from nobody (the claimer may be taken from in turn).
      expect(r).toMatchObject({ lockedBy: 'c', attempts: 2, startedAt: null, takenFrom: null, status: 'running' });
    }
    expect(await markLayerStarted(db, taken[0].id, 't')).toBe('lost');
    await cancelAnalysis(db, id);
  });

  it('takes nothing when the taker’s setup would eat the gain', async () => {
    const id = await queueAnalysis(lab, { layers: 'all', options: { images: 24 } });
    await claimTasks(getDb(), 'v', cfg);
    const pace = await eagerPace(id);
    // Each layer measured at 1 s, 20 s left; a setup and forward pass of 60 s cannot pay.
    expect(await takeTasks(getDb(), 't', id, cfg, { ...pace, layerSeconds: LAYERS, overheadSeconds: 60 })).toEqual([]);
    expect((await tasksOf(id)).every((t) => t.lockedBy === 'v')).toBe(true);
    await cancelAnalysis(db, id);
  });

  it('a start that holds the row first wins: the take waiting on it moves nothing of it', async () => {
    const id = await queueAnalysis(lab, { layers: 'all', options: { images: 24 } });
    const held = await claimTasks(getDb(), 'v', cfg);
    const last = held[held.length - 1];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let marked!: () => void;
    const isMarked = new Promise<void>((r) => (marked = r));
    // The holder's start, uncommitted until the take is waiting on the row.
    const start = db.$transaction(async (tx) => {
      const r = await markLayerStarted(tx, last.id, 'v');
      marked();
      await gate;
      return r;
    });
    await isMarked;
    const take = takeTasks(getDb(), 't', id, cfg, await eagerPace(id));
    // The take reads the layer as unstarted (the start is not committed) and blocks on its row.
    await waitFor('the take to wait on the row lock', async () => {
      const [r] = await db.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      return r.n > 0;
    }, 10_000, 20);
    release();
    expect(await start).toBe('ours');
    const taken = await take;
    expect(taken.length).toBeGreaterThan(0);
    expect(taken.map((t) => t.id)).not.toContain(last.id);
    expect(await db.layerTask.findUniqueOrThrow({ where: { id: last.id } })).toMatchObject({ lockedBy: 'v', takenFrom: null });
    await cancelAnalysis(db, id);
  });

  it('a concurrent start and take never both win', async () => {
    for (let round = 0; round < 6; round++) {
      const id = await queueAnalysis(lab, { layers: 'all', options: { images: 24 } });
      const held = await claimTasks(getDb(), 'v', cfg);
      // Every unstarted layer is wanted by the take; the holder starts the last ones at the same time.
      const contested = held.slice(-3);
      const [taken, ...marks] = await Promise.all([takeTasks(getDb(), 't', id, cfg, await eagerPace(id)), ...contested.map((t) => markLayerStarted(db, t.id, 'v'))]);
      const rows = await tasksOf(id);
      for (const [i, t] of contested.entries()) {
        const row = rows.find((r) => r.id === t.id)!;
        const tookIt = taken.some((x) => x.id === t.id);
        // Exactly one side: the holder started it (and keeps it), or the take moved it (and the start says 'taken').
        expect(marks[i] === 'ours', `${t.layerName} round ${round}`).toBe(!tookIt);
        expect(row.lockedBy).toBe(tookIt ? 't' : 'v');
        if (!tookIt) expect(row.startedAt).not.toBeNull();
        else expect(marks[i]).toBe('taken');
      }
      await cancelAnalysis(db, id);
    }
  });
});

/** The worker's "completed <analysis>/<layer>" lines: the layers it stored. */
const stored = (w: WorkerProcess, id: string) => [...w.output().matchAll(new RegExp(`completed ${id}/(\\S+) \\(stored`, 'g'))].map((m) => m[1]);

describe('work-taking on workers', () => {
  it('a worker done first takes unstarted layers of a held group; the held group skips them; every layer is stored once', { timeout: 400_000 }, async () => {
    // Layers of a few tenths of a second on one thread: the held group is far behind once the other ends.
    const options = { images: 60, crossFitRepeats: 2, nullPermutations: 0, rankBy: 'multiple', seed: 11 };
    const a = spawnWorker('w-a');
    const b = spawnWorker('w-b');
    await waitFor('the workers to listen', async () => a.output().includes('] ready') && b.output().includes('] ready'), 60_000);
    const id = await queueAnalysis(lab, { layers: 'all', options });
    // Hold w-a's model process as soon as it has its group.
    const pid = await waitFor('w-a’s model process', async () => Number(new RegExp(`model process (\\d+) runs ${id}/`).exec(a.output())?.[1]) || null, 60_000, 10);
    process.kill(pid, 'SIGSTOP');
    try {
      await waitFor('w-b to take layers of w-a', async () => (await db.layerTask.count({ where: { analysisId: id, takenFrom: 'w-a' } })) > 0, 240_000, 50);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await analysisCompleted(id, 240_000, () => a.output().slice(-2000) + b.output().slice(-2000));
    const tasks = await tasksOf(id);
    const taken = tasks.filter((t) => t.takenFrom === 'w-a');
    expect(taken.length).toBeGreaterThan(0);
    expect(tasks.every((t) => t.status === 'completed' && t.attempts === 1)).toBe(true);
    expect(b.output()).toMatch(new RegExp(`took .+ of ${id} from w-a`));
    // The held group skipped what was taken and went on (no lost lease, no retry).
    expect(a.output()).toMatch(new RegExp(`ran ${id}/.+ in 1 forward pass .*; another worker took`));
    expect(a.output()).not.toMatch(/gave up|error in/);
    // The taker ran its taken layers in one forward pass, not one per layer.
    const bGroups = [...b.output().matchAll(new RegExp(`ran ${id}/(.+) in (\\d+) forward pass`, 'g'))].map((m) => ({ layers: m[1].split(', '), passes: Number(m[2]) }));
    expect(bGroups.length).toBeGreaterThanOrEqual(2);
    expect(bGroups.every((g) => g.passes === 1)).toBe(true);
    // Every layer stored exactly once, by the worker that holds its task.
    const byA = stored(a, id);
    const byB = stored(b, id);
    expect([...byA, ...byB].sort()).toEqual(tasks.map((t) => t.layerName).sort());
    for (const t of tasks) expect((t.lockedBy === 'w-a' ? byA : byB).includes(t.layerName), t.layerName).toBe(true);
    expect(await db.layerResult.count({ where: { analysisId: id } })).toBe(LAYERS);
    const analysis = await db.analysis.findUniqueOrThrow({ where: { id } });
    expect(analysis.progress).toBe(1);
    await stopAll();

    // The same spec through runAnalysis in this process, as `pcace rank` runs it.
    const row = await db.analysis.findUniqueOrThrow({ where: { id }, include: { modelVersion: true, dataset: true } });
    const local = await specFromRow(row as never, tasks.map((t) => t.layerName));
    const cli = await runAnalysis(local.spec, { threads: 1 }).finally(() => local.release());
    const layers = await db.layerResult.findMany({ where: { analysisId: id }, orderBy: { index: 'asc' }, include: { channels: { orderBy: { channel: 'asc' } } } });
    const digits = (x: number | null) => (Number.isFinite(x) ? (x as number) : 0).toPrecision(16);
    expect(layers.map((l) => l.name)).toEqual(cli.layers.map((l) => l.name));
    for (const [i, layer] of cli.layers.entries()) {
      const expected = [...layer.channels].sort((x, y) => x.index - y.index).map((c) => [c.index, c.rank, digits(c.score_pc1), digits(c.score_multiple), digits(c.rsq)]);
      expect(layers[i].channels.map((c) => [c.channel, c.rank, digits(c.scorePc1), digits(c.scoreMultiple), digits(c.rsq)]), layer.name).toEqual(expected);
    }
  });
});
