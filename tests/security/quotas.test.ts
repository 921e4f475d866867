/**
 * Security finding 4 (no quotas, no fairness), on real PostgreSQL through the
 * API route handlers: the cost estimate at creation and at .../estimate, the
 * CPU-hours and queued-analyses limits, the storage quota on uploads, owners
 * changing limits (members cannot).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { callRoute, fileBlob, formOf, useTestDatabase } from '../helpers/db';
import { PIPELINE_DIR } from '../helpers/reference';
import * as analyses from '../../app/api/v1/labs/[lab]/analyses/route';
import * as estimateRoute from '../../app/api/v1/labs/[lab]/analyses/estimate/route';
import * as labRoute from '../../app/api/v1/labs/[lab]/route';
import * as models from '../../app/api/v1/labs/[lab]/models/route';
import * as datasets from '../../app/api/v1/labs/[lab]/datasets/route';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { signUp } from '../../lib/server/signup';

const testDb = useTestDatabase();
let owner = '';
let member = '';
let slug = '';
let versionId = '';
let datasetId = '';

// Every image the dataset (MNIST test digit 3: 1,010) holds; asking for more is refused at the images field.
const MONSTER = { images: 1_010, permutations: 10_000, bootstrap: 10_000, crossFitRepeats: 100, components: 1000, ablation: true };

beforeAll(async () => {
  const a = await signUp({ name: 'Owner', email: 'owner@example.org', password: 'owner-password-1' }, new Headers());
  slug = a.lab.slug;
  owner = (await createApiToken(a.user.id, 'tests')).token;
  const b = await signUp({ name: 'Member', email: 'member@example.org', password: 'member-password-1' }, new Headers());
  await db.membership.create({ data: { labId: a.lab.id, userId: b.user.id, role: 'member' } });
  member = (await createApiToken(b.user.id, 'tests')).token;
  const m = await callRoute(models.POST as never, '', {
    token: owner,
    params: { lab: slug },
    form: formOf({ name: 'mnist-cnn', file: [fileBlob(readFileSync(`${PIPELINE_DIR}/mnist_cnn.onnx`)), 'm.onnx'] }),
  });
  expect(m.status).toBe(201);
  versionId = m.body.version.id;
  const d = await callRoute(datasets.POST as never, '', { token: owner, params: { lab: slug }, json: { name: 'threes', kind: 'mnist', digit: 3 } });
  datasetId = d.body.dataset.id;
});

const body = (options: Record<string, unknown> = {}) => ({ modelVersionId: versionId, datasetId, target: { kind: 'class', index: 3 }, layers: 'all', options });
const create = (json: unknown, token = member) => callRoute(analyses.POST as never, '', { token, params: { lab: slug }, json });
const patch = (json: unknown, token = owner) => callRoute(labRoute.PATCH as never, '', { token, method: 'PATCH', params: { lab: slug }, json });

describe('cost estimate', () => {
  it('comes back with a created analysis and from the estimate endpoint, which creates nothing', async () => {
    const before = await db.analysis.count();
    const est = await callRoute(estimateRoute.POST as never, '', { token: member, params: { lab: slug }, json: body({ permutations: 50 }) });
    expect(est.status).toBe(200);
    expect(est.body).toMatchObject({ allowed: true, refusal: null, maxCpuHoursPerAnalysis: 8 });
    expect(est.body.estimate).toMatchObject({ tasks: 2, channels: 96, images: 300 });
    expect(est.body.estimate.cpuSeconds).toBeGreaterThan(1);
    expect(est.body.estimate.breakdown.permutations).toBeGreaterThan(0);
    expect(est.body.estimate.summary).toMatch(/CPU .*2 layers, 96 channels × 300 images — .*permutations \d+ %/);
    expect(await db.analysis.count()).toBe(before);

    const res = await create(body({ permutations: 50 }));
    expect(res.status).toBe(201);
    expect(res.body.estimate).toEqual(est.body.estimate);
    // Bad input is refused by the estimate like by creation.
    const bad = await callRoute(estimateRoute.POST as never, '', { token: member, params: { lab: slug }, json: body({ images: 3 }) });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/options\.images/);
  });

  it('refuses the analysis of the finding at creation, naming the CPU-hours limit and the estimate', async () => {
    const before = await db.analysis.count();
    const res = await create(body(MONSTER));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/this analysis is estimated at [\d,]+ CPU-hours \(≈ .* CPU/);
    expect(res.body.error).toMatch(/above this lab's limit of 8 CPU-hours per analysis \(maxCpuHoursPerAnalysis\)/);
    expect(res.body.error).toContain(`PATCH /api/v1/labs/${slug}`);
    expect(await db.analysis.count()).toBe(before);
    const est = await callRoute(estimateRoute.POST as never, '', { token: member, params: { lab: slug }, json: body(MONSTER) });
    expect(est.body.allowed).toBe(false);
    expect(est.body.estimate.cpuHours).toBeGreaterThan(24 * 30);
    expect(est.body.refusal).toBe(res.body.error);
  });
});

describe('limits', () => {
  it('let only owners change them (members get 403), and show them to every member', async () => {
    const denied = await patch({ maxQueuedAnalyses: 1000 }, member);
    expect(denied.status).toBe(403);
    expect((await db.lab.findFirstOrThrow({ where: { slug } })).maxQueuedAnalyses).toBeNull();
    const view = await callRoute(labRoute.GET as never, '', { token: member, params: { lab: slug } });
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      lab: { slug, role: 'member' },
      limits: { maxRunningTasks: 2, maxQueuedAnalyses: 20, maxCpuHoursPerAnalysis: 8, storageQuotaMb: 5120 },
      overrides: { maxRunningTasks: null, maxQueuedAnalyses: null, maxCpuHoursPerAnalysis: null, storageQuotaMb: null },
    });
    expect(view.body.usage.queuedAnalyses).toBe(1);
    for (const [bad, msg] of [
      [{ maxQueuedAnalyses: -1 }, /maxQueuedAnalyses: must be positive/],
      [{ maxRunningTasks: 1.5 }, /maxRunningTasks: must be a whole number/],
      [{ colour: 1 }, /colour/],
      [{}, /send at least one of/],
    ] as const) {
      const res = await patch(bad);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(msg);
    }
  });

  it('refuses the 21st queued analysis of a lab (429) until an owner raises the limit', async () => {
    const small = body({ images: 20, crossFitRepeats: 0, rankBy: 'multiple' });
    // One queued already (above); 19 more fill the default limit of 20.
    for (let i = 0; i < 19; i++) expect((await create(small)).status).toBe(201);
    const refused = await create(small);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatch(/has 20 analyses queued or running, its limit \(maxQueuedAnalyses = 20\)/);
    expect(refused.body.error).toContain(`/labs/${slug}/members`);
    expect(await db.analysis.count({ where: { status: 'queued' } })).toBe(20);

    const raised = await patch({ maxQueuedAnalyses: 21 });
    expect(raised.status).toBe(200);
    expect(raised.body.limits.maxQueuedAnalyses).toBe(21);
    expect((await create(small)).status).toBe(201);
    expect((await create(small)).status).toBe(429);
  });

  it('hold under concurrent requests: 10 at once against 2 free places admit exactly 2', async () => {
    await patch({ maxQueuedAnalyses: 23 });
    const small = body({ images: 20, crossFitRepeats: 0, rankBy: 'multiple' });
    const results = await Promise.all(Array.from({ length: 10 }, () => create(small)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(results.filter((r) => r.status === 429)).toHaveLength(8);
    expect(await db.analysis.count({ where: { status: 'queued' } })).toBe(23);
    await patch({ maxQueuedAnalyses: null });
  });

  it('accept an expensive analysis once an owner raises the CPU-hours limit', async () => {
    await db.analysis.updateMany({ data: { status: 'cancelled' } });
    const heavy = body({ images: 1_010, permutations: 10_000, bootstrap: 10_000 });
    const est = await callRoute(estimateRoute.POST as never, '', { token: member, params: { lab: slug }, json: heavy });
    expect(est.body.estimate.cpuHours).toBeGreaterThan(8);
    const refused = await create(heavy);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/limit of 8 CPU-hours/);
    const raised = await patch({ maxCpuHoursPerAnalysis: Math.ceil(est.body.estimate.cpuHours) + 1 });
    expect(raised.status).toBe(200);
    const accepted = await create(heavy);
    expect(accepted.status).toBe(201);
    expect(accepted.body.estimate.cpuHours).toBeCloseTo(est.body.estimate.cpuHours, 6);
  });

  it('refuse an upload past the storage quota with 413, leaving no file', async () => {
    const used = (await callRoute(labRoute.GET as never, '', { token: owner, params: { lab: slug } })).body.usage.storageMb;
    expect(used).toBeGreaterThan(4);
    const quota = Math.ceil(used) + 1;
    expect((await patch({ storageQuotaMb: quota })).status).toBe(200);
    const listing = () => readdirSync(path.join(testDb.current.storageDir, 'models')).sort();
    const before = listing();
    const res = await callRoute(models.POST as never, '', {
      token: member,
      params: { lab: slug },
      form: formOf({ name: 'vgg', file: [fileBlob(readFileSync(new URL('../../models/demo/vgg16-mnist.onnx', import.meta.url))), 'vgg.onnx'] }),
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(new RegExp(`past its storage quota of ${quota} MB \\(storageQuotaMb; [\\d.]+ MB used\\)`));
    expect(listing()).toEqual(before);
    expect(await db.modelVersion.count()).toBe(1);
    const dataset = await callRoute(datasets.POST as never, '', {
      token: member,
      params: { lab: slug },
      form: formOf({ name: 'big', kind: 'npy', file: [fileBlob(new Uint8Array(3 << 20)), 'x.npy'] }),
    });
    expect(dataset.status).toBe(413);
    expect(await db.dataset.count()).toBe(1);

    // Raised, the same upload goes through.
    expect((await patch({ storageQuotaMb: quota + 10 })).status).toBe(200);
    const ok = await callRoute(models.POST as never, '', {
      token: member,
      params: { lab: slug },
      form: formOf({ name: 'vgg', file: [fileBlob(readFileSync(new URL('../../models/demo/vgg16-mnist.onnx', import.meta.url))), 'vgg.onnx'] }),
    });
    expect(ok.status).toBe(201);
  });
});
