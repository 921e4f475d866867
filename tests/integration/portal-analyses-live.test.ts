/**
 * What the analysis page reads and offers: the progress endpoint it polls
 * (small, uncached, per-layer tasks), the result exports (CSV and JSON,
 * partial while running), and the "new analysis" form action (every option,
 * errors per field). Access: another lab's ids → 404, a viewer reads,
 * signed-out → 401, a viewer cannot queue.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, callRoute, fileBlob, formOf, sessionCookie, useTestDatabase } from '../helpers/db';
import { PIPELINE_DIR } from '../helpers/reference';
import type { LayerResult } from '../../lib/analysis/types';
import * as analyses from '../../app/api/v1/labs/[lab]/analyses/route';
import * as progressRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/progress/route';
import * as exportRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/export/route';
import * as models from '../../app/api/v1/labs/[lab]/models/route';
import * as datasets from '../../app/api/v1/labs/[lab]/datasets/route';
import { queueAnalysisAction } from '../../app/labs/[lab]/analyses/new/actions';
import { CHANNEL_CSV_FIELDS, LAYER_CSV_FIELDS } from '../../lib/server/analysis-export';
import { saveLayerResult } from '../../lib/queue/result-rows';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { signUp } from '../../lib/server/signup';

useTestDatabase();

const who = { owner: { id: '', token: '' }, viewer: { id: '', token: '' }, other: { id: '', token: '' } };
let slug = '';
let otherSlug = '';
let versionId = '';
let datasetId = '';
let analysisId = '';
let otherAnalysisId = '';

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** The raw Response (headers and text), which callRoute does not keep. */
async function raw(handler: Handler, params: Record<string, string>, opts: { token?: string; cookie?: string; query?: Record<string, string> } = {}) {
  const url = new URL('http://localhost:3000/x');
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const headers = new Headers();
  if (opts.token) headers.set('authorization', `Bearer ${opts.token}`);
  if (opts.cookie) headers.set('cookie', opts.cookie);
  const res = await handler(new Request(url, { headers }), { params: Promise.resolve(params) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const layer = (name: string, channels: LayerResult['channels']): LayerResult => ({ name, shape: [60, channels.length, 24, 24], kernel: [3, 3], seconds: 1.5, warnings: [], channels });
const CONV1: LayerResult['channels'] = [
  { index: 0, rank: 2, score_pc1: 0.25, score_multiple: 0.5, rsq: 0.25, score_crossfit: -0.02, p_value: 0.4, z_score: 0.1, components: 5, explained_variance: 0.7, mean_activation: 0.1, max_activation: 1, weight_mean: -0.01, reverse: true, flags: [] },
  { index: 1, rank: 1, score_pc1: 0.75, score_multiple: 0.9, rsq: 0.81, score_crossfit: 0.6, p_value: 0.01, z_score: 3.2, rank_p05: 1, rank_p95: 2, components: 5, explained_variance: 0.8, mean_activation: 0.2, max_activation: 2, ablation_drop: 0.125, flags: ['components_capped'] },
];

beforeAll(async () => {
  const a = await signUp({ name: 'Owner', email: 'owner@example.org', password: 'owner-password' }, new Headers());
  slug = a.lab.slug;
  who.owner = { id: a.user.id, token: (await createApiToken(a.user.id, 't')).token };
  const viewer = await db.user.create({ data: { email: 'viewer@example.org', name: 'Viewer', passwordHash: 'x' } });
  await db.membership.create({ data: { labId: a.lab.id, userId: viewer.id, role: 'viewer' } });
  who.viewer = { id: viewer.id, token: (await createApiToken(viewer.id, 't')).token };
  const b = await signUp({ name: 'Other', email: 'other@example.org', password: 'other-password' }, new Headers());
  otherSlug = b.lab.slug;
  who.other = { id: b.user.id, token: (await createApiToken(b.user.id, 't')).token };

  const onnx = readFileSync(`${PIPELINE_DIR}/mnist_cnn.onnx`);
  for (const [lab, token] of [
    [slug, who.owner.token],
    [otherSlug, who.other.token],
  ] as const) {
    const m = await callRoute(models.POST as never, '', { token, params: { lab }, form: formOf({ name: 'mnist-cnn', file: [fileBlob(onnx), 'm.onnx'] }) });
    const d = await callRoute(datasets.POST as never, '', { token, params: { lab }, json: { name: 'threes', kind: 'mnist', digit: 3 } });
    const res = await callRoute(analyses.POST as never, '', { token, params: { lab }, json: { modelVersionId: m.body.version.id, datasetId: d.body.dataset.id, target: { kind: 'class', index: 3 } } });
    expect(res.status).toBe(201);
    if (lab === slug) {
      versionId = m.body.version.id;
      datasetId = d.body.dataset.id;
      analysisId = res.body.analysis.id;
    } else otherAnalysisId = res.body.analysis.id;
  }
});

describe('progress endpoint', () => {
  it('reports a queued analysis with its layer tasks, uncached and small', async () => {
    const res = await raw(progressRoute.GET as never, { lab: slug, analysisId }, { token: who.owner.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { progress } = JSON.parse(res.text);
    expect(progress).toMatchObject({ id: analysisId, status: 'queued', progress: 0, currentLayer: null, etaSeconds: null, error: null, cancelRequested: false });
    expect(progress.layers).toEqual([
      { name: 'conv1', index: 0, channels: 32, status: 'queued', progress: 0, error: null },
      { name: 'conv2', index: 1, channels: 64, status: 'queued', progress: 0, error: null },
    ]);
    // Polled every second by every open page: no results in it.
    expect(res.text.length).toBeLessThan(800);
  });

  it('follows the worker: running, per-layer progress, current layer, ETA, landed layers', async () => {
    await db.analysis.update({ where: { id: analysisId }, data: { status: 'running', startedAt: new Date(), progress: 0.5, currentLayer: 'conv2', etaSeconds: 12 } });
    await db.layerTask.updateMany({ where: { analysisId, layerName: 'conv1' }, data: { status: 'completed', progress: 1 } });
    await db.layerTask.updateMany({ where: { analysisId, layerName: 'conv2' }, data: { status: 'running', progress: 0.25, error: 'worker restarted' } });
    await saveLayerResult(db, analysisId, 0, layer('conv1', CONV1));
    const { body } = await callRoute(progressRoute.GET as never, '', { token: who.viewer.token, params: { lab: slug, analysisId } });
    expect(body.progress).toMatchObject({ status: 'running', progress: 0.5, currentLayer: 'conv2', etaSeconds: 12 });
    expect(body.progress.layers.map((l: { status: string; progress: number }) => [l.status, l.progress])).toEqual([
      ['completed', 1],
      ['running', 0.25],
    ]);
    expect(body.progress.layers[1].error).toBe('worker restarted');
  });
});

describe('exports', () => {
  it('JSON: the stored layers in the lib/analysis shape, marked incomplete while running', async () => {
    const res = await raw(exportRoute.GET as never, { lab: slug, analysisId }, { token: who.owner.token, query: { format: 'json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="analysis-${analysisId}.json"`);
    expect(res.headers.get('x-results-complete')).toBe('false');
    const body = JSON.parse(res.text);
    expect(body).toMatchObject({ complete: false, layersDone: 1, layersTotal: 2, analysis: { id: analysisId, status: 'running', target: { kind: 'class', index: 3 }, model: { name: 'mnist-cnn', version: 1 } } });
    expect(body.layers).toHaveLength(1);
    expect(body.layers[0].channels).toEqual([CONV1[1], CONV1[0]]);
  });

  it('CSV: one row per channel with every field, quoted safely', async () => {
    // A layer name a spreadsheet would run as a formula, with a comma and a quote in it.
    await saveLayerResult(db, analysisId, 1, layer('=conv,"2"', [{ ...CONV1[1], index: 7, rank: 1 }]));
    const res = await raw(exportRoute.GET as never, { lab: slug, analysisId }, { token: who.viewer.token, query: { format: 'csv' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="analysis-${analysisId}.csv"`);
    const lines = res.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(['layer', 'layer_index', 'channel', ...CHANNEL_CSV_FIELDS, ...LAYER_CSV_FIELDS].join(','));
    expect(lines).toHaveLength(4);
    const cols = lines[0].split(',');
    const row = Object.fromEntries(lines[1].split(',').map((v, i) => [cols[i], v]));
    expect(row).toMatchObject({ layer: 'conv1', layer_index: '0', channel: '1', rank: '1', score_pc1: '0.75', score_crossfit: '0.6', p_value: '0.01', rank_p05: '1', ablation_drop: '0.125', weight_mean: '', flags: 'components_capped' });
    expect(lines[2].startsWith('conv1,0,0,2,0.25,0.5,0.25,-0.02,')).toBe(true);
    expect(lines[2]).toContain(',true,'); // reverse
    expect(lines[3].startsWith(`"'=conv,""2""",1,7,1,`)).toBe(true);
    await db.layerResult.deleteMany({ where: { analysisId, index: 1 } });
  });

  it('refuses an unknown format; defaults to JSON', async () => {
    const bad = await callRoute(exportRoute.GET as never, '', { token: who.owner.token, params: { lab: slug, analysisId }, query: { format: 'xlsx' } });
    expect(bad).toMatchObject({ status: 400, body: { error: 'format must be one of json, csv' } });
    const plain = await raw(exportRoute.GET as never, { lab: slug, analysisId }, { token: who.owner.token });
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('says complete once every layer is stored and the analysis completed', async () => {
    await saveLayerResult(db, analysisId, 1, layer('conv2', [{ ...CONV1[1], index: 3, rank: 1 }]));
    await db.layerTask.updateMany({ where: { analysisId }, data: { status: 'completed', progress: 1, error: null } });
    await db.analysis.update({ where: { id: analysisId }, data: { status: 'completed', progress: 1, finishedAt: new Date() } });
    const res = await raw(exportRoute.GET as never, { lab: slug, analysisId }, { token: who.owner.token });
    expect(res.headers.get('x-results-complete')).toBe('true');
    expect(JSON.parse(res.text)).toMatchObject({ complete: true, layersDone: 2, layersTotal: 2 });
  });
});

describe('access to progress and exports', () => {
  const routes = [
    ['progress', progressRoute.GET],
    ['export csv', exportRoute.GET, { format: 'csv' }],
    ['export json', exportRoute.GET, { format: 'json' }],
  ] as const;

  it("another lab's analysis is not found, by its lab's address or under your own", async () => {
    for (const [name, handler, query] of routes) {
      for (const params of [
        { lab: otherSlug, analysisId: otherAnalysisId },
        { lab: slug, analysisId: otherAnalysisId },
      ]) {
        for (const creds of [{ token: who.owner.token }, { cookie: await sessionCookie(who.owner.id) }]) {
          const res = await callRoute(handler as never, '', { ...creds, params, query: query ? { ...query } : undefined });
          expect(res.status, `${name} ${JSON.stringify(params)}`).toBe(404);
        }
      }
    }
  });

  it('a viewer reads them (token or session); nobody signed in gets 401', async () => {
    for (const [name, handler, query] of routes) {
      const params = { lab: slug, analysisId };
      const q = query ? { ...query } : undefined;
      expect((await callRoute(handler as never, '', { token: who.viewer.token, params, query: q })).status, name).toBe(200);
      expect((await callRoute(handler as never, '', { cookie: await sessionCookie(who.viewer.id), params, query: q })).status, name).toBe(200);
      expect((await callRoute(handler as never, '', { params, query: q })).status, name).toBe(401);
      expect((await callRoute(handler as never, '', { token: 'pcl_not-a-real-token-at-all-000000000000', params, query: q })).status, name).toBe(401);
    }
  });
});

describe('the new-analysis form action', () => {
  const form = (fields: Record<string, string | string[]>) => {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) f.append(k, x);
    return f;
  };
  const base = () => ({ lab: slug, modelVersionId: versionId, datasetId, targetKind: 'class', classIndex: '3' });

  it('queues an analysis with every option through createAnalysis', async () => {
    await actAs(who.owner.id);
    const res = await queueAnalysisAction(
      null,
      form({
        ...base(),
        title: 'all options',
        layerMode: 'pick',
        layers: ['conv2'],
        images: '60',
        componentsMode: 'fraction',
        componentsFraction: '0.9',
        flavour: 'pcace-2021',
        rankBy: 'z_pc1',
        permutations: '5',
        crossFitRepeats: '0',
        bootstrap: '10',
        stability: '3, half 0.8',
        seed: '42',
        ablation: 'true',
      }),
    );
    expect(res).toMatchObject({ ok: true });
    const a = await db.analysis.findUniqueOrThrow({ where: { id: (res as { data: { id: string } }).data.id }, include: { layerTasks: true } });
    expect(a).toMatchObject({ title: 'all options', status: 'queued', layers: ['conv2'], target: { kind: 'class', index: 3 } });
    expect(a.options).toEqual({
      images: 60,
      components: { varianceFraction: 0.9 },
      flavour: 'pcace-2021',
      rankBy: 'z_pc1',
      permutations: 5,
      crossFitRepeats: 0,
      bootstrap: 10,
      stabilityComponents: [3, 'half', { varianceFraction: 0.8 }],
      seed: 42,
      ablation: true,
      // Not on the form's post: the declared defaults, stored with the rest (lib/analysis/options.ts withDefaults).
      conductanceSteps: 8,
      curveRandomOrders: 10,
      crossFitCap: 20,
      nullPermutations: 'auto',
      perChannelNull: false,
      alpha: 0.05,
      pi0: false,
      retest: false,
      sanityChecks: false,
    });
    expect(a.layerTasks.map((t) => t.layerName)).toEqual(['conv2']);
  });

  it('regression on an output; all layers when the form says so', async () => {
    await actAs(who.owner.id);
    const res = await queueAnalysisAction(null, form({ ...base(), targetKind: 'regression', regressionSource: 'output', outputIndex: '2', layerMode: 'all', layers: ['conv1', 'conv2'], componentsMode: 'half' }));
    const a = await db.analysis.findUniqueOrThrow({ where: { id: (res as { data: { id: string } }).data.id } });
    expect(a).toMatchObject({ layers: 'all', target: { kind: 'regression', source: 'output', index: 2 } });
    expect(a.options).toMatchObject({ components: 'half', images: 300, rankBy: 'crossfit' });
  });

  it('returns errors per field, checked before and by createAnalysis', async () => {
    await actAs(who.owner.id);
    const before = await db.analysis.count();
    const local = await queueAnalysisAction(null, form({ ...base(), images: '5', rankBy: 'z_multiple', permutations: '0', layerMode: 'pick', componentsMode: 'k', componentsK: 'five', stability: '3, 1.5' }));
    expect(local).toMatchObject({ ok: false, status: 400 });
    expect((local as { fields: Record<string, string> }).fields).toEqual({
      images: 'must be between 10 and 100,000',
      rankBy: 'ranking by z_multiple needs permutations ≥ 2: the z is measured against the permutation null',
      layers: 'choose at least one layer',
      components: "'five' is not an integer, 'half' or a fraction like 0.9",
      stability: "'1.5' is not an integer, 'half' or a fraction like 0.9",
    });
    // Only the server knows the model has 10 outputs and its layer names.
    const server = await queueAnalysisAction(null, form({ ...base(), classIndex: '10' }));
    expect(server).toMatchObject({ ok: false, status: 400, fields: { classIndex: 'target class index 10 is out of range: the model has 10 outputs' } });
    const layers = await queueAnalysisAction(null, form({ ...base(), layerMode: 'pick', layers: 'conv9' }));
    expect(layers).toMatchObject({ ok: false, status: 400, fields: { layers: expect.stringMatching(/unknown layer 'conv9'/) } });
    expect(await db.analysis.count()).toBe(before);
  });

  it('is refused to viewers (403), other labs (404) and the signed-out (401)', async () => {
    const before = await db.analysis.count();
    await actAs(who.viewer.id);
    expect(await queueAnalysisAction(null, form(base()))).toMatchObject({ ok: false, status: 403 });
    // Even invalid input answers with the access decision first.
    expect(await queueAnalysisAction(null, form({ ...base(), images: '1' }))).toMatchObject({ ok: false, status: 403 });
    await actAs(who.other.id);
    expect(await queueAnalysisAction(null, form(base()))).toMatchObject({ ok: false, status: 404 });
    await actAs(null);
    expect(await queueAnalysisAction(null, form(base()))).toMatchObject({ ok: false, status: 401 });
    expect(await db.analysis.count()).toBe(before);
  });
});

describe('option combinations the worker would refuse', () => {
  it('are refused when the analysis is created', async () => {
    const create = (options: unknown) =>
      callRoute(analyses.POST as never, '', { token: who.owner.token, params: { lab: slug }, json: { modelVersionId: versionId, datasetId, target: { kind: 'class', index: 3 }, options } });
    expect((await create({ rankBy: 'z_pc1' })).body.error).toMatch(/ranking by z_pc1 needs permutations ≥ 2/);
    expect((await create({ rankBy: 'crossfit', crossFitRepeats: 0 })).body.error).toMatch(/needs cross-fit repeats ≥ 1/);
    expect((await create({ rankBy: 'z_pc1', permutations: 2 })).status).toBe(201);
  });
});
