/**
 * Importance measures through the portal's storage and API: a real analysis
 * of the constructed network (importance measures and a null) stored as the
 * worker stores it, then read back through the results API (every measure,
 * the layer's curves and agreement, the global ranking), the JSON and CSV
 * exports, the methods view and the channel page's place on the curves.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { callRoute, useTestDatabase } from '../helpers/db';
import * as resultsRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/results/route';
import * as exportRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/export/route';
import * as methodsRoute from '../../app/api/v1/labs/[lab]/compare/methods/route';
import { seedNetwork } from '../../bench/compare-seed';
import { saveLayerResult } from '../../lib/queue/result-rows';
import { runAnalysis } from '../../lib/analysis/run-analysis';
import type { AnalysisResult } from '../../lib/analysis/types';
import { channelImportance } from '../../lib/server/channel-importance';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { signUp } from '../../lib/server/signup';
import { CONSTRUCTED_TRUTH, constructedSpec, writeConstructedFixture } from '../fixtures/constructed-network';

useTestDatabase();

const MEASURES = ['mean_ablation_drop', 'mean_ablation_rms', 'ablation_drop', 'mean_abs_activation', 'filter_l1', 'taylor', 'conductance'];
const w = { slug: '', token: '', analysisId: '' };
let result: AnalysisResult;

beforeAll(async () => {
  const files = writeConstructedFixture(mkdtempSync(path.join(os.tmpdir(), 'portal-importance-')), 120, 4);
  const spec = constructedSpec(files, { images: 120, ablation: true, conductanceSteps: 2, curveRandomOrders: 4, nullPermutations: 20, crossFitRepeats: 2, crossFitCap: 2 });
  result = await runAnalysis(spec, { threads: 1, modelThreads: 1 });
  const { user, lab } = await signUp({ name: 'Imp Owner', email: 'imp@example.org', password: 'importance-password' }, new Headers());
  Object.assign(w, { slug: lab.slug, token: (await createApiToken(user.id, 't')).token });
  const layers = result.layers.map((l) => [l.name, l.channels.length, l.shape[2]] as [string, number, number]);
  w.analysisId = (await seedNetwork(db, { labId: lab.id, userId: user.id, modelName: 'constructed', layers, classIndex: 0, runSeed: 1, ablation: true })).analysisId;
  // Replace the seeded layers with the real ones, as the worker writes them.
  for (let i = 0; i < result.layers.length; i++) await saveLayerResult(db, w.analysisId, i, result.layers[i]);
}, 180_000);

const get = (route: { GET: unknown }, query: Record<string, string> = {}, params: Record<string, string> = {}) =>
  callRoute(route.GET as never, '/api', { token: w.token, params: { lab: w.slug, analysisId: w.analysisId, ...params }, query });

describe('importance measures in the portal', () => {
  it('the results API returns every measure, each layer’s curves and agreement, and the global ranking', async () => {
    const res = await get(resultsRoute);
    expect(res.status).toBe(200);
    for (const layer of res.body.layers) {
      for (const c of layer.channels) for (const k of MEASURES) expect(typeof c[k], `${layer.name} ${k}`).toBe('number');
      expect(layer.importance.curves.curves).toHaveLength(16);
      expect(layer.importance.agreement.map((a: { measure: string }) => a.measure)).toEqual(MEASURES);
    }
    const g = res.body.global_ranking;
    expect(g.by).toBe('effect');
    expect(g.channels).toHaveLength(result.layers.reduce((s, l) => s + l.channels.length, 0));
    expect(g.channels.map((c: { effect: number }) => c.effect)).toEqual([...g.channels.map((c: { effect: number }) => c.effect)].sort((a: number, b: number) => b - a));
  });

  it('the JSON and CSV exports carry the measures, the curves and the global ranking', async () => {
    const json = await get(exportRoute, { format: 'json' });
    expect(json.status).toBe(200);
    expect(json.body.layers[0].importance.curves.fractions[0]).toBe(0);
    expect(json.body.global_ranking.channels.length).toBeGreaterThan(0);
    const csv = await get(exportRoute, { format: 'csv' });
    const [header, first] = (csv.body as string).split('\r\n');
    // The measure columns come before the layer's (quoted) rule, so a plain split finds them.
    const cells = first.split(',');
    for (const k of MEASURES) expect(cells[header.split(',').indexOf(k)], k).toMatch(/^-?[\d.]+(e-?\d+)?$/);
  });

  it('the methods view shows every measure with PCACE’s agreement and the deletion curves', async () => {
    const res = await get(methodsRoute, { analysis: w.analysisId, layer: 'conv1' });
    expect(res.status).toBe(200);
    const keys = res.body.measures.map((m: { key: string }) => m.key);
    for (const k of MEASURES) expect(keys).toContain(k);
    expect(res.body.importance.agreement).toHaveLength(MEASURES.length);
    expect(res.body.importance.curves.random.orders).toBe(4);
  });

  it("the channel page places the wired channel first on the ablation order and the dead ones last", async () => {
    const layer = await db.layerResult.findFirstOrThrow({ where: { analysisId: w.analysisId, name: 'conv1' } });
    const [wired] = CONSTRUCTED_TRUTH.conv1.wired;
    const view = (await channelImportance(layer, wired))!;
    expect(view.channels).toBe(CONSTRUCTED_TRUTH.conv1.channels);
    expect(view.places.find((p) => p.measure === 'mean_ablation_rms')!.position).toBe(1);
    const dead = (await channelImportance(layer, CONSTRUCTED_TRUTH.conv1.constant[0]))!;
    expect(dead.places.find((p) => p.measure === 'mean_ablation_rms')!.position).toBeGreaterThan(1);
  });
});
