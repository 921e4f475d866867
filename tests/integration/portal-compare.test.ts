/**
 * The compare data API on synthetic analyses stored through saveLayerResult:
 * each view's numbers checked against lib/pcace/ranking on the stored
 * channels, plus access (other labs' ids → 404, viewers read, signed-out 401)
 * and parameter validation (400 with a message).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { callRoute, sessionCookie, useTestDatabase } from '../helpers/db';
import * as candidatesRoute from '../../app/api/v1/labs/[lab]/compare/route';
import * as archRoute from '../../app/api/v1/labs/[lab]/compare/architectures/route';
import * as classesRoute from '../../app/api/v1/labs/[lab]/compare/classes/route';
import * as runsRoute from '../../app/api/v1/labs/[lab]/compare/runs/route';
import * as methodsRoute from '../../app/api/v1/labs/[lab]/compare/methods/route';
import { seedNetwork, syntheticLayer, type SeedNetwork } from '../../bench/compare-seed';
import { saveLayerResult } from '../../lib/queue/result-rows';
import { architectureKey, computePart, storeViewParts } from '../../lib/queue/view-parts';
import { loadAnalysesWithViews } from '../../lib/server/compare';
import { setEnv } from '../helpers/env';
import { ordinalRanks, spearman, topKOverlap } from '../../lib/pcace/ranking';
import { disattenuatedCorrelation } from '../../lib/pcace/reliability';
import { kendallOrNull } from '../../lib/server/compare-stats';
import { analysisResults } from '../../lib/server/analysis-results';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { signUp } from '../../lib/server/signup';

useTestDatabase();

const NET_A: SeedNetwork['layers'] = [
  ['conv1', 16, 28],
  ['conv2', 32, 14],
  ['conv3', 32, 7],
  ['conv4', 48, 4],
];
const NET_B: SeedNetwork['layers'] = [
  ['features.0', 24, 28],
  ['features.3', 40, 14],
];

const w = { slug: '', labId: '', token: '', viewerToken: '', viewerId: '', otherSlug: '', otherToken: '', otherAnalysis: '' };
const ids = { a0: '', a0run2: '', a1: '', a2: '', b0: '', abl: '', otherVersion: '' };

beforeAll(async () => {
  const { user, lab } = await signUp({ name: 'Cmp Owner', email: 'cmp@example.org', password: 'compare-password' }, new Headers());
  Object.assign(w, { slug: lab.slug, labId: lab.id, token: (await createApiToken(user.id, 't')).token });
  const viewer = await db.user.create({ data: { email: 'cmp-viewer@example.org', name: 'Viewer' } });
  await db.membership.create({ data: { labId: lab.id, userId: viewer.id, role: 'viewer' } });
  w.viewerId = viewer.id;
  w.viewerToken = (await createApiToken(viewer.id, 't')).token;
  const base = { labId: lab.id, userId: user.id };
  ids.a0 = (await seedNetwork(db, { ...base, modelName: 'resnet', layers: NET_A, classIndex: 0, runSeed: 1, permutations: 99 })).analysisId;
  ids.a0run2 = (await seedNetwork(db, { ...base, modelName: 'resnet', layers: NET_A, classIndex: 0, runSeed: 2, images: 500 })).analysisId;
  ids.a1 = (await seedNetwork(db, { ...base, modelName: 'resnet', layers: NET_A, classIndex: 1, runSeed: 1 })).analysisId;
  ids.a2 = (await seedNetwork(db, { ...base, modelName: 'resnet', layers: NET_A, classIndex: 2, runSeed: 1 })).analysisId;
  ids.b0 = (await seedNetwork(db, { ...base, modelName: 'vgg', layers: NET_B, classIndex: 0, runSeed: 1 })).analysisId;
  ids.abl = (await seedNetwork(db, { ...base, modelName: 'resnet', layers: NET_A, classIndex: 3, runSeed: 3, ablation: true })).analysisId;
  // The same model, a second version: classes need one version.
  const mv = await db.modelVersion.findFirstOrThrow({ where: { model: { labId: lab.id, name: 'resnet' } } });
  const v2 = await db.modelVersion.create({ data: { ...mv, id: undefined, version: 2, layers: mv.layers as object, inputShape: mv.inputShape as object, outputShape: mv.outputShape as object, preprocessing: undefined, modelCard: undefined } });
  const a = await db.analysis.findUniqueOrThrow({ where: { id: ids.a1 } });
  ids.otherVersion = (await db.analysis.create({ data: { ...a, id: undefined, modelVersionId: v2.id, target: { kind: 'class', index: 5 }, options: a.options as object, layers: 'all', summary: undefined } })).id;
  for (let i = 0; i < NET_A.length; i++) await saveLayerResult(db, ids.otherVersion, i, syntheticLayer({ ...base, modelName: 'resnet', layers: NET_A, classIndex: 5, runSeed: 1 }, i));

  const other = await signUp({ name: 'Other', email: 'other@example.org', password: 'other-password' }, new Headers());
  w.otherSlug = other.lab.slug;
  w.otherToken = (await createApiToken(other.user.id, 't')).token;
  w.otherAnalysis = (await seedNetwork(db, { labId: other.lab.id, userId: other.user.id, modelName: 'resnet', layers: NET_A, classIndex: 0, runSeed: 1 })).analysisId;
});

type Handler = (typeof archRoute)['GET'];
const get = (route: { GET: Handler }, query: Record<string, string>, opts: { token?: string; slug?: string; cookie?: string } = {}) =>
  callRoute(route.GET as never, '/api', { token: opts.cookie ? undefined : (opts.token ?? w.token), cookie: opts.cookie, params: { lab: opts.slug ?? w.slug }, query });

/** A layer's stored scores (cross-fitted, the analyses' rankBy) by channel index. */
async function stored(analysisId: string, layer: string): Promise<Float64Array> {
  const res = await analysisResults(w.labId, analysisId, { layer });
  const out = new Float64Array(res.layers[0].channels.length);
  for (const c of res.layers[0].channels) out[c.index] = c.score_crossfit!;
  return out;
}

