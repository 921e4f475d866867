/**
 * A hanging model in a real worker process: the model runs in a model process
 * the worker supervises, so the worker keeps heart-beating, fails the task at
 * its time budget with the reason (once: not retried into another worker),
 * kills the process within 2 s of a cancel, and another lab's analysis still
 * completes. The model is an ONNX Loop whose trip count is max(input) × 1e9:
 * the upload's all-zero probe passes, real images hang. onnx-graph's refusal of
 * control flow is switched off (PCACE_ALLOW_CONTROL_FLOW=1) so the sandbox is
 * what holds.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, fileBlob, formOf, useTestDatabase } from '../helpers/db';
import { PIPELINE_DIR } from '../helpers/reference';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { dataLoopModel } from './hostile-models';
import * as analyses from '../../app/api/v1/labs/[lab]/analyses/route';
import * as cancel from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/cancel/route';
import * as models from '../../app/api/v1/labs/[lab]/models/route';
import * as datasets from '../../app/api/v1/labs/[lab]/datasets/route';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { signUp } from '../../lib/server/signup';

const testDb = useTestDatabase();
const BUDGET = 12;
const workers: WorkerProcess[] = [];
const saved = process.env.PCACE_ALLOW_CONTROL_FLOW;

interface Lab {
  slug: string;
  token: string;
  versionId: string;
  datasetId: string;
}
let hostile: Lab;
let honest: Lab;

async function lab(name: string, email: string, model: Uint8Array): Promise<Lab> {
  const { user, lab } = await signUp({ name, email, password: 'granite orchid velvet 4471' }, new Headers());
  const token = (await createApiToken(user.id, 'tests')).token;
  const m = await callRoute(models.POST as never, '', { token, params: { lab: lab.slug }, form: formOf({ name: 'model', file: [fileBlob(model), 'model.onnx'] }) });
  expect(m.status, JSON.stringify(m.body)).toBe(201);
  const d = await callRoute(datasets.POST as never, '', { token, params: { lab: lab.slug }, json: { name: 'threes', kind: 'mnist', digit: 3 } });
  expect(d.status, JSON.stringify(d.body)).toBe(201);
  return { slug: lab.slug, token, versionId: m.body.version.id, datasetId: d.body.dataset.id };
}

async function queue(l: Lab, options: Record<string, unknown>): Promise<string> {
  const res = await callRoute(analyses.POST as never, '', {
    token: l.token,
    params: { lab: l.slug },
    json: { modelVersionId: l.versionId, datasetId: l.datasetId, target: { kind: 'class', index: 3 }, layers: 'all', options },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.analysis.id as string;
}

const analysis = (id: string) => db.analysis.findUniqueOrThrow({ where: { id } });
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** The pid of the model process a worker started for `analysisId` (from its log). */
const modelPid = (id: string) => () => {
  for (const w of workers) {
    const m = new RegExp(`model process (\\d+) runs ${id}/`).exec(w.output());
    if (m) return Promise.resolve(Number(m[1]));
  }
  return Promise.resolve(null);
};

beforeAll(async () => {
  process.env.PCACE_ALLOW_CONTROL_FLOW = '1';
  hostile = await lab('Hostile', 'hostile@example.org', dataLoopModel(1e9));
  honest = await lab('Honest', 'honest@example.org', readFileSync(`${PIPELINE_DIR}/mnist_cnn.onnx`));
  const env = {
    DATABASE_URL: testDb.current.url,
    STORAGE_DIR: testDb.current.storageDir,
    PCACE_ALLOW_CONTROL_FLOW: '1',
    PCACE_TASK_BUDGET_SECONDS: String(BUDGET),
    PCACE_MODEL_CALL_SECONDS: '600',
  };
  workers.push(startWorker(env, 'w-one'), startWorker(env, 'w-two'));
}, 120_000);

afterAll(async () => {
  for (const w of workers) {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await w.exited;
  }
  if (saved === undefined) delete process.env.PCACE_ALLOW_CONTROL_FLOW;
  else process.env.PCACE_ALLOW_CONTROL_FLOW = saved;
});

describe('a hanging model under a supervised model process', () => {
  it('fails the task at its budget, once, with heartbeats going on, while another lab completes', async () => {
    const hang = await queue(hostile, { images: 20, crossFitRepeats: 0, rankBy: 'multiple' });
    const other = await queue(honest, { images: 30, crossFitRepeats: 0, rankBy: 'multiple' });
    const running = await waitFor('the hanging task to run', async () => db.layerTask.findFirst({ where: { analysisId: hang, status: 'running' } }));
    const pid = await waitFor('its model process', modelPid(hang));
    const t0 = Date.now();
    // The worker's own event loop is free: its lease keeps being renewed while the model spins.
    await new Promise((r) => setTimeout(r, 4000));
    const renewed = await db.layerTask.findUniqueOrThrow({ where: { id: running.id } });
    expect(renewed.status).toBe('running');
    expect(renewed.lockedAt!.getTime()).toBeGreaterThan(running.lockedAt!.getTime());

    const failed = await waitFor('the hanging analysis to fail', async () => {
      const a = await analysis(hang);
      return a.status === 'failed' && a;
    }, (BUDGET + 30) * 1000, 100);
    const seconds = (Date.now() - t0) / 1000;
    expect(failed.error).toMatch(new RegExp(`took longer than its budget of ${BUDGET} s \\(PCACE_TASK_BUDGET_SECONDS\\)`));
    expect(seconds).toBeLessThan(BUDGET + 5);
    const task = await db.layerTask.findUniqueOrThrow({ where: { id: running.id } });
    expect(task).toMatchObject({ status: 'failed', attempts: 1 });
    expect(alive(pid)).toBe(false);

    const done = await waitFor('the other lab\'s analysis', async () => {
      const a = await analysis(other);
      if (a.status === 'failed') throw new Error(a.error ?? 'failed');
      return a.status === 'completed' && a;
    }, 180_000);
    expect(done.progress).toBe(1);
    expect(await db.layerResult.count({ where: { analysisId: other } })).toBe(2);
  }, 300_000);

  it('kills the model process within 2 s of a cancel', async () => {
    const hang = await queue(hostile, { images: 20, crossFitRepeats: 0, rankBy: 'multiple' });
    await waitFor('the hanging task to run', async () => db.layerTask.findFirst({ where: { analysisId: hang, status: 'running' } }));
    const pid = await waitFor('its model process', modelPid(hang));
    // Let it enter the Loop.
    await new Promise((r) => setTimeout(r, 2000));
    expect(alive(pid)).toBe(true);
    const t0 = performance.now();
    const res = await callRoute(cancel.POST as never, '', { token: hostile.token, params: { lab: hostile.slug, analysisId: hang } });
    expect(res.status).toBe(200);
    await waitFor('the cancel to take effect', async () => (await analysis(hang)).status === 'cancelled' && !alive(pid), 10_000, 25);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(2000);
    const tasks = await db.layerTask.findMany({ where: { analysisId: hang } });
    expect(tasks.every((t) => t.status === 'cancelled')).toBe(true);
    console.log(`cancel → analysis cancelled and model process gone: ${ms.toFixed(0)} ms`);
  }, 120_000);
});
