/**
 * The queue end to end with real worker processes on real PostgreSQL:
 * analysis → layer tasks → workers → results; a SIGKILLed worker's layer is
 * resumed by another and the results equal an uninterrupted run; two workers
 * share twenty analyses and every task runs exactly once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, fileBlob, formOf, useTestDatabase } from '../helpers/db';
import { analysisCompleted as completed, mnistCnnLab, queueAnalysis, type MnistLab } from '../helpers/lab-fixture';
import { waitFor, workerPool } from '../helpers/worker-process';
import * as analyses from '../../app/api/v1/labs/[lab]/analyses/route';
import * as cancel from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/cancel/route';
import * as models from '../../app/api/v1/labs/[lab]/models/route';
import { db } from '../../lib/db/client';

const testDb = useTestDatabase();
let lab: MnistLab;
const { spawn: spawnWorker, stopAll } = workerPool(() => ({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir }));

beforeAll(async () => {
  lab = await mnistCnnLab({ name: 'Queue', email: 'queue@example.org', password: 'queue-password-1' });
});
afterAll(stopAll);

const queue = (options: Record<string, unknown>, layers: string[] | 'all' = 'all') => queueAnalysis(lab, { layers, options });

const status = async (id: string) => (await db.analysis.findUniqueOrThrow({ where: { id } })).status;

async function channelRows(id: string) {
  const layers = await db.layerResult.findMany({ where: { analysisId: id }, orderBy: { index: 'asc' }, include: { channels: { orderBy: { channel: 'asc' } } } });
  return layers.map((l) => ({ name: l.name, channels: l.channels.map(({ id: _id, layerResultId: _l, ...rest }) => rest) }));
}

describe('queue and workers', () => {
  it('runs a queued analysis to completion with live progress', async () => {
    const id = await queue({ images: 40, crossFitRepeats: 1 });
    const tasks = await db.layerTask.findMany({ where: { analysisId: id }, orderBy: { layerIndex: 'asc' } });
    expect(tasks.map((t) => [t.layerName, t.channels, t.status])).toEqual([
      ['conv1', 32, 'queued'],
      ['conv2', 64, 'queued'],
    ]);
    spawnWorker('w-basic');
    const done = await completed(id);
    expect(done.progress).toBe(1);
    expect(done.finishedAt).not.toBeNull();
    expect(done.engineVersion).toMatch(/onnxruntime-node/);
    const rows = await channelRows(id);
    expect(rows.map((l) => [l.name, l.channels.length])).toEqual([
      ['conv1', 32],
      ['conv2', 64],
    ]);
    expect(rows[1].channels.map((c) => c.rank).sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    await stopAll();
  });

  it('resumes a layer whose worker was SIGKILLed, once, with results identical to an uninterrupted run', async () => {
    const options = { images: 120, permutations: 15, crossFitRepeats: 1, seed: 5 };
    const reference = await queue(options);
    const first = spawnWorker('w-reference');
    await completed(reference);
    await stopAll();
    void first;

    const id = await queue(options);
    const victim = spawnWorker('w-victim');
    // Kill it mid-layer: a task running with some progress reported.
    const task = await waitFor('a running task with progress', async () =>
      db.layerTask.findFirst({ where: { analysisId: id, status: 'running', progress: { gt: 0.05 } } }));
    victim.child.kill('SIGKILL');
    const exit = await victim.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(await status(id)).toBe('running');

    spawnWorker('w-rescuer');
    await completed(id);
    const resumed = await db.layerTask.findUniqueOrThrow({ where: { id: task.id } });
    expect(resumed).toMatchObject({ status: 'completed', attempts: 2, lockedBy: 'w-rescuer' });
    expect(await db.layerResult.count({ where: { analysisId: id } })).toBe(2);
    expect(await channelRows(id)).toEqual(await channelRows(reference));
    await stopAll();
  });

  // Forty tasks in real worker and model processes: on a busy 2-core machine that outlasts the default
  // 120 s. What is checked is that each task runs exactly once, not how fast (bench/ measures speed).
  it('lets two workers share twenty analyses, each task running exactly once', { timeout: 400_000 }, async () => {
    const ids: string[] = [];
    // The claims are under test, not the statistics: no null draws, the cheapest scores.
    for (let i = 0; i < 20; i++) ids.push(await queue({ images: 24, crossFitRepeats: 0, nullPermutations: 0, rankBy: 'multiple', seed: i }));
    spawnWorker('w-a');
    spawnWorker('w-b');
    for (const id of ids) await completed(id);
    const tasks = await db.layerTask.findMany({ where: { analysisId: { in: ids } } });
    expect(tasks).toHaveLength(40);
    expect(tasks.every((t) => t.status === 'completed' && t.attempts === 1)).toBe(true);
    expect(new Set(tasks.map((t) => t.lockedBy))).toEqual(new Set(['w-a', 'w-b']));
    expect(await db.layerResult.count({ where: { analysisId: { in: ids } } })).toBe(40);
    await stopAll();
  });

  it('honours cancel and marks bad input failed with the reason', async () => {
    const slow = await queue({ images: 200, permutations: 200 });
    spawnWorker('w-cancel');
    await waitFor('the slow analysis to start', async () => (await status(slow)) === 'running');
    const res = await callRoute(cancel.POST as never, '', { token: lab.token, params: { lab: lab.slug, analysisId: slow } });
    expect(res.status).toBe(200);
    await waitFor('cancellation', async () => (await status(slow)) === 'cancelled', 60_000);
    const tasks = await db.layerTask.findMany({ where: { analysisId: slow } });
    expect(tasks.every((t) => t.status === 'cancelled' || t.status === 'completed')).toBe(true);

    // A model file damaged in storage after registration: the job fails with the reason, nothing half-written.
    const m = await callRoute(models.POST as never, '', {
      token: lab.token,
      params: { lab: lab.slug },
      form: formOf({ name: 'to-be-damaged', file: [fileBlob(readFileSync(new URL('../../models/demo/mnist-cnn.onnx', import.meta.url))), 'd.onnx'] }),
    });
    const stored = await db.modelVersion.findUniqueOrThrow({ where: { id: m.body.version.id } });
    writeFileSync(path.join(testDb.current.storageDir, stored.storagePath), 'garbage');
    const res2 = await callRoute(analyses.POST as never, '', {
      token: lab.token,
      params: { lab: lab.slug },
      json: { modelVersionId: stored.id, datasetId: lab.datasetId, target: { kind: 'class', index: 3 }, layers: 'all', options: { images: 30 } },
    });
    const bad = res2.body.analysis.id as string;
    const failed = await waitFor('failure', async () => {
      const a = await db.analysis.findUniqueOrThrow({ where: { id: bad } });
      return a.status === 'failed' && a;
    }, 60_000);
    expect(failed.error).toMatch(/cannot load the model/);
    expect(await db.layerResult.count({ where: { analysisId: bad } })).toBe(0);
    expect((await db.layerTask.findMany({ where: { analysisId: bad } })).map((t) => t.status).sort()).toEqual(['cancelled', 'failed']);
    await stopAll();
  });
});