describe('compare candidates', () => {
  it('lists the completed analyses with their layers', async () => {
    const res = await get(candidatesRoute, {});
    expect(res.status).toBe(200);
    expect(res.body.analyses).toHaveLength(7);
    const a0 = res.body.analyses.find((a: { id: string }) => a.id === ids.a0);
    expect(a0).toMatchObject({ status: 'completed', targetLabel: 'class 0', layers: ['conv1', 'conv2', 'conv3', 'conv4'], channels: 128, model: { name: 'resnet', version: 1, layerCount: 4 }, scoreField: 'score_crossfit' });
  });
});

describe('compare architectures', () => {
  it('puts both networks on a relative-depth axis with sorted scores, boxes and a summary', async () => {
    const res = await get(archRoute, { a: ids.a0, b: ids.b0 });
    expect(res.status).toBe(200);
    const [a, b] = res.body.sides;
    expect(a.layers.name).toEqual(['conv1', 'conv2', 'conv3', 'conv4']);
    expect(a.layers.depth).toEqual([0.25, 0.5, 0.75, 1]);
    expect(b.layers.depth).toEqual([0.5, 1]);
    expect(a.layers.n).toEqual([16, 32, 32, 48]);
    expect(a.score).toHaveLength(128);
    expect(b.channel).toHaveLength(64);
    // Per layer: descending scores that are exactly the stored ones (to 6 decimals).
    let offset = 0;
    for (let l = 0; l < 4; l++) {
      const n = a.layers.n[l];
      const scores = a.score.slice(offset, offset + n);
      const channels = a.channel.slice(offset, offset + n);
      expect([...scores].sort((x: number, y: number) => y - x)).toEqual(scores);
      const truth = await stored(ids.a0, a.layers.name[l]);
      channels.forEach((c: number, i: number) => expect(scores[i]).toBeCloseTo(truth[c], 6));
      // Each channel's stored verdict, in the curve's order (the chart dashes the ≈ noise stretches).
      const layer = (await analysisResults(w.labId, ids.a0, { layer: a.layers.name[l] })).layers[0];
      const verdictOf = new Map(layer.channels.map((c) => [c.index, c.beats_noise]));
      expect(a.beats.slice(offset, offset + n)).toEqual(channels.map((c: number) => verdictOf.get(c)));
      expect(a.layers.max[l]).toBeCloseTo(Math.max(...truth), 6);
      expect(a.layers.q1[l]).toBeLessThanOrEqual(a.layers.median[l]);
      expect(a.layers.median[l]).toBeLessThanOrEqual(a.layers.q3[l]);
      expect(a.layers.lo[l]).toBeGreaterThanOrEqual(a.layers.min[l]);
      expect(a.layers.hi[l]).toBeLessThanOrEqual(a.layers.max[l]);
      offset += n;
    }
    // Verdicts: a0 has a null and a rule per layer, b0 none ("not calibrated": no share at all, never p < 0.05 or score > 0).
    const verdicts = (await analysisResults(w.labId, ids.a0)).layers.flatMap((l) => l.channels.map((c) => c.beats_noise));
    expect(verdicts.every((v) => typeof v === 'boolean')).toBe(true);
    const beats = verdicts.filter(Boolean).length;
    expect(beats).toBeGreaterThan(0);
    expect(beats).toBeLessThan(128);
    expect(a.summary).toMatchObject({ layers: 4, channels: 128, withVerdict: 128 });
    expect(a.summary.beatNoise).toBeCloseTo(beats / 128, 6);
    expect(a.summary.rule).toMatch(/^q < 0\.05 \(BH per layer\) against a pooled permutation null of the cross-fitted score, B = 99/);
    expect(a.layers.rule).toHaveLength(4);
    expect(a.summary.ruleShort).toBe('q < 0.05, BH per layer');
    expect(b.summary).toMatchObject({ withVerdict: 0, beatNoise: null, rule: null, ruleShort: null });
    expect(b.layers.rule).toEqual([null, null]);
    expect(b.beats).toEqual(new Array(64).fill(null));
    expect(a.summary.max).toBe(Math.max(...a.layers.max));
  });

  it('ranks by another score on request, and says when an analysis lacks it', async () => {
    const res = await get(archRoute, { a: ids.a0, b: ids.b0, score: 'multiple' });
    expect(res.status).toBe(200);
    expect(res.body.sides[0].analysis.scoreField).toBe('score_multiple');
    const z = await get(archRoute, { a: ids.a0, b: ids.b0, score: 'z' });
    expect(z.status).toBe(400);
    expect(z.body.error).toMatch(/has no z_score: it ran without a permutation test/);
  });

  it('marks cached views no-transform (Next.js would gzip them on every request) and computed ones not', async () => {
    const handler = archRoute.GET as unknown as (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
    const res = await handler(new Request(`http://localhost/api?a=${ids.a0}&b=${ids.b0}`, { headers: { authorization: `Bearer ${w.token}` } }), { params: Promise.resolve({ lab: w.slug }) });
    expect(res.headers.get('cache-control')).toBe('private, no-cache, no-transform');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('does not cache analyses that are still running', async () => {
    const running = await db.analysis.create({
      data: { labId: w.labId, modelVersionId: (await db.analysis.findUniqueOrThrow({ where: { id: ids.b0 } })).modelVersionId, datasetId: (await db.dataset.findFirstOrThrow({ where: { labId: w.labId } })).id, target: { kind: 'class', index: 0 }, layers: 'all', options: {}, status: 'running', createdById: w.viewerId },
    });
    const opts: SeedNetwork = { labId: w.labId, userId: w.viewerId, modelName: 'vgg', layers: NET_B, classIndex: 0, runSeed: 9 };
    await saveLayerResult(db, running.id, 0, syntheticLayer(opts, 0));
    const first = await get(archRoute, { a: ids.a0, b: running.id });
    expect(first.body.sides[1].layers.name).toEqual(['features.0']);
    await saveLayerResult(db, running.id, 1, syntheticLayer(opts, 1));
    const second = await get(archRoute, { a: ids.a0, b: running.id });
    expect(second.body.sides[1].layers.name).toEqual(['features.0', 'features.3']);
    expect(second.body.sides[1].analysis.status).toBe('running');
    const raw = await (archRoute.GET as unknown as (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>)(
      new Request(`http://localhost/api?a=${ids.a0}&b=${running.id}`, { headers: { authorization: `Bearer ${w.token}` } }),
      { params: Promise.resolve({ lab: w.slug }) },
    );
    expect(raw.headers.get('cache-control')).toBe('private, no-cache');
    await db.analysis.delete({ where: { id: running.id } });
  });

  it("serves a completed analysis' side from its stored part (stored on first use when it completed before parts existed); a running one is computed live and stores none", async () => {
    const restore = setEnv({ PCACE_COMPARE_CACHE_MB: '0' });
    try {
      const keys = async (id: string) => (await db.analysisView.findMany({ where: { analysisId: id }, select: { key: true } })).map((r) => r.key).sort();
      const fresh = await get(archRoute, { a: ids.a2, b: ids.b0 });
      expect(fresh.status).toBe(200);
      const all = ['architecture-side:v2:score_crossfit', 'architecture-side:v2:score_multiple', 'architecture-side:v2:score_pc1', 'architecture-side:v2:z_score'];
      expect(await keys(ids.a2)).toEqual(all);
      // The stored part is the one computed from the channel rows now.
      const info = fresh.body.sides[0].analysis;
      const live = await computePart(db, ids.a2, 'score_crossfit', info.model.layerCount);
      const { analysis, ...part } = fresh.body.sides[0];
      expect(analysis.id).toBe(ids.a2);
      expect(part).toEqual(JSON.parse(live.json));
      // What is served is the stored text: a changed part shows (never in practice: completed results do not change).
      const row = await db.analysisView.findUniqueOrThrow({ where: { analysisId_key: { analysisId: ids.a2, key: 'architecture-side:v2:score_crossfit' } } });
      await db.analysisView.update({ where: { analysisId_key: { analysisId: ids.a2, key: row.key } }, data: { body: row.body.replace('"summary":{"layers":4', '"summary":{"layers":44') } });
      expect((await get(archRoute, { a: ids.a2, b: ids.b0 })).body.sides[0].summary.layers).toBe(44);
      await db.analysisView.update({ where: { analysisId_key: { analysisId: ids.a2, key: row.key } }, data: { body: row.body } });
      expect((await get(archRoute, { a: ids.a2, b: ids.b0 })).body).toEqual(fresh.body);

      const running = await db.analysis.create({
        data: { labId: w.labId, modelVersionId: (await db.analysis.findUniqueOrThrow({ where: { id: ids.b0 } })).modelVersionId, datasetId: (await db.dataset.findFirstOrThrow({ where: { labId: w.labId } })).id, target: { kind: 'class', index: 0 }, layers: 'all', options: {}, status: 'running', createdById: w.viewerId },
      });
      await saveLayerResult(db, running.id, 0, syntheticLayer({ labId: w.labId, userId: w.viewerId, modelName: 'vgg', layers: NET_B, classIndex: 0, runSeed: 8 }, 0));
      const res = await get(archRoute, { a: ids.a2, b: running.id });
      expect(res.body.sides[1].layers.name).toEqual(['features.0']);
      expect(await keys(running.id)).toEqual([]);
      await db.analysis.delete({ where: { id: running.id } });
    } finally {
      restore();
    }
  });
});

describe('stored parts read with the analyses', () => {
  it("picks, in SQL, the part of the score field scoreField() gives for each rankBy under 'auto'", async () => {
    await storeViewParts(db, ids.a2);
    const before = await db.analysis.findUniqueOrThrow({ where: { id: ids.a2 } });
    try {
      for (const rankBy of ['pc1', 'multiple', 'crossfit', 'z_pc1', 'z_multiple', 'something else', 7]) {
        await db.analysis.update({ where: { id: ids.a2 }, data: { options: { ...(before.options as object), rankBy } } });
        for (const score of ['auto', 'crossfit', 'multiple', 'pc1', 'z'] as const) {
          const { infos, views } = await loadAnalysesWithViews(w.labId, [ids.a2, ids.b0], score, architectureKey);
          const key = architectureKey(infos[0].scoreField);
          const row = await db.analysisView.findUniqueOrThrow({ where: { analysisId_key: { analysisId: ids.a2, key } } });
          expect(views.get(ids.a2), `${score} with rankBy ${rankBy}`).toBe(row.body);
        }
      }
    } finally {
      await db.analysis.update({ where: { id: ids.a2 }, data: { options: before.options as object } });
    }
  });
});

describe('compare classes', () => {
  it('gives the class × class Spearman matrix with p-values and top-k overlap', async () => {
    const res = await get(classesRoute, { analyses: [ids.a0, ids.a1, ids.a2].join(','), layer: 'conv3', k: '5' });
    expect(res.status).toBe(200);
    const body = res.body;
    expect(body).toMatchObject({ layer: 'conv3', layers: ['conv1', 'conv2', 'conv3', 'conv4'], k: 5, n: 32, labels: ['class 0', 'class 1', 'class 2'], pairs: 3, method: 't', statistic: 'cross-fitted score' });
    const vectors = await Promise.all([ids.a0, ids.a1, ids.a2].map((id) => stored(id, 'conv3')));
    for (let i = 0; i < 3; i++) {
      expect(body.rho[i][i]).toBe(1);
      expect(body.p[i][i]).toBeNull();
      for (let j = 0; j < 3; j++) {
        if (i === j) continue;
        const s = spearman(vectors[i], vectors[j]);
        expect(body.rho[i][j]).toBeCloseTo(s.rho, 6);
        expect(body.p[i][j]).toBeCloseTo(s.pValue, 12);
        expect(body.rho[i][j]).toBe(body.rho[j][i]);
        const t = topKOverlap(vectors[i], vectors[j], 5);
        expect(body.overlap.shared[i][j]).toBe(t.shared);
        expect(body.overlap.p[i][j]).toBeCloseTo(t.pValue, 12);
      }
    }
    expect(body.overlap.expected).toBeCloseTo(25 / 32, 6);
    expect(body.significant).toBe([body.p[0][1], body.p[0][2], body.p[1][2]].filter((p: number) => p < 0.05).length);
  });

  it('defaults to the first common layer and refuses mixed model versions or unknown layers', async () => {
    const res = await get(classesRoute, { analyses: `${ids.a0},${ids.a1}` });
    expect(res.body.layer).toBe('conv1');
    const mixed = await get(classesRoute, { analyses: `${ids.a0},${ids.otherVersion}` });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error).toMatch(/class comparisons need one model version: .* is resnet v1, .* is resnet v2/);
    const layer = await get(classesRoute, { analyses: `${ids.a0},${ids.a1}`, layer: 'conv9' });
    expect(layer).toMatchObject({ status: 400, body: { error: expect.stringMatching(/layer 'conv9' is not in all of these analyses; available: conv1, conv2/) } });
  });

  it('never compares rankings by different statistics: refuses, naming them, and accepts one score for all', async () => {
    // Class 4 of the same model version, ranked by pc1 (the published statistic).
    const a = await db.analysis.findUniqueOrThrow({ where: { id: ids.a2 } });
    const pc1 = await db.analysis.create({
      data: { ...a, id: undefined, title: 'class 4 by pc1', target: { kind: 'class', index: 4 }, options: { ...(a.options as object), rankBy: 'pc1' }, layers: 'all', summary: undefined },
    });
    for (let i = 0; i < NET_A.length; i++) await saveLayerResult(db, pc1.id, i, syntheticLayer({ labId: w.labId, userId: '', modelName: 'resnet', layers: NET_A, classIndex: 4, runSeed: 1 }, i));
    const auto = await get(classesRoute, { analyses: `${ids.a1},${ids.a2},${pc1.id}` });
    expect(auto.status).toBe(400);
    expect(auto.body.error).toMatch(/rank channels by different statistics \(.+ by the cross-fitted score; 'class 4 by pc1' by the PC1 correlation\): one comparison needs one statistic/);
    // z_score holds the pc1 z for pc1-ranked analyses and the multiple-correlation z otherwise: two statistics, refused.
    const z = await get(classesRoute, { analyses: `${ids.a0},${pc1.id}`, score: 'z' });
    expect(z.status).toBe(400);
    expect(z.body.error).toMatch(/permutation z-score of the multiple correlation; 'class 4 by pc1' by the permutation z-score of pc1/);
    const one = await get(classesRoute, { analyses: `${ids.a1},${ids.a2},${pc1.id}`, score: 'multiple' });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ statistic: 'multiple correlation', labels: ['class 1', 'class 2', 'class 4'] });
    await db.analysis.delete({ where: { id: pc1.id } });
  });

  it('disattenuates ρ for analyses with a test–retest, with the interval from the stored scores, and says which lack one', async () => {
    const base = { labId: w.labId, userId: '', modelName: 'resnet', layers: NET_A, runSeed: 1, retest: true };
    const a6 = (await seedNetwork(db, { ...base, userId: (await db.analysis.findUniqueOrThrow({ where: { id: ids.a1 } })).createdById, classIndex: 6 })).analysisId;
    const a7 = (await seedNetwork(db, { ...base, userId: (await db.analysis.findUniqueOrThrow({ where: { id: ids.a1 } })).createdById, classIndex: 7 })).analysisId;
    // seedNetwork stores them on the newest version (2), as the class-5 analysis without a retest.
    const res = await get(classesRoute, { analyses: `${a6},${a7},${ids.otherVersion}`, layer: 'conv4' });
    expect(res.status).toBe(200);
    const body = res.body;
    // Rows in class order, whatever the pick order.
    const [i6, i7, iO] = [a6, a7, ids.otherVersion].map((id) => (body.analyses as { id: string }[]).findIndex((a) => a.id === id));
    expect(i6).toBeLessThan(i7);
    const layerOf = async (id: string) => (await analysisResults(w.labId, id, { layer: 'conv4' })).layers[0];
    const [l6, l7] = await Promise.all([layerOf(a6), layerOf(a7)]);
    expect(body.reliability[i6]).toMatchObject({ spearman: expect.closeTo(l6.reliability!.spearman, 6), images: 300, statistic: 'crossfit' });
    expect(body.reliability[i6].low).toBeCloseTo(l6.reliability!.ci[0], 6);
    expect(body.reliability[iO]).toBeNull();
    const col = (l: typeof l6, key: 'score_crossfit' | 'score_retest') => Float64Array.from([...l.channels].sort((x, y) => x.index - y.index), (c) => c[key]!);
    const d = disattenuatedCorrelation(col(l6, 'score_crossfit'), col(l6, 'score_retest'), col(l7, 'score_crossfit'), col(l7, 'score_retest'), { resamples: 1000, seed: 1 });
    expect(body.disattenuated.rho[i6][i7]).toBeCloseTo(d.rho, 6);
    expect(body.disattenuated.rho[i7][i6]).toBe(body.disattenuated.rho[i6][i7]);
    expect(body.disattenuated.low[i6][i7]).toBeCloseTo(d.ci[0], 6);
    expect(body.disattenuated.high[i6][i7]).toBeCloseTo(d.ci[1], 6);
    // Classes with independent latent strengths: the corrected ρ's interval holds 0.
    expect(body.disattenuated.low[i6][i7]).toBeLessThan(0);
    expect(body.disattenuated.high[i6][i7]).toBeGreaterThan(0);
    expect(body.disattenuated.rho[i6][iO]).toBeNull();
    expect(body.disattenuationNote).toMatch(/^'resnet · class 1 · run 1' has no test–retest of this statistic in this layer/);
    // The retest is of the cross-fitted score: comparing multiple correlations gets no correction.
    const other = await get(classesRoute, { analyses: `${a6},${a7}`, layer: 'conv4', score: 'multiple' });
    expect(other.body.reliability).toEqual([null, null]);
    await db.analysis.deleteMany({ where: { id: { in: [a6, a7] } } });
  });
});

describe('compare runs', () => {
  it('gives both ranks per layer and their agreement', async () => {
    const res = await get(runsRoute, { a: ids.a0, b: ids.a0run2, k: '8' });
    expect(res.status).toBe(200);
    const body = res.body;
    expect(body.layers.map((l: { name: string }) => l.name)).toEqual(['conv1', 'conv2', 'conv3', 'conv4']);
    expect(body.differences).toEqual(
      expect.arrayContaining([
        { field: 'images', a: '300', b: '500' },
        { field: 'seed', a: '1', b: '2' },
        { field: 'permutations', a: '99', b: '0' },
      ]),
    );
    for (const l of body.layers) {
      const [sa, sb] = await Promise.all([stored(ids.a0, l.name), stored(ids.a0run2, l.name)]);
      expect(l.rankA).toEqual(Array.from(ordinalRanks(sa)));
      expect(l.rankB).toEqual(Array.from(ordinalRanks(sb)));
      // The stored rank column is the same ordinal ranking (the analyses rank by crossfit).
      const rows = await db.channelResult.findMany({ where: { layerResult: { analysisId: ids.a0, name: l.name } }, orderBy: { channel: 'asc' }, select: { rank: true } });
      expect(l.rankA).toEqual(rows.map((r) => r.rank));
      expect(l.spearman.rho).toBeCloseTo(spearman(sa, sb).rho, 6);
      expect(l.topK).toMatchObject({ k: 8, shared: topKOverlap(sa, sb, 8).shared });
      expect(Math.sign(l.kendall.tau)).toBe(Math.sign(l.spearman.rho));
      // Run A's stored verdicts per channel (q, effect and its interval) with its rule; run B has none: not calibrated.
      const stor = (await analysisResults(w.labId, ids.a0, { layer: l.name })).layers[0];
      const byIndex = new Map(stor.channels.map((c) => [c.index, c]));
      expect(l.verdictA.rule).toBe(stor.verdict_rule!.text);
      l.channel.forEach((c: number, i: number) => {
        expect(l.verdictA.q[i]).toBeCloseTo(byIndex.get(c)!.q_value!, 6);
        expect(l.verdictA.effect[i]).toBeCloseTo(byIndex.get(c)!.effect!, 6);
        expect(l.verdictA.effectLow[i]).toBeCloseTo(byIndex.get(c)!.effect_ci![0], 6);
      });
      expect(l.verdictB).toBeNull();
    }
    // Deep layers carry most of the signal; the shallow ones are mostly noise in both runs.
    expect(body.layers[3].spearman.rho).toBeGreaterThan(0.8);
    // Same model and class, other noise: the rankings agree strongly.
    expect(body.medianRho).toBeGreaterThan(0.7);
  });

  it("computes Kendall's τ-b as SciPy does (asymptotic p)", () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const k = kendallOrNull(x, [3, 1, 2, 5, 4, 7, 6, 9, 8, 12, 10, 11])!;
    // scipy.stats.kendalltau(x, y, method='asymptotic')
    expect(k.tau).toBeCloseTo(0.7878787878787877, 12);
    expect(k.p).toBeCloseTo(0.0003627859782809728, 6);
    expect(kendallOrNull([1, 2, 2, 3, 4, 5, 6, 7], [2, 1, 3, 3, 5, 4, 7, 6])!.tau).toBeCloseTo(0.7407407407407407, 12);
    expect(kendallOrNull([1, 2], [2, 1])).toBeNull();
  });

  it('refuses runs ranked by different statistics, and compares them by one score', async () => {
    const a = await db.analysis.findUniqueOrThrow({ where: { id: ids.a0run2 } });
    const pc1 = await db.analysis.create({ data: { ...a, id: undefined, title: 'run by pc1', target: a.target as object, options: { ...(a.options as object), rankBy: 'pc1' }, layers: 'all', summary: undefined } });
    for (let i = 0; i < NET_A.length; i++) await saveLayerResult(db, pc1.id, i, syntheticLayer({ labId: w.labId, userId: '', modelName: 'resnet', layers: NET_A, classIndex: 0, runSeed: 2 }, i));
    const mixed = await get(runsRoute, { a: ids.a0, b: pc1.id });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error).toMatch(/rank channels by different statistics \(.+ by the cross-fitted score; 'run by pc1' by the PC1 correlation\)/);
    const one = await get(runsRoute, { a: ids.a0, b: pc1.id, score: 'crossfit' });
    expect(one.status).toBe(200);
    expect(one.body.statistic).toBe('cross-fitted score');
    await db.analysis.delete({ where: { id: pc1.id } });
  });

  it('refuses runs of different models', async () => {
    const res = await get(runsRoute, { a: ids.a0, b: ids.b0 });
    expect(res).toMatchObject({ status: 400, body: { error: expect.stringMatching(/runs must be of the same model/) } });
  });
});

