/**
 * Verdicts through the portal's real path: an analysis of the demo MNIST CNN
 * (conv1 + conv2, 100 images) queued through the API and computed by a real
 * worker process on real PostgreSQL. The results API and both exports carry
 * each channel's p, q, network-wide q, beats_noise, effect with its interval,
 * Monte Carlo error and rank confidence set, and each layer's null and
 * verdict rule; the network-wide q-values exist once the analysis completes
 * and are BH over every channel of both layers. An analysis run without a
 * null, and one stored before verdicts existed, carry no verdicts at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, useTestDatabase } from '../helpers/db';
import { completeOnWorker, mnistCnnLab, queueAnalysis, resultLayers, type MnistLab } from '../helpers/lab-fixture';
import { workerPool } from '../helpers/worker-process';
import * as exportRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/export/route';
import { db } from '../../lib/db/client';
import { networkQValues } from '../../lib/pcace/verdicts';
import { saveLayerResult } from '../../lib/queue/result-rows';
import { computePart } from '../../lib/queue/view-parts';
import { CHANNEL_CSV_FIELDS, LAYER_CSV_FIELDS } from '../../lib/server/analysis-export';

const testDb = useTestDatabase();
const workers = workerPool(() => ({ DATABASE_URL: testDb.current.url, STORAGE_DIR: testDb.current.storageDir }));
let lab: MnistLab;
let token = '';
let slug = '';
let versionId = '';
let datasetId = '';
const ids = { calibrated: '', uncalibrated: '' };

beforeAll(async () => {
  lab = await mnistCnnLab({ name: 'Verdicts', email: 'verdicts@example.org', password: 'verdicts-password-1' });
  ({ token, slug, versionId, datasetId } = lab);
  const queue = (options: Record<string, unknown>) => queueAnalysis(lab, { layers: ['conv1', 'conv2'], options });
  // The defaults (a pooled null, BH at 0.05) with a small refit bootstrap for rank confidence sets.
  ids.calibrated = await queue({ images: 100, bootstrap: 10, seed: 3 });
  ids.uncalibrated = await queue({ images: 100, nullPermutations: 0, crossFitRepeats: 1, seed: 3 });
  await completeOnWorker(workers, 'w-verdicts', Object.values(ids), 480_000);
}, 600_000);

afterAll(workers.stopAll);

const getResults = (analysisId: string) => resultLayers(lab, analysisId);

/** CSV text → header and rows as objects (the fields checked here hold no commas or quotes). */
async function csv(analysisId: string) {
  const res = await callRoute(exportRoute.GET as never, '', { token, params: { lab: slug, analysisId }, query: { format: 'csv' } });
  expect(res.status).toBe(200);
  const lines = (res.body as string).trimEnd().split('\r\n');
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((line) => {
    // The rule text is quoted (it has commas): split outside quotes.
    const cells = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
    return Object.fromEntries(header.map((h, i) => [h, cells[i]]));
  });
  return { header, rows };
}

