/**
 * Sanity checks through the portal's real path: an analysis of the MNIST CNN
 * (conv1 + conv2, 100 images, sanityChecks on) queued through the API and
 * computed by a real worker process (model edits and runs in its model
 * process) on real PostgreSQL. The results API, the CSV and the JSON export
 * carry each layer's sanity block and each channel's baseline-corrected score
 * and p-value, stored in their own columns; an analysis without the option
 * carries none.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, fileBlob, formOf, useTestDatabase } from '../helpers/db';
import { PIPELINE_DIR } from '../helpers/reference';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import * as analyses from '../../app/api/v1/labs/[lab]/analyses/route';
import * as results from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/results/route';
import * as exportRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/export/route';
import * as models from '../../app/api/v1/labs/[lab]/models/route';
import * as datasets from '../../app/api/v1/labs/[lab]/datasets/route';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { signUp } from '../../lib/server/signup';
import type { StoredLayerView } from '../../lib/server/shared/payloads';

const testDb = useTestDatabase();
let token = '';
let slug = '';
let worker: WorkerProcess | undefined;
const ids = { sanity: '', plain: '' };

beforeAll(async () => {
  const { user, lab } = await signUp({ name: 'Sanity', email: 'sanity@example.org', password: 'sanity-password-1x' }, new Headers());
  slug = lab.slug;
  token = (await createApiToken(user.id, 'tests')).token;
  const m = await callRoute(models.POST as never, '', {
    token,
    params: { lab: slug },
    form: formOf({ name: 'mnist-cnn', file: [fileBlob(readFileSync(`${PIPELINE_DIR}/mnist_cnn.onnx`)), 'm.onnx'] }),
  });
  const d = await callRoute(datasets.POST as never, '', { token, params: { lab: slug }, json: { name: 'threes', kind: 'mnist', digit: 3 } });
  const queue = async (options: Record<string, unknown>) => {
    const res = await callRoute(analyses.POST as never, '', {
      token,
      params: { lab: slug },
      json: { modelVersionId: m.body.version.id, datasetId: d.body.dataset.id, target: { kind: 'class', index: 3 }, layers: ['conv1', 'conv2'], options },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // The estimate prices the option.
    if (options.sanityChecks) expect(res.body.estimate.breakdown.sanity).toBeGreaterThan(0);
    return res.body.analysis.id as string;
  };
  ids.sanity = await queue({ images: 100, sanityChecks: true, seed: 2 });
  ids.plain = await queue({ images: 100, seed: 2 });
  worker = startWorker({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir }, 'w-sanity');
  for (const id of Object.values(ids)) {
    await waitFor(
      `analysis ${id} to complete`,
      async () => {
        const a = await db.analysis.findUniqueOrThrow({ where: { id } });
        if (a.status === 'failed') throw new Error(`analysis failed: ${a.error}\n${worker!.output().slice(-2000)}`);
        return a.status === 'completed';
      },
      480_000,
      500,
    );
  }
}, 600_000);

afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  if (worker) await worker.exited;
});

const getResults = async (analysisId: string) => {
  const res = await callRoute(results.GET as never, '', { token, params: { lab: slug, analysisId } });
  expect(res.status).toBe(200);
  return res.body.layers as StoredLayerView[];
};

describe('sanity checks through the worker, the API and the exports', () => {
  it('the results API carries each layer’s block and each channel’s baseline columns', async () => {
    const layers = await getResults(ids.sanity);
    expect(layers.map((l) => l.name)).toEqual(['conv1', 'conv2']);
    for (const l of layers) {
      const s = l.sanity!;
      expect(s.statistic).toBe('crossfit');
      expect(s.random_filters.count).toBe(16);
      expect(s.random_filters.scores).toHaveLength(16);
      expect(s.random_filters.auc_ci![0]).toBeLessThanOrEqual(s.random_filters.auc!);
      expect(s.random_filters.auc_ci![1]).toBeGreaterThanOrEqual(s.random_filters.auc!);
      expect(s.random_filters.verdict).toMatch(/random filters/);
      expect(s.channels).toHaveLength(16);
      for (const check of [s.cascading, s.independent]) {
        expect(check.scores).toHaveLength(16);
        expect(check.rho).toBeGreaterThanOrEqual(-1);
        expect(check.rho_ci![0]).toBeLessThanOrEqual(check.rho!);
      }
      expect(s.independent.randomised).toEqual([l.name]);
      for (const c of l.channels) {
        expect(c.baseline_p).toBeGreaterThan(0);
        expect(c.baseline_p).toBeLessThanOrEqual(1);
        expect(c.baseline_corrected).toBeCloseTo(c.score_crossfit! - s.random_filters.mean!, 9);
        expect(c.flags.includes('not_above_random_filters')).toBe(!(c.baseline_q! < 0.05));
      }
    }
    expect((await getResults(ids.sanity))[0].sanity!.cascading.randomised).toEqual(['conv2', '/fc1/Gemm', '/fc2/Gemm']);
    const stored = await db.channelResult.findMany({ where: { layerResult: { analysisId: ids.sanity } } });
    expect(stored.every((r) => r.baselineP !== null && r.baselineCorrected !== null)).toBe(true);
  });

  it('an analysis without the option carries none', async () => {
    for (const l of await getResults(ids.plain)) {
      expect(l.sanity).toBeUndefined();
      for (const c of l.channels) expect(c.baseline_p).toBeUndefined();
    }
  });

  it('the CSV and the JSON export carry them too', async () => {
    const res = await callRoute(exportRoute.GET as never, '', { token, params: { lab: slug, analysisId: ids.sanity }, query: { format: 'csv' } });
    const lines = (res.body as string).trimEnd().split('\r\n');
    const header = lines[0].split(',');
    for (const f of ['baseline_corrected', 'baseline_p', 'baseline_q', 'random_filter_auc', 'random_filter_auc_ci_low', 'random_filter_verdict', 'cascading_rho', 'independent_rho_ci_high']) {
      expect(header).toContain(f);
    }
    const api = await getResults(ids.sanity);
    // The verdict rule's text is quoted (it has commas): split outside quotes.
    const cells = lines[1].match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
    const first = Object.fromEntries(header.map((h, i) => [h, cells[i]]));
    const layer = api.find((l) => l.name === first.layer)!;
    expect(Number(first.random_filter_auc)).toBe(layer.sanity!.random_filters.auc);
    expect(Number(first.cascading_rho)).toBe(layer.sanity!.cascading.rho);
    const channel = layer.channels.find((c) => String(c.index) === first.channel)!;
    expect(Number(first.baseline_p)).toBe(channel.baseline_p);
    const json = await callRoute(exportRoute.GET as never, '', { token, params: { lab: slug, analysisId: ids.sanity }, query: { format: 'json' } });
    expect((json.body as { layers: StoredLayerView[] }).layers.map((l: StoredLayerView) => l.sanity)).toEqual(api.map((l) => l.sanity));
  });
});