describe('compare methods', () => {
  it('sets the PCACE score against ablation and activation, with the Spearman matrix', async () => {
    const res = await get(methodsRoute, { analysis: ids.abl, layer: 'conv4' });
    expect(res.status).toBe(200);
    const body = res.body;
    expect(body.ablation).toEqual({ available: true });
    expect(body.measures.map((m: { key: string }) => m.key)).toEqual(['score_crossfit', 'ablation_drop', 'ablation_accuracy_drop', 'mean_activation']);
    expect(body.n).toBe(48);
    const rows = await db.channelResult.findMany({ where: { layerResult: { analysisId: ids.abl, name: 'conv4' } }, orderBy: { channel: 'asc' } });
    const s = spearman(
      rows.map((r) => r.scoreCrossfit!),
      rows.map((r) => r.ablationDrop!),
    );
    expect(body.spearman.rho[0][1]).toBeCloseTo(s.rho, 6);
    expect(body.spearman.p[0][1]).toBeCloseTo(s.pValue, 12);
    expect(body.spearman.rho.map((r: number[]) => r.length)).toEqual([4, 4, 4, 4]);
    expect(body.measures[1].values[7]).toBeCloseTo(rows[7].ablationDrop!, 5);
  });

  it("gives a calibrated layer's q, verdict and effect with its interval under the layer's rule, and says when they are of another score than the one shown", async () => {
    const res = await get(methodsRoute, { analysis: ids.a0, layer: 'conv3' });
    expect(res.status).toBe(200);
    const stor = (await analysisResults(w.labId, ids.a0, { layer: 'conv3' })).layers[0];
    const byIndex = new Map(stor.channels.map((c) => [c.index, c]));
    const v = res.body.verdicts;
    expect(v.rule).toBe(stor.verdict_rule!.text);
    expect(v.ruleShort).toBe('q < 0.05, BH per layer');
    res.body.channel.forEach((c: number, i: number) => {
      expect(v.q[i]).toBeCloseTo(byIndex.get(c)!.q_value!, 6);
      expect(v.beats[i]).toBe(byIndex.get(c)!.beats_noise);
      expect(v.effect[i]).toBeCloseTo(byIndex.get(c)!.effect!, 6);
      expect(v.effectHigh[i]).toBeCloseTo(byIndex.get(c)!.effect_ci![1], 6);
    });
    expect(res.body.verdictNote).toBeNull();
    const other = await get(methodsRoute, { analysis: ids.a0, layer: 'conv3', score: 'multiple' });
    expect(other.body.verdictNote).toBe(
      'q, the verdicts and the effects are of the cross-fitted score, the statistic this analysis ranked and tested; the charts show the multiple correlation',
    );
    // Without a null there is nothing to show.
    expect((await get(methodsRoute, { analysis: ids.abl, layer: 'conv3' })).body.verdicts).toBeNull();
  });

  it('explains a missing ablation and how to measure it', async () => {
    const res = await get(methodsRoute, { analysis: ids.a1 });
    expect(res.status).toBe(200);
    expect(res.body.layer).toBe('conv1');
    expect(res.body.measures.map((m: { key: string }) => m.key)).toEqual(['score_crossfit', 'mean_activation']);
    expect(res.body.ablation).toMatchObject({ available: false, reason: expect.stringMatching(/ran without ablation/), howTo: expect.stringMatching(/"ablation": true.*--ablation/) });
  });
});