describe('verdicts through the worker, the API and the exports', () => {
  it('the results API carries every channel verdict field and each layer its null and rule', async () => {
    const layers = await getResults(ids.calibrated);
    expect(layers.map((l) => [l.name, l.channels.length])).toEqual([
      ['conv1', 32],
      ['conv2', 64],
    ]);
    for (const l of layers) {
      expect(l.verdict_rule).toMatchObject({ statistic: 'crossfit', correction: 'BH', scope: 'layer', alpha: 0.05, null: { kind: 'permutation', pooled: true } });
      expect(l.verdict_rule!.text).toMatch(/^q < 0\.05 \(BH per layer\) against a pooled permutation null of the cross-fitted score, B = \d+/);
      expect(l.null!.B).toBeGreaterThanOrEqual(20);
      expect(l.null).toMatchObject({ pooled: true });
      for (const k of ['mean', 'sd', 'q50', 'q95', 'q99', 'max'] as const) expect(Number.isFinite(l.null![k])).toBe(true);
      expect(l.null!.q50).toBeLessThanOrEqual(l.null!.q95);
      for (const c of l.channels) {
        expect(c.p_value).toBeGreaterThan(0);
        expect(c.p_value).toBeLessThanOrEqual(1);
        expect(c.q_value).toBeGreaterThanOrEqual(c.p_value!);
        expect(c.beats_noise).toBe(c.q_value! < 0.05);
        expect(Number.isFinite(c.effect)).toBe(true);
        expect(c.effect_ci![0]).toBeLessThanOrEqual(c.effect!);
        expect(c.effect_ci![1]).toBeGreaterThanOrEqual(c.effect!);
        expect(c.mcse).toBeGreaterThanOrEqual(0);
        expect(c.rank_ci![0]).toBeLessThanOrEqual(c.rank_ci![1]);
        expect(c.q_value_network).toBeDefined();
      }
    }
    // The MNIST CNN's class-3 channels are not all noise: some beat it.
    expect(layers.flatMap((l) => l.channels).some((c) => c.beats_noise)).toBe(true);
  });

  it('network-wide q-values, stored at completion, are BH over every channel of both layers', async () => {
    const layers = await getResults(ids.calibrated);
    const expected = networkQValues(
      layers.map((l) => l.channels.map((c) => c.p_value!)),
      { alpha: 0.05, pi0: false },
    );
    layers.forEach((l, i) => l.channels.forEach((c, j) => expect(c.q_value_network).toBeCloseTo(expected[i][j], 12)));
    // One family of 96 channels is not the family of a layer's 32: the network q is its own number, not a copy of the layer q.
    expect(layers[0].channels.some((c) => c.q_value_network !== c.q_value)).toBe(true);
  });

  it('the CSV carries the verdict fields per channel and the rule and null per layer', async () => {
    const { header, rows } = await csv(ids.calibrated);
    expect(header).toEqual(['layer', 'layer_index', 'channel', ...CHANNEL_CSV_FIELDS, ...LAYER_CSV_FIELDS]);
    for (const f of ['p_value', 'q_value', 'q_value_network', 'beats_noise', 'effect', 'effect_ci_low', 'effect_ci_high', 'mcse', 'rank_ci_low', 'rank_ci_high', 'verdict_rule', 'layer_null_B', 'layer_null_q95']) {
      expect(header).toContain(f);
    }
    expect(rows).toHaveLength(96);
    const api = (await getResults(ids.calibrated)).flatMap((l) => l.channels.map((c) => ({ l, c })));
    for (const row of rows) {
      const { l, c } = api.find((x) => x.l.name === row.layer && String(x.c.index) === row.channel)!;
      expect(Number(row.q_value)).toBe(c.q_value);
      expect(Number(row.q_value_network)).toBe(c.q_value_network);
      expect(row.beats_noise).toBe(String(c.beats_noise));
      expect(Number(row.effect_ci_low)).toBe(c.effect_ci![0]);
      expect(Number(row.rank_ci_high)).toBe(c.rank_ci![1]);
      expect(row.verdict_rule).toBe(l.verdict_rule!.text);
      expect(Number(row.layer_null_B)).toBe(l.null!.B);
      expect(row.layer_null_pooled).toBe('true');
    }
  });

  it('the JSON export carries the same layers, rules and nulls', async () => {
    const res = await callRoute(exportRoute.GET as never, '', { token, params: { lab: slug, analysisId: ids.calibrated }, query: { format: 'json' } });
    expect(res.status).toBe(200);
    expect(res.body.complete).toBe(true);
    expect(res.body.layers).toEqual(await getResults(ids.calibrated));
    expect(res.body.layers[1].verdict_rule.text).toMatch(/^q < 0\.05/);
  });

  it('an analysis run without a null has no verdicts, no rule and no network q', async () => {
    const layers = await getResults(ids.uncalibrated);
    expect(layers).toHaveLength(2);
    for (const l of layers) {
      expect(l.verdict_rule).toBeUndefined();
      expect(l.null).toBeUndefined();
      for (const c of l.channels) {
        expect(c.beats_noise).toBeUndefined();
        expect(c.q_value).toBeUndefined();
        expect(c.q_value_network).toBeUndefined();
      }
    }
    const { rows } = await csv(ids.uncalibrated);
    expect(rows.every((r) => r.beats_noise === '' && r.q_value === '' && r.verdict_rule === '' && r.layer_null_B === '')).toBe(true);
  });

  it('a layer stored before verdicts existed reads back without them', async () => {
    const old = await db.analysis.create({
      data: { labId: (await db.lab.findFirstOrThrow({ where: { slug } })).id, createdById: (await db.user.findFirstOrThrow({ where: { email: 'verdicts@example.org' } })).id, modelVersionId: versionId, datasetId, target: { kind: 'class', index: 3 }, layers: ['conv1'], options: { images: 40, permutations: 19 }, status: 'completed' },
    });
    await saveLayerResult(db, old.id, 0, {
      name: 'conv1',
      shape: [40, 1, 26, 26],
      seconds: 1,
      warnings: [],
      channels: [{ index: 0, rank: 1, score_pc1: 0.5, score_multiple: 0.6, rsq: 0.36, score_crossfit: 0.2, p_value: 0.01, components: 5, explained_variance: 0.8, mean_activation: 0.1, max_activation: 1, flags: [] }],
    });
    const [layer] = await getResults(old.id);
    expect(layer.verdict_rule).toBeUndefined();
    expect(layer.channels[0]).toMatchObject({ p_value: 0.01 });
    expect(layer.channels[0].beats_noise).toBeUndefined();
  });

  it("the completing transaction stores the compare views' parts: each layer's verdict counts and sorted scores as the rows say", async () => {
    const stored = await db.analysisView.findMany({ where: { analysisId: ids.calibrated }, orderBy: { key: 'asc' } });
    expect(stored.map((r) => r.key)).toEqual(['architecture-side:v2:score_crossfit', 'architecture-side:v2:score_multiple', 'architecture-side:v2:score_pc1', 'architecture-side:v2:z_score']);
    const { scored, part } = JSON.parse(stored[0].body);
    expect(scored).toBe(96);
    expect(part).toEqual(JSON.parse((await computePart(db, ids.calibrated, 'score_crossfit', 2)).json));
    const layers = await getResults(ids.calibrated);
    expect(part.layers.beatNoise).toEqual(layers.map((l) => l.channels.filter((c) => c.beats_noise).length));
    expect(part.layers.withVerdict).toEqual([32, 64]);
    const conv2 = layers[1].channels.map((c) => c.score_crossfit!).sort((a, b) => b - a);
    expect(part.score.slice(32)).toEqual(conv2.map((v) => Math.round(v * 1e6) / 1e6));
  });
});
