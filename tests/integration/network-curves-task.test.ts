/**
 * Network-wide deletion curves as a leased task: the transaction that stores
 * an analysis' last layer queues them (an artifact row of kind
 * network_curves), so a worker killed while it holds them leaves them to
 * another worker, which computes and stores them once the lease lapses; and
 * a task whose workers keep dying fails with that reason stored where the
 * curves would be. Real PostgreSQL, real worker processes (SIGKILL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db';
import { analysisCompleted, mnistCnnLab, queueAnalysis, type MnistLab } from '../helpers/lab-fixture';
import { waitFor, workerPool } from '../helpers/worker-process';
import { networkCurvesOf } from '../../lib/queue/network-curves';
import { db } from '../../lib/db/client';

const testDb = useTestDatabase();
const workers = workerPool(() => ({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir }));
// Enough random orders that the curves outlast the moment the test needs to see them running.
const OPTIONS = { images: 40, crossFitRepeats: 1, ablation: true, conductanceSteps: 0, curveRandomOrders: 12, nullPermutations: 20, seed: 4 };
let lab: MnistLab;

beforeAll(async () => {
  lab = await mnistCnnLab({ name: 'Curves Task', email: 'curves-task@example.org', password: 'curves-task-password-1x' });
}, 120_000);

afterAll(workers.stopAll);

const curvesRow = (analysisId: string) => db.channelArtifact.findFirst({ where: { analysisId, kind: 'network_curves' } });
const summaryCurves = async (analysisId: string) => networkCurvesOf((await db.analysis.findUniqueOrThrow({ where: { id: analysisId } })).summary);

describe('network-wide deletion curves as a leased task', () => {
  it('a worker killed while it holds the curves leaves them to another, which stores them', async () => {
    const id = await queueAnalysis(lab, { layers: ['conv1', 'conv2'], options: OPTIONS });
    const victim = workers.spawn('w-victim');
    await analysisCompleted(id, 300_000, () => victim.output().slice(-2000));
    // Queued with the completion, in the same transaction: there is no moment without it.
    const queued = await curvesRow(id);
    expect(queued).toMatchObject({ layerName: '', channel: -1, variant: '' });
    const held = await waitFor('the victim holding the curves', async () => {
      const row = await curvesRow(id);
      if (row?.status === 'completed') throw new Error('the curves finished before the victim could be killed');
      return row?.status === 'running' && row.lockedBy === 'w-victim' && row;
    }, 60_000, 50);
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    expect(await summaryCurves(id)).toBeNull();
    const finishedBefore = (await db.analysis.findUniqueOrThrow({ where: { id } })).finishedAt!;

    const rescuer = workers.spawn('w-rescuer');
    const stored = await waitFor('the rescued curves', () => summaryCurves(id), 300_000, 250).catch((err) => {
      throw new Error(`${(err as Error).message}\n${rescuer.output().slice(-2000)}`);
    });
    if ('error' in stored) throw new Error(`the curves failed: ${stored.error}`);
    expect(stored.layers).toEqual([
      { name: 'conv1', channels: 32 },
      { name: 'conv2', channels: 64 },
    ]);
    expect(stored.random!.orders).toBe(12);
    expect(await curvesRow(id)).toMatchObject({ id: held.id, status: 'completed', attempts: 2, lockedBy: 'w-rescuer', error: null });
    const after = await db.analysis.findUniqueOrThrow({ where: { id } });
    expect(after.status).toBe('completed');
    // Storing them moves the finish time, so cached views of the analysis are recomputed.
    expect(after.finishedAt!.getTime()).toBeGreaterThan(finishedBefore.getTime());
    expect(rescuer.output()).toMatch(/claimed artifact network_curves .* \(attempt 2\)/);
  });

  it('curves whose workers died every attempt fail with that reason, stored where the curves would be', async () => {
    const id = await queueAnalysis(lab, { layers: ['conv1', 'conv2'], options: { ...OPTIONS, curveRandomOrders: 2 } });
    workers.spawn('w-layers');
    await analysisCompleted(id, 300_000);
    await waitFor('the curves', () => summaryCurves(id), 300_000, 250);
    await workers.stopAll();
    // As if the workers holding them had died three times: the last lease long lapsed, no curves stored.
    const row = (await curvesRow(id))!;
    await db.channelArtifact.update({ where: { id: row.id }, data: { status: 'running', attempts: 3, lockedBy: 'w-dead', lockedAt: new Date(Date.now() - 3_600_000) } });
    await db.$executeRaw`UPDATE "Analysis" SET summary = summary - 'network_curves' WHERE id = ${id}`;
    expect(await summaryCurves(id)).toBeNull();
    workers.spawn('w-sweeper');
    const stored = await waitFor('the stored reason', () => summaryCurves(id), 60_000, 250);
    expect(stored).toEqual({ error: 'the worker computing this stopped 3 times (crash or out of memory)' });
    expect(await curvesRow(id)).toMatchObject({ status: 'failed', error: 'the worker computing this stopped 3 times (crash or out of memory)' });
  });

  it('an analysis of one layer (importance measures on) queues no curves', async () => {
    const id = await queueAnalysis(lab, { layers: ['conv1'], options: { ...OPTIONS, curveRandomOrders: 2 } });
    workers.spawn('w-single');
    await analysisCompleted(id, 300_000);
    expect(await curvesRow(id)).toBeNull();
    await workers.stopAll();
  });
});
