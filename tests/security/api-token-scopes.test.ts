/**
 * Security finding: API tokens never expired and could not be limited to a lab
 * or to reading. Through the real route handlers and the one access check:
 * expired → 401 saying so, read-only → 403 on every write method,
 * lab-restricted → 404 on other labs (and only its lab listed), default expiry
 * 90 days, "never" only when asked for; the settings form creates them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, callRoute, useTestDatabase } from '../helpers/db';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { createTokenAction } from '../../app/actions/labs';
import * as labsRoute from '../../app/api/v1/labs/route';
import * as modelsRoute from '../../app/api/v1/labs/[lab]/models/route';
import * as modelRoute from '../../app/api/v1/labs/[lab]/models/[modelId]/route';
import * as analysesRoute from '../../app/api/v1/labs/[lab]/analyses/route';
import * as commentsRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/comments/route';
import * as commentRoute from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/comments/[commentId]/route';

useTestDatabase();

const w = { user: '', labA: '', labB: '', model: '', analysis: '', comment: '' };
const DAY = 86_400_000;

beforeAll(async () => {
  const user = await db.user.create({ data: { email: 'scoped@example.org', name: 'Scoped' } });
  w.user = user.id;
  for (const slug of ['tok-a', 'tok-b']) {
    const lab = await db.lab.create({ data: { slug, name: `Lab ${slug}`, memberships: { create: { userId: user.id, role: 'owner' } } } });
    if (slug === 'tok-a') w.labA = lab.id;
    else w.labB = lab.id;
  }
  const model = await db.model.create({ data: { labId: w.labA, name: 'net', createdById: user.id } });
  w.model = model.id;
  const version = await db.modelVersion.create({
    data: { modelId: model.id, version: 1, format: 'onnx', storagePath: 'models/x.onnx', sha256: 'x', sizeBytes: 1n, layers: [], inputShape: [1, 28, 28], createdById: user.id },
  });
  const dataset = await db.dataset.create({
    data: { labId: w.labA, name: 'digits', kind: 'mnist', spec: { kind: 'mnist', split: 'test' }, classes: ['0'], counts: { total: 1 }, createdById: user.id },
  });
  const analysis = await db.analysis.create({
    data: { labId: w.labA, modelVersionId: version.id, datasetId: dataset.id, target: { kind: 'class', index: 3 }, layers: 'all', options: {}, createdById: user.id },
  });
  w.analysis = analysis.id;
  w.comment = (await db.comment.create({ data: { labId: w.labA, analysisId: analysis.id, authorId: user.id, body: 'hello' } })).id;
});

describe('API token scopes', () => {
  it('new tokens expire after 90 days unless another expiry or "never" is chosen', async () => {
    const now = Date.now();
    const plain = (await createApiToken(w.user, { name: 'default' })).row;
    expect(plain.expiresAt!.getTime() - now).toBeGreaterThan(90 * DAY - 60_000);
    expect(plain.expiresAt!.getTime() - now).toBeLessThan(90 * DAY + 60_000);
    expect((await createApiToken(w.user, { name: 'week', expires: 7 })).row.expiresAt!.getTime() - now).toBeLessThan(7 * DAY + 60_000);
    expect((await createApiToken(w.user, { name: 'forever', expires: 'never' })).row.expiresAt).toBeNull();
    await expect(createApiToken(w.user, { name: 'bad', expires: 0 })).rejects.toMatchObject({ status: 400 });
    await expect(createApiToken(w.user, { name: 'bad', lab: 'not-mine' })).rejects.toMatchObject({ status: 400 });
  });

  it('an expired token gets 401 saying it expired', async () => {
    const { token, row } = await createApiToken(w.user, { name: 'old', expires: 30 });
    expect((await callRoute(modelsRoute.GET as never, '/', { token, params: { lab: 'tok-a' } })).status).toBe(200);
    await db.apiToken.update({ where: { id: row.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await callRoute(modelsRoute.GET as never, '/', { token, params: { lab: 'tok-a' } });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/expired/);
    expect((await callRoute(labsRoute.GET as never, '/', { token })).status).toBe(401);
  });

  it('a read-only token reads but gets 403 on POST, PATCH and DELETE', async () => {
    const { token } = await createApiToken(w.user, { name: 'reader', readOnly: true });
    expect((await callRoute(modelsRoute.GET as never, '/', { token, params: { lab: 'tok-a' } })).status).toBe(200);
    expect((await callRoute(commentsRoute.GET as never, '/', { token, params: { lab: 'tok-a', analysisId: w.analysis } })).status).toBe(200);
    const writes = [
      callRoute(commentsRoute.POST as never, '/', { token, params: { lab: 'tok-a', analysisId: w.analysis }, json: { body: 'sneaky' } }),
      callRoute(commentRoute.PATCH as never, '/', { method: 'PATCH', token, params: { lab: 'tok-a', analysisId: w.analysis, commentId: w.comment }, json: { body: 'edited' } }),
      callRoute(commentRoute.DELETE as never, '/', { method: 'DELETE', token, params: { lab: 'tok-a', analysisId: w.analysis, commentId: w.comment } }),
      callRoute(modelRoute.DELETE as never, '/', { method: 'DELETE', token, params: { lab: 'tok-a', modelId: w.model } }),
      callRoute(analysesRoute.POST as never, '/', { token, params: { lab: 'tok-a' }, json: { modelVersionId: 'x', datasetId: 'y', target: { kind: 'class', index: 1 } } }),
    ];
    for (const res of await Promise.all(writes)) {
      expect(res.status).toBe(403);
      expect(res.body.error).toMatch(/read-only/);
    }
    expect(await db.comment.findMany({ select: { body: true } })).toEqual([{ body: 'hello' }]);
    expect(await db.model.count()).toBe(1);
  });

  it('a lab-restricted token gets 404 on other labs and lists only its lab', async () => {
    const { token } = await createApiToken(w.user, { name: 'only-a', lab: 'tok-a' });
    expect((await callRoute(modelsRoute.GET as never, '/', { token, params: { lab: 'tok-a' } })).status).toBe(200);
    const other = await callRoute(modelsRoute.GET as never, '/', { token, params: { lab: 'tok-b' } });
    expect(other.status).toBe(404);
    expect(other.body.error).toMatch(/not found/);
    const labs = await callRoute(labsRoute.GET as never, '/', { token });
    expect(labs.body.labs.map((l: { slug: string }) => l.slug)).toEqual(['tok-a']);
    // An unrestricted token of the same user still sees both.
    const all = await callRoute(labsRoute.GET as never, '/', { token: (await createApiToken(w.user, 'all')).token });
    expect(all.body.labs.map((l: { slug: string }) => l.slug).sort()).toEqual(['tok-a', 'tok-b']);
  });

  it('the settings form creates a token with the chosen expiry, lab and scope', async () => {
    await actAs(w.user);
    const form = new FormData();
    form.set('name', 'from the form');
    form.set('expires', '30');
    form.set('lab', 'tok-b');
    form.set('access', 'read');
    const res = await createTokenAction(null, form);
    expect(res?.ok).toBe(true);
    if (!res?.ok) return;
    expect(res.data).toMatchObject({ name: 'from the form', lab: 'tok-b', readOnly: true });
    const row = await db.apiToken.findFirstOrThrow({ where: { name: 'from the form' } });
    expect(row).toMatchObject({ labId: w.labB, readOnly: true });
    expect(row.expiresAt!.getTime() - Date.now()).toBeLessThan(30 * DAY + 60_000);
    // The token works for reading lab B only.
    expect((await callRoute(modelsRoute.GET as never, '/', { token: res.data.token, params: { lab: 'tok-b' } })).status).toBe(200);
    expect((await callRoute(modelsRoute.GET as never, '/', { token: res.data.token, params: { lab: 'tok-a' } })).status).toBe(404);

    form.set('expires', 'never');
    form.set('lab', '');
    form.set('access', 'write');
    form.set('name', 'forever');
    const never = await createTokenAction(null, form);
    expect(never?.ok && never.data.expiresAt).toBeNull();
  });
});
