/**
 * Layer groups end to end, with real worker processes on real PostgreSQL and
 * the ResNet-18 demo model (20 conv layers): a worker claims a group of layer
 * tasks of one analysis and runs it with one forward pass, storing each layer
 * as it is scored. One worker runs a whole network in one pass with results
 * equal to runAnalysis (what `pcace rank` runs) on the same spec; two workers
 * split an analysis and both contribute; a worker killed mid-group leaves its
 * stored layers done and the rest to the other worker. Claims size groups by
 * the live workers PostgreSQL sees and count each task against the lab's limit.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db';
import { analysisCompleted, queueAnalysis, resnet18Lab, type MnistLab } from '../helpers/lab-fixture';
import { waitFor, workerPool, type WorkerProcess } from '../helpers/worker-process';
import { db, getDb } from '../../lib/db/client';
import { runAnalysis } from '../../lib/analysis/run-analysis';
import type { QueueConfig } from '../../lib/queue/config';
import { claimTasks, WORKER_APPLICATION_NAME } from '../../lib/queue/layer-tasks';
import { specFromRow } from '../../lib/queue/spec-from-db';
import { cancelAnalysis } from '../../lib/queue/analysis-status';

const testDb = useTestDatabase();
const { spawn: spawnWorker, stopAll } = workerPool(() => ({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir }));
const cfg: QueueConfig = { leaseSeconds: 30, heartbeatSeconds: 5, maxAttempts: 3, pollSeconds: 1 };

/** Cheap statistics: the claims and the forward passes are under test. */
const OPTIONS = { images: 24, crossFitRepeats: 0, nullPermutations: 0, rankBy: 'multiple', seed: 7 };
const LAYERS = 20;

let lab: MnistLab;

beforeAll(async () => {
  lab = await resnet18Lab({ name: 'Groups', email: 'groups@example.org', password: 'groups-password-1' });
});
afterAll(stopAll);

const ready = (...ws: WorkerProcess[]) => waitFor('the workers to listen', async () => ws.every((w) => w.output().includes('] ready')), 60_000);

/** The worker's "ran <analysis>/<layers> in N forward passes" lines for one analysis: its groups. */
function groupsRun(w: WorkerProcess, id: string): { layers: string[]; passes: number }[] {
  return [...w.output().matchAll(new RegExp(`ran ${id}/(.+) in (\\d+) forward pass`, 'g'))].map((m) => ({ layers: m[1].split(', '), passes: Number(m[2]) }));
}

async function channelRows(id: string) {
  const layers = await db.layerResult.findMany({ where: { analysisId: id }, orderBy: { index: 'asc' }, include: { channels: { orderBy: { channel: 'asc' } } } });
  return layers.map((l) => ({ name: l.name, channels: l.channels.map((c) => [c.channel, c.rank, c.scorePc1, c.scoreMultiple, c.rsq, c.components]) }));
}

let reference = '';

/**
 * A score to the 16 significant digits a stored row keeps of it (the database
 * path drops a 17th: 0.42788940811480386 is read back as 0.4278894081148039);
 * 0 for a score that is not finite, as the rows store it.
 */
const digits = (x: number) => (Number.isFinite(x) ? x : 0).toPrecision(16);

