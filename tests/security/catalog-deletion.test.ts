/**
 * Security finding: models and datasets could not be deleted (uploads stayed
 * forever). Through the real route handlers: deletion by the lab owner or the
 * uploader; refused with 409 naming the analyses while analyses use it, with
 * archiving (hidden from the new-analysis picker, kept for those analyses)
 * instead; otherwise rows deleted and stored files freed unless another row
 * (here: in another lab) has the same content hash.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, callRoute, formOf as form, useTestDatabase } from '../helpers/db';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import * as modelRoute from '../../app/api/v1/labs/[lab]/models/[modelId]/route';
import * as datasetRoute from '../../app/api/v1/labs/[lab]/datasets/[datasetId]/route';
import * as catalog from '../../app/actions/catalog';
import * as newAnalysisPage from '../../app/labs/[lab]/analyses/new/page';
import * as analysesRoute from '../../app/api/v1/labs/[lab]/analyses/route';

const testDb = useTestDatabase();

const who = { owner: '', member: '', uploader: '', other: '' } as Record<string, string>;
const tokens = {} as Record<string, string>;
let labA = '';
let labB = '';

function store(rel: string, bytes = 'x'): string {
  const full = path.join(testDb.current.storageDir, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, bytes);
  return full;
}

async function model(labId: string, name: string, sha: string, createdById: string) {
  const m = await db.model.create({ data: { labId, name, createdById } });
  const v = await db.modelVersion.create({
    data: { modelId: m.id, version: 1, format: 'onnx', storagePath: `models/${sha}.onnx`, sha256: sha, sizeBytes: 1n, layers: [], inputShape: [1, 28, 28], outputShape: [10], createdById },
  });
  return { id: m.id, versionId: v.id, file: store(`models/${sha}.onnx`) };
}

async function dataset(labId: string, name: string, sha: string, createdById: string) {
  const d = await db.dataset.create({
    data: { labId, name, kind: 'npy', spec: { kind: 'npy', path: `datasets/${sha}.npy` }, storagePath: `datasets/${sha}.npy`, sha256: sha, sizeBytes: 1n, classes: [], counts: { total: 1 }, createdById },
  });
  return { id: d.id, file: store(`datasets/${sha}.npy`), thumbs: store(`thumbnails/samples/${sha}/t-64.png`) };
}

async function analysisOf(labId: string, modelVersionId: string, datasetId: string, title: string) {
  return db.analysis.create({ data: { labId, modelVersionId, datasetId, title, target: { kind: 'class', index: 0 }, layers: 'all', options: {}, createdById: who.owner } });
}

const del = (route: typeof modelRoute | typeof datasetRoute, lab: string, id: string, token: string) =>
  callRoute(route.DELETE as never, '/', { method: 'DELETE', token, params: { lab, ...(route === modelRoute ? { modelId: id } : { datasetId: id }) } });

beforeAll(async () => {
  for (const name of Object.keys(who)) {
    const u = await db.user.create({ data: { email: `${name}@example.org`, name } });
    who[name] = u.id;
    tokens[name] = (await createApiToken(u.id, 't')).token;
  }
  labA = (await db.lab.create({ data: { slug: 'del-a', name: 'A' } })).id;
  labB = (await db.lab.create({ data: { slug: 'del-b', name: 'B' } })).id;
  await db.membership.createMany({
    data: [
      { labId: labA, userId: who.owner, role: 'owner' },
      { labId: labA, userId: who.member, role: 'member' },
      { labId: labA, userId: who.uploader, role: 'member' },
      { labId: labB, userId: who.other, role: 'owner' },
    ],
  });
});

describe('deleting models and datasets', () => {
  it('refuses with 409 naming the analyses while they use the model or dataset; archiving hides them from the picker instead', async () => {
    const m = await model(labA, 'used-net', 'a'.repeat(64), who.uploader);
    const d = await dataset(labA, 'used-data', 'b'.repeat(64), who.uploader);
    const a = await analysisOf(labA, m.versionId, d.id, 'Run that needs them');

    const resM = await del(modelRoute, 'del-a', m.id, tokens.owner);
    expect(resM.status).toBe(409);
    expect(resM.body.error).toMatch(/used by 1 analysis: "Run that needs them"/);
    expect(resM.body.error).toMatch(/archive/);
    expect(resM.body.analyses).toEqual([{ id: a.id, title: 'Run that needs them' }]);
    const resD = await del(datasetRoute, 'del-a', d.id, tokens.uploader);
    expect(resD.status).toBe(409);
    expect(resD.body.analyses).toEqual([{ id: a.id, title: 'Run that needs them' }]);
    expect(existsSync(m.file) && existsSync(d.file)).toBe(true);
    expect(await db.analysis.count({ where: { id: a.id } })).toBe(1);

    // Archive through the page's server actions: gone from the new-analysis picker, the analysis intact.
    await actAs(who.uploader);
    expect(await catalog.archiveModelAction(null, form({ lab: 'del-a', modelId: m.id, archived: 'true' }))).toMatchObject({ ok: true });
    expect(await catalog.archiveDatasetAction(null, form({ lab: 'del-a', datasetId: d.id, archived: 'true' }))).toMatchObject({ ok: true });
    const seen = new WeakSet();
    const page = JSON.stringify(await newAnalysisPage.default({ params: Promise.resolve({ lab: 'del-a' }) }), (_k, v) => {
      if (typeof v === 'function') return undefined;
      if (v && typeof v === 'object') {
        if (seen.has(v)) return undefined;
        seen.add(v);
      }
      return v;
    });
    expect(page).not.toContain('used-net');
    expect(page).not.toContain('used-data');
    expect((await db.analysis.findUniqueOrThrow({ where: { id: a.id }, include: { modelVersion: true, dataset: true } })).modelVersion.id).toBe(m.versionId);
    // The delete button's action gives the same refusal.
    const viaAction = await catalog.deleteModelAction(null, form({ lab: 'del-a', modelId: m.id }));
    expect(viaAction).toMatchObject({ ok: false, status: 409 });
    // Hidden from the picker is not enough: the API refuses a new analysis of archived objects too.
    const create = await callRoute(analysesRoute.POST as never, '/', {
      method: 'POST',
      token: tokens.owner,
      params: { lab: 'del-a' },
      json: { modelVersionId: m.versionId, datasetId: d.id, target: { kind: 'class', index: 0 }, layers: 'all' },
    });
    expect(create.status).toBe(409);
    expect(create.body.error).toMatch(/model 'used-net' is archived/);
  });

  it('deletes unused ones and frees their files, unless another row has the same content', async () => {
    const shared = 'c'.repeat(64);
    const m = await model(labA, 'spare-net', shared, who.uploader);
    await model(labB, 'same-bytes-elsewhere', shared, who.other);
    const lone = await model(labA, 'lone-net', 'd'.repeat(64), who.uploader);
    const d = await dataset(labA, 'spare-data', 'e'.repeat(64), who.uploader);

    // A member who did not upload it may not; a member of another lab does not see it.
    expect((await del(modelRoute, 'del-a', lone.id, tokens.member)).status).toBe(403);
    expect((await del(modelRoute, 'del-a', lone.id, tokens.other)).status).toBe(404);
    expect((await del(modelRoute, 'del-b', lone.id, tokens.other)).status).toBe(404);

    expect((await del(modelRoute, 'del-a', lone.id, tokens.uploader)).status).toBe(204);
    expect(await db.model.count({ where: { id: lone.id } })).toBe(0);
    expect(await db.modelVersion.count({ where: { modelId: lone.id } })).toBe(0);
    expect(existsSync(lone.file)).toBe(false);

    // Same bytes are still registered in lab B: the rows go, the file stays.
    expect((await del(modelRoute, 'del-a', m.id, tokens.owner)).status).toBe(204);
    expect(await db.model.count({ where: { id: m.id } })).toBe(0);
    expect(existsSync(m.file)).toBe(true);

    expect((await del(datasetRoute, 'del-a', d.id, tokens.owner)).status).toBe(204);
    expect(await db.dataset.count({ where: { id: d.id } })).toBe(0);
    expect(existsSync(d.file)).toBe(false);
    expect(existsSync(d.thumbs)).toBe(false);
    expect((await del(datasetRoute, 'del-a', d.id, tokens.owner)).status).toBe(404);
  });
});
