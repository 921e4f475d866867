/**
 * Network-wide deletion curves through the portal's real path: an analysis of
 * the MNIST CNN (conv1 + conv2, importance measures on) queued through the
 * API; a real worker runs the layer tasks, then, after the last, the curves
 * across both layers in its model process, and stores them with the analysis.
 * They match what the command line's runAnalysis computes for the same spec
 * in one process, and the results API, the JSON export and the methods view
 * carry them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, useTestDatabase } from '../helpers/db';
import { completeOnWorker, mnistCnnLab, queueAnalysis, type MnistLab } from '../helpers/lab-fixture';
import { waitFor, workerPool } from '../helpers/worker-process';
import * as resultsRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/results/route';
import * as exportRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/export/route';
import * as methodsRoute from '../../app/api/v1/labs/[lab]/compare/methods/route';
import { runAnalysis } from '../../lib/analysis/run-analysis';
import type { NetworkCurves } from '../../lib/analysis/importance/network-curves';
import { networkCurvesOf } from '../../lib/queue/network-curves';
import { specFromRow } from '../../lib/queue/spec-from-db';
import { db } from '../../lib/db/client';

const testDb = useTestDatabase();
const workers = workerPool(() => ({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir }));
const OPTIONS = { images: 40, crossFitRepeats: 1, ablation: true, conductanceSteps: 0, curveRandomOrders: 3, nullPermutations: 20, seed: 3 };
let lab: MnistLab;
let analysisId = '';
let stored: NetworkCurves;

beforeAll(async () => {
  lab = await mnistCnnLab({ name: 'Network Curves', email: 'network@example.org', password: 'network-password-1x' });
  analysisId = await queueAnalysis(lab, { layers: ['conv1', 'conv2'], options: OPTIONS });
  await completeOnWorker(workers, 'w-network', [analysisId], 480_000);
  const found = await waitFor('the network-wide curves', async () => networkCurvesOf((await db.analysis.findUniqueOrThrow({ where: { id: analysisId } })).summary), 240_000, 500);
  if ('error' in found) throw new Error(`network curves failed: ${found.error}`);
  stored = found;
}, 780_000);

afterAll(workers.stopAll);

const get = (route: { GET: unknown }, query: Record<string, string> = {}) =>
  callRoute(route.GET as never, '/api', { token: lab.token, params: { lab: lab.slug, analysisId }, query });

describe('network-wide deletion curves through the worker, the API and the methods view', () => {
  it('the worker removes channels of both layers in PCACE’s global order and every measure’s, against random orders', () => {
    expect(stored.layers).toEqual([
      { name: 'conv1', channels: 32 },
      { name: 'conv2', channels: 64 },
    ]);
    expect([...new Set(stored.curves.map((c) => c.measure))]).toEqual(['effect', 'mean_ablation_drop', 'mean_ablation_rms', 'ablation_drop', 'mean_abs_activation', 'filter_l1', 'taylor']);
    expect(stored.random!.orders).toBe(3);
    expect(stored.settings).toMatchObject({ images: 40, target_index: 3, removal: 'mean', pcace: 'effect' });
  });

  it('matches what runAnalysis computes for the same spec in one process (the command line)', async () => {
    const row = await db.analysis.findUniqueOrThrow({ where: { id: analysisId }, include: { modelVersion: true, dataset: true } });
    const local = await specFromRow(row as never, 'conv1');
    try {
      const cli = (await runAnalysis({ ...local.spec, layers: ['conv1', 'conv2'] }, { threads: 1, modelThreads: 1 })).network_curves!;
      expect(cli.curves.map((c) => [c.measure, c.direction])).toEqual(stored.curves.map((c) => [c.measure, c.direction]));
      cli.curves.forEach((c, i) => c.rms.forEach((v, j) => expect(v).toBeCloseTo(stored.curves[i].rms[j], 3)));
    } finally {
      await local.release();
    }
  }, 300_000);

  it('the results API and the JSON export carry them; a single layer’s results do not', async () => {
    const res = await get(resultsRoute);
    expect(res.status).toBe(200);
    expect(res.body.network_curves).toEqual(stored);
    expect((await get(resultsRoute, { layer: 'conv1' })).body.network_curves).toBeNull();
    const json = await get(exportRoute, { format: 'json' });
    expect(json.body.network_curves).toEqual(stored);
  });

  it('the methods view’s payload carries them beside the layer’s own curves', async () => {
    const res = await callRoute(methodsRoute.GET as never, '/api', { token: lab.token, params: { lab: lab.slug }, query: { analysis: analysisId, layer: 'conv2' } });
    expect(res.status).toBe(200);
    expect(res.body.network).toEqual(stored);
    expect(res.body.importance.curves.curves.length).toBeGreaterThan(0);
  });
});