describe('compare API access and parameters', () => {
  const views = () =>
    [
      [archRoute, { a: ids.a0, b: ids.b0 }, { a: ids.a0, b: w.otherAnalysis }],
      [classesRoute, { analyses: `${ids.a0},${ids.a1}` }, { analyses: `${ids.a0},${w.otherAnalysis}` }],
      [runsRoute, { a: ids.a0, b: ids.a0run2 }, { a: w.otherAnalysis, b: ids.a0 }],
      [methodsRoute, { analysis: ids.a0 }, { analysis: w.otherAnalysis }],
    ] as const;

  it("another lab's analyses are not found, under either lab's address, with the view cache or without it", async () => {
    for (const cacheMb of ['64', '0']) {
      const restore = setEnv({ PCACE_COMPARE_CACHE_MB: cacheMb });
      try {
        for (const [route, own, foreign] of views()) {
          expect(await get(route, foreign)).toMatchObject({ status: 404, body: { error: 'analysis not found' } });
          // Its owner can see it in their lab, but not through ours; we cannot see ours through theirs.
          expect((await get(route, own, { slug: w.otherSlug })).status).toBe(404);
          expect((await get(route, own, { token: w.otherToken })).status).toBe(404);
        }
      } finally {
        restore();
      }
    }
  });

  it('viewers can read (token or session); signed-out callers get 401', async () => {
    const cookie = await sessionCookie(w.viewerId);
    for (const [route, own] of views()) {
      expect((await get(route, own, { token: w.viewerToken })).status).toBe(200);
      expect((await get(route, own, { cookie })).status).toBe(200);
      const anon = await callRoute(route.GET as never, '/api', { params: { lab: w.slug }, query: own as Record<string, string> });
      expect(anon.status).toBe(401);
    }
  });

  it('bad parameters are 400 with a message naming them', async () => {
    const cases: [{ GET: Handler }, Record<string, string>, RegExp][] = [
      [archRoute, { a: ids.a0 }, /invalid query: b: /],
      [archRoute, { a: ids.a0, b: ids.b0, score: 'best' }, /score: /],
      [archRoute, { a: ids.a0, b: ids.b0, colour: 'red' }, /colour/],
      [archRoute, { a: "x' OR 1=1 --", b: ids.b0 }, /a: is not an analysis id/],
      [classesRoute, { analyses: ids.a0 }, /pick at least 2 analyses/],
      [classesRoute, { analyses: Array(13).fill(ids.a0).join(',') }, /pick at most 12/],
      [classesRoute, { analyses: `${ids.a0},${ids.a1}`, k: '0' }, /k: /],
      [classesRoute, { analyses: `${ids.a0},${ids.a1}`, k: 'ten' }, /k: /],
      [runsRoute, { a: ids.a0 }, /b: /],
      [methodsRoute, {}, /analysis: /],
      [methodsRoute, { analysis: ids.a0, layer: 'nope' }, /layer 'nope' is not in this analysis/],
    ];
    for (const [route, query, message] of cases) {
      const res = await get(route, query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.error).toMatch(message);
    }
  });
});