describe('layer groups on workers', () => {
  it('one worker runs a whole network in one forward pass, with results equal to runAnalysis on the same spec', { timeout: 400_000 }, async () => {
    const w = spawnWorker('w-one');
    await ready(w);
    const id = await queueAnalysis(lab, { layers: 'all', options: OPTIONS });
    reference = id;
    await analysisCompleted(id, 360_000, () => w.output().slice(-2000));
    const tasks = await db.layerTask.findMany({ where: { analysisId: id } });
    expect(tasks).toHaveLength(LAYERS);
    expect(tasks.every((t) => t.status === 'completed' && t.attempts === 1 && t.lockedBy === 'w-one')).toBe(true);
    expect(groupsRun(w, id), w.output()).toEqual([{ layers: expect.any(Array), passes: 1 }]);
    expect(groupsRun(w, id)[0].layers).toHaveLength(LAYERS);
    await stopAll();

    // The same spec through runAnalysis in this process, as `pcace rank` runs it: every layer in one run.
    const row = await db.analysis.findUniqueOrThrow({ where: { id }, include: { modelVersion: true, dataset: true } });
    const local = await specFromRow(row as never, tasks.sort((a, b) => a.layerIndex - b.layerIndex).map((t) => t.layerName));
    // Model threads as the worker's model process has them (all cores); statistics threads do not change a bit.
    const cli = await runAnalysis(local.spec, { threads: 1 }).finally(() => local.release());
    expect(cli.timings.forward_passes).toBe(1);
    const stored = await channelRows(id);
    expect(stored.map((l) => l.name)).toEqual(cli.layers.map((l) => l.name));
    for (const [i, layer] of cli.layers.entries()) {
      const expected = [...layer.channels].sort((a, b) => a.index - b.index).map((c) => [c.index, c.rank, digits(c.score_pc1), digits(c.score_multiple), digits(c.rsq), c.components]);
      // The same forward pass and the same statistics: equal to every digit the stored rows keep.
      expect(stored[i].channels.map(([ch, rank, pc1, multiple, rsq, k]) => [ch, rank, digits(pc1), digits(multiple), digits(rsq), k]), layer.name).toEqual(expected);
    }
  });

  it('two workers split an analysis’ layers between them, one forward pass each', { timeout: 400_000 }, async () => {
    const a = spawnWorker('w-a');
    const b = spawnWorker('w-b');
    await ready(a, b);
    const id = await queueAnalysis(lab, { layers: 'all', options: OPTIONS });
    await analysisCompleted(id, 360_000, () => a.output().slice(-1500) + b.output().slice(-1500));
    const tasks = await db.layerTask.findMany({ where: { analysisId: id } });
    expect(tasks.every((t) => t.status === 'completed' && t.attempts === 1)).toBe(true);
    // Who claimed each layer (a worker done first may have taken some of the other's: work-taking.test.ts).
    const claimer = (t: (typeof tasks)[number]) => t.takenFrom ?? t.lockedBy;
    const by = (w: string) => tasks.filter((t) => claimer(t) === w).length;
    // The first claim saw two free workers and took half; the second took the rest.
    expect([by('w-a'), by('w-b')].sort()).toEqual([LAYERS / 2, LAYERS / 2]);
    const ga = groupsRun(a, id);
    const gb = groupsRun(b, id);
    expect([...ga, ...gb].every((g) => g.passes === 1)).toBe(true);
    expect([...ga, ...gb].flatMap((g) => g.layers).sort()).toEqual(tasks.map((t) => t.layerName).sort());
    // Interleaved by cost, not contiguous halves: both hold an early layer.
    const early = tasks.filter((t) => t.layerIndex < 5);
    expect(new Set(early.map(claimer))).toEqual(new Set(['w-a', 'w-b']));
    expect(await channelRows(id)).toEqual(await channelRows(reference));
    await stopAll();
  });

  it('a worker killed mid-group leaves its stored layers done, and another completes the rest', { timeout: 400_000 }, async () => {
    const victim = spawnWorker('w-victim');
    await ready(victim);
    const id = await queueAnalysis(lab, { layers: 'all', options: OPTIONS });
    // Killed once it stored some layers and others of its group are still running.
    await waitFor('a stored layer and a running one', async () => {
      const t = await db.layerTask.findMany({ where: { analysisId: id }, select: { status: true } });
      return t.some((x) => x.status === 'completed') && t.some((x) => x.status === 'running');
    }, 300_000, 50);
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    const before = await db.layerTask.findMany({ where: { analysisId: id } });
    const done = before.filter((t) => t.status === 'completed');
    expect(done.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(LAYERS);

    const rescuer = spawnWorker('w-rescuer');
    await analysisCompleted(id, 360_000, () => rescuer.output().slice(-2000));
    const after = await db.layerTask.findMany({ where: { analysisId: id } });
    for (const t of after) {
      const was = done.find((d) => d.id === t.id);
      // Stored layers were never run again; the others were taken over once their leases lapsed.
      if (was) expect(t, t.layerName).toMatchObject({ status: 'completed', lockedBy: 'w-victim', attempts: 1, updatedAt: was.updatedAt });
      else expect(t, t.layerName).toMatchObject({ status: 'completed', lockedBy: 'w-rescuer', attempts: 2 });
    }
    expect(groupsRun(rescuer, id).map((g) => [g.layers.length, g.passes])).toEqual([[LAYERS - done.length, 1]]);
    expect(await channelRows(id)).toEqual(await channelRows(reference));
    await stopAll();
  });
});

describe('group claims', () => {
  /** Stand-ins for worker processes: connections named as workers name their listeners. */
  async function liveWorkers(n: number): Promise<pg.Client[]> {
    const clients = Array.from({ length: n }, () => new pg.Client({ connectionString: testDb.current.url, application_name: WORKER_APPLICATION_NAME }));
    for (const c of clients) await c.connect();
    // Exactly these: the worker processes of the tests above have ended.
    await waitFor('only the stand-ins to be listed', async () => {
      const r = await clients[0].query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [WORKER_APPLICATION_NAME]);
      return r.rows[0].n === n;
    }, 10_000);
    return clients;
  }

  it('shares an analysis among the free workers PostgreSQL sees, and counts workers, not layers, against the lab’s limit', async () => {
    const id = await queueAnalysis(lab, { layers: 'all', options: OPTIONS });
    const others = await liveWorkers(3);
    try {
      // Three live workers, none busy: a third of the 20 layers (rounded up).
      const first = await claimTasks(getDb(), 'c1', cfg);
      expect(first.map((t) => t.analysisId)).toEqual(Array(7).fill(id));
      // c1 now holds leases: two free workers share the 13 left.
      const second = await claimTasks(getDb(), 'c2', cfg);
      expect(second).toHaveLength(7);
      const third = await claimTasks(getDb(), 'c3', cfg);
      expect(third).toHaveLength(6);
      expect(new Set([...first, ...second, ...third].map((t) => t.layerName)).size).toBe(LAYERS);
      expect(await claimTasks(getDb(), 'c4', cfg)).toEqual([]);
      await cancelAnalysis(db, id);

      // The lab's limit counts workers: at 1, the first free worker takes its share
      // of every layer (one forward pass), and no second worker joins while it runs.
      await db.lab.update({ where: { id: lab.lab.id }, data: { maxRunningTasks: 1 } });
      const limited = await queueAnalysis(lab, { layers: 'all', options: OPTIONS });
      const only = await claimTasks(getDb(), 'l1', cfg);
      expect(only).toHaveLength(7);
      expect(await claimTasks(getDb(), 'l2', cfg)).toEqual([]);
      // At 2, a second worker joins, and a third does not.
      await db.lab.update({ where: { id: lab.lab.id }, data: { maxRunningTasks: 2 } });
      expect(await claimTasks(getDb(), 'l2', cfg)).toHaveLength(7);
      expect(await claimTasks(getDb(), 'l3', cfg)).toEqual([]);
      await cancelAnalysis(db, limited);
    } finally {
      await db.lab.update({ where: { id: lab.lab.id }, data: { maxRunningTasks: 100 } });
      for (const c of others) await c.end();
    }
  });
});
