/**
 * Sanity checks through the portal's real path: an analysis of the MNIST CNN
 * (conv1 + conv2, 100 images, sanityChecks on) queued through the API and
 * computed by a real worker process (model edits and runs in its model
 * process) on real PostgreSQL. The results API, the CSV and the JSON export
 * carry each layer's sanity block and each channel's baseline-corrected score
 * and p-value, stored in their own columns; an analysis without the option
 * carries none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, useTestDatabase } from '../helpers/db';
import { completeOnWorker, mnistCnnLab, postAnalysis, resultLayers, type MnistLab } from '../helpers/lab-fixture';
import { workerPool } from '../helpers/worker-process';
import * as exportRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/export/route';
import { db } from '../../lib/db/client';
import type { StoredLayerView } from '../../lib/server/shared/payloads';

const testDb = useTestDatabase();
const workers = workerPool(() => ({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir }));
let lab: MnistLab;
let token = '';
let slug = '';
const ids = { sanity: '', plain: '' };

beforeAll(async () => {
  lab = await mnistCnnLab({ name: 'Sanity', email: 'sanity@example.org', password: 'sanity-password-1x' });
  ({ token, slug } = lab);
  const queue = async (options: Record<string, unknown>) => {
    const body = await postAnalysis(lab, { layers: ['conv1', 'conv2'], options });
    // The estimate prices the option.
    if (options.sanityChecks) expect(body.estimate.breakdown.sanity).toBeGreaterThan(0);
    return body.analysis.id as string;
  };
  ids.sanity = await queue({ images: 100, sanityChecks: true, seed: 2 });
  ids.plain = await queue({ images: 100, seed: 2 });
  await completeOnWorker(workers, 'w-sanity', Object.values(ids), 480_000);
}, 600_000);

afterAll(workers.stopAll);

const getResults = (analysisId: string) => resultLayers(lab, analysisId);

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
