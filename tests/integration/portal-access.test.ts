/**
 * The access matrix. Lab A has an owner, a member and a viewer; lab B belongs
 * to someone else. Every /api/v1 route, every lab page and every lab server
 * action is tried:
 *   - A's member on B's objects (through B's address, or through A's address
 *     with B's ids) → 404, never 403: other labs' objects do not exist for you;
 *   - A's viewer on every write in A → 403 (and owner-only actions → 403 for members);
 *   - nobody signed in → 401 (pages: redirect to sign-in);
 * and nothing changes in the database. The route and page lists are read from
 * app/, so a new route without a row here fails the test.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, callRoute, fileBlob, formOf, nextInterrupt, sessionCookie, useTestDatabase } from '../helpers/db';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { hashPassword } from '../../lib/server/passwords';
import * as labActions from '../../app/actions/labs';
import * as queueActions from '../../app/labs/[lab]/analyses/new/actions';
import * as discussionActions from '../../app/_components/discussion/actions';
import * as catalogActions from '../../app/actions/catalog';
import * as limitActions from '../../app/actions/limits';

// What next.config.js's experimental.authInterrupts sets inside Next.js (forbidden() → app/forbidden.tsx); read when forbidden() is called.
process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS = 'true';

useTestDatabase();

const APP = path.resolve(import.meta.dirname, '../../app');
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

type Ids = { lab: string; model: string; version: string; dataset: string; analysis: string; invitation: string; membership: string; comment: string; pin: string };
const world: { A: Ids; B: Ids; users: Record<string, string>; tokens: Record<string, string> } = { A: {} as Ids, B: {} as Ids, users: {}, tokens: {} };
/** A completed channel artifact per lab (slug → id): the artifact file route serves its values. */
const artifactIds: Record<string, string> = {};

async function makeLab(slug: string, people: [string, 'owner' | 'member' | 'viewer'][]): Promise<Ids> {
  const passwordHash = await hashPassword('irrelevant-password');
  const lab = await db.lab.create({ data: { slug, name: `Lab ${slug}` } });
  let ownerId = '';
  let lastMembership = '';
  for (const [who, role] of people) {
    const user = await db.user.create({ data: { email: `${who}@example.org`, name: who, passwordHash } });
    world.users[who] = user.id;
    world.tokens[who] = (await createApiToken(user.id, 'matrix')).token;
    lastMembership = (await db.membership.create({ data: { labId: lab.id, userId: user.id, role } })).id;
    if (role === 'owner') ownerId = user.id;
  }
  const layers = [{ name: 'conv1', outputName: 'c1', channels: 4, mapHeight: 26, mapWidth: 26, kernelSize: [3, 3], stride: [1, 1], dilation: [1, 1], padding: [0, 0, 0, 0], groups: 1 }];
  const model = await db.model.create({ data: { labId: lab.id, name: 'net', createdById: ownerId } });
  const version = await db.modelVersion.create({
    data: { modelId: model.id, version: 1, format: 'onnx', storagePath: 'models/x.onnx', sha256: 'x', sizeBytes: 1n, layers, inputShape: [1, 28, 28], outputShape: [10], createdById: ownerId },
  });
  const dataset = await db.dataset.create({
    data: { labId: lab.id, name: 'digits', kind: 'mnist', spec: { kind: 'mnist', split: 'test' }, classes: ['0'], counts: { total: 1, skipped: 0, perClass: { '0': 1 } }, createdById: ownerId },
  });
  const analysis = await db.analysis.create({
    data: { labId: lab.id, modelVersionId: version.id, datasetId: dataset.id, target: { kind: 'class', index: 3 }, layers: 'all', options: {}, createdById: ownerId },
  });
  const layer = await db.layerResult.create({ data: { analysisId: analysis.id, name: 'conv1', index: 0, shape: [10, 4, 26, 26], seconds: 1 } });
  await db.channelResult.create({
    data: { layerResultId: layer.id, channel: 0, rank: 1, scorePc1: 0.5, scoreMultiple: 0.6, rsq: 0.4, components: 5, explainedVariance: 0.9, meanActivation: 0.1, maxActivation: 1 },
  });
  artifactIds[slug] = (
    await db.channelArtifact.create({ data: { analysisId: analysis.id, layerName: 'conv1', channel: 0, kind: 'maps', status: 'completed', resultPath: 'artifacts/none', values: { rows: [] } } })
  ).id;
  const invitation = await db.invitation.create({
    data: { labId: lab.id, email: `invitee-${slug}@example.org`, role: 'member', tokenHash: `hash-${slug}`, expiresAt: new Date(Date.now() + 3600_000), invitedById: ownerId },
  });
  const comment = await db.comment.create({ data: { labId: lab.id, analysisId: analysis.id, authorId: ownerId, body: 'first' } });
  const pin = await db.pin.create({ data: { labId: lab.id, analysisId: analysis.id, layerName: 'conv1', channelIndex: 0, userId: ownerId } });
  return { lab: slug, model: model.id, version: version.id, dataset: dataset.id, analysis: analysis.id, invitation: invitation.id, membership: lastMembership, comment: comment.id, pin: pin.id };
}

/** Row counts and the mutable fields the writes would touch. */
async function fingerprint() {
  return JSON.stringify({
    models: await db.model.count(),
    versions: await db.modelVersion.count(),
    datasets: await db.dataset.count(),
    artifacts: await db.channelArtifact.findMany({ select: { id: true, status: true }, orderBy: { id: 'asc' } }),
    analyses: await db.analysis.findMany({ select: { id: true, status: true, cancelRequested: true }, orderBy: { id: 'asc' } }),
    memberships: await db.membership.findMany({ select: { id: true, role: true }, orderBy: { id: 'asc' } }),
    invitations: await db.invitation.findMany({ select: { id: true, revokedAt: true, acceptedAt: true }, orderBy: { id: 'asc' } }),
    comments: await db.comment.findMany({ select: { id: true, body: true, editedAt: true }, orderBy: { id: 'asc' } }),
    pins: await db.pin.findMany({ select: { id: true, note: true }, orderBy: { id: 'asc' } }),
    limits: await db.lab.findMany({ select: { id: true, maxRunningTasks: true, maxQueuedAnalyses: true, maxCpuHoursPerAnalysis: true, storageQuotaMb: true }, orderBy: { id: 'asc' } }),
  });
}

beforeAll(async () => {
  world.A = await makeLab('lab-a', [
    ['ownerA', 'owner'],
    ['memberA', 'member'],
    ['viewerA', 'viewer'],
  ]);
  world.B = await makeLab('lab-b', [
    ['ownerB', 'owner'],
    ['memberB', 'member'],
  ]);
});

// ---------------------------------------------------------------- API routes

/** The request each (route, method) gets; `ids` picks whose objects the path names. */
type Req = { params: Record<string, string>; json?: unknown; form?: FormData; query?: Record<string, string> };
const apiMatrix: Record<string, Partial<Record<(typeof METHODS)[number], (lab: Ids, ids: Ids) => Req>>> = {
  '/labs/[lab]/models': {
    GET: (lab) => ({ params: { lab: lab.lab } }),
    POST: (lab) => ({ params: { lab: lab.lab }, form: formOf({ name: 'net', file: [fileBlob(new Uint8Array(10)), 'x.onnx'] }) }),
  },
  '/labs/[lab]/models/[modelId]': {
    GET: (lab, ids) => ({ params: { lab: lab.lab, modelId: ids.model } }),
    PATCH: (lab, ids) => ({ params: { lab: lab.lab, modelId: ids.model }, json: { archived: true } }),
    DELETE: (lab, ids) => ({ params: { lab: lab.lab, modelId: ids.model } }),
  },
  '/labs/[lab]/datasets': {
    GET: (lab) => ({ params: { lab: lab.lab } }),
    POST: (lab) => ({ params: { lab: lab.lab }, json: { name: 'more-digits', kind: 'mnist' } }),
  },
  '/labs/[lab]/datasets/[datasetId]': {
    GET: (lab, ids) => ({ params: { lab: lab.lab, datasetId: ids.dataset } }),
    PATCH: (lab, ids) => ({ params: { lab: lab.lab, datasetId: ids.dataset }, json: { archived: true } }),
    DELETE: (lab, ids) => ({ params: { lab: lab.lab, datasetId: ids.dataset } }),
  },
  '/labs/[lab]/datasets/[datasetId]/thumbnails/[sample]': { GET: (lab, ids) => ({ params: { lab: lab.lab, datasetId: ids.dataset, sample: '0' } }) },
  '/labs/[lab]/analyses': {
    GET: (lab) => ({ params: { lab: lab.lab } }),
    POST: (lab, ids) => ({ params: { lab: lab.lab }, json: { modelVersionId: ids.version, datasetId: ids.dataset, target: { kind: 'class', index: 1 } } }),
  },
  '/labs/[lab]': {
    GET: (lab) => ({ params: { lab: lab.lab } }),
    PATCH: (lab) => ({ params: { lab: lab.lab }, json: { maxQueuedAnalyses: 50 } }),
  },
  '/labs/[lab]/analyses/estimate': {
    POST: (lab, ids) => ({ params: { lab: lab.lab }, json: { modelVersionId: ids.version, datasetId: ids.dataset, target: { kind: 'class', index: 1 } } }),
  },
  '/labs/[lab]/analyses/[analysisId]': { GET: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis } }) },
  '/labs/[lab]/analyses/[analysisId]/results': { GET: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis } }) },
  '/labs/[lab]/analyses/[analysisId]/layers/[layer]/channels/[channel]/artifacts': {
    GET: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, layer: 'conv1', channel: '0' } }),
    POST: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, layer: 'conv1', channel: '0' } }),
  },
  '/labs/[lab]/analyses/[analysisId]/layers/[layer]/strip': {
    GET: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, layer: 'conv1' } }),
    POST: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, layer: 'conv1' } }),
  },
  '/labs/[lab]/analyses/[analysisId]/layers/[layer]/group': {
    GET: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, layer: 'conv1' } }),
    POST: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, layer: 'conv1' }, json: { channels: [0, 1] } }),
  },
  '/labs/[lab]/analyses/[analysisId]/layers/[layer]/samples': { GET: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, layer: 'conv1' } }) },
  '/labs/[lab]/analyses/[analysisId]/layers/[layer]/samples/[index]': { GET: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, layer: 'conv1', index: '0' } }) },
  '/labs/[lab]/analyses/[analysisId]/layers/[layer]/artifacts/[artifactId]/[file]': {
    GET: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, layer: 'conv1', artifactId: artifactIds[ids.lab], file: 'values.json' } }),
  },
  '/labs/[lab]/analyses/[analysisId]/cancel': { POST: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis } }) },
  '/labs/[lab]/analyses/[analysisId]/resume': { POST: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis } }) },
  '/labs/[lab]/analyses/[analysisId]/progress': { GET: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis } }) },
  '/labs/[lab]/analyses/[analysisId]/export': { GET: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis } }) },
  '/labs/[lab]/analyses/[analysisId]/comments': {
    GET: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis } }),
    POST: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis }, json: { body: 'a comment', layer: 'conv1', channel: 1 } }),
  },
  '/labs/[lab]/analyses/[analysisId]/comments/[commentId]': {
    PATCH: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, commentId: ids.comment }, json: { body: 'edited' } }),
    DELETE: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, commentId: ids.comment } }),
  },
  '/labs/[lab]/analyses/[analysisId]/pins': {
    GET: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis } }),
    POST: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis }, json: { layer: 'conv1', channel: 2, note: 'n' } }),
  },
  '/labs/[lab]/analyses/[analysisId]/pins/[pinId]': {
    PATCH: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, pinId: ids.pin }, json: { note: 'changed' } }),
    DELETE: (lab, ids) => ({ params: { lab: lab.lab, analysisId: ids.analysis, pinId: ids.pin } }),
  },
  // The history of lab A is A's own; other labs' ids in ?ids= are simply absent from /live.
  '/labs/[lab]/history': { GET: (lab) => ({ params: { lab: lab.lab } }) },
  '/labs/[lab]/history/live': { GET: (lab) => ({ params: { lab: lab.lab } }) },
  // Comparisons name their analyses in the query; the matrix analysis has no cross-fitted score, hence score=multiple.
  '/labs/[lab]/compare': { GET: (lab) => ({ params: { lab: lab.lab } }) },
  '/labs/[lab]/compare/architectures': { GET: (lab, ids) => ({ params: { lab: lab.lab }, query: { a: ids.analysis, b: ids.analysis, score: 'multiple' } }) },
  '/labs/[lab]/compare/classes': { GET: (lab, ids) => ({ params: { lab: lab.lab }, query: { analyses: `${ids.analysis},${ids.analysis}`, score: 'multiple' } }) },
  '/labs/[lab]/compare/runs': { GET: (lab, ids) => ({ params: { lab: lab.lab }, query: { a: ids.analysis, b: ids.analysis, score: 'multiple' } }) },
  '/labs/[lab]/compare/methods': { GET: (lab, ids) => ({ params: { lab: lab.lab }, query: { analysis: ids.analysis, score: 'multiple' } }) },
};
/** Routes that are about the caller, not a lab. */
const userRoutes = ['/labs', '/me'];

function routeFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...routeFiles(path.join(dir, e.name), `${prefix}/${e.name}`));
    else if (e.name === 'route.ts') out.push(prefix || '/');
  }
  return out;
}

type RouteModule = Partial<Record<(typeof METHODS)[number], (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>>>;
const loadRoute = (route: string): Promise<RouteModule> => import(path.join(APP, 'api/v1', route, 'route.ts'));

const writes = Object.entries(apiMatrix).flatMap(([route, byMethod]) =>
  Object.entries(byMethod)
    .filter(([m]) => m !== 'GET')
    .map(([method, make]) => ({ route, method: method as (typeof METHODS)[number], make: make! })),
);
const all = Object.entries(apiMatrix).flatMap(([route, byMethod]) =>
  Object.entries(byMethod).map(([method, make]) => ({ route, method: method as (typeof METHODS)[number], make: make! })),
);

describe('API access matrix', () => {
  it('covers every /api/v1 route and method', async () => {
    for (const route of routeFiles(path.join(APP, 'api/v1'))) {
      const mod = await loadRoute(route);
      for (const m of METHODS) {
        if (!mod[m]) continue;
        if (userRoutes.includes(route)) continue;
        expect(apiMatrix[route]?.[m], `${m} /api/v1${route} has no row in the access matrix`).toBeDefined();
      }
    }
  });

  it("a member of lab A gets 404 for everything of lab B, by B's address or by B's ids under A", async () => {
    const before = await fingerprint();
    const seen: string[] = [];
    for (const { route, method, make } of all) {
      const handler = (await loadRoute(route))[method]!;
      for (const [how, req] of [
        ['via lab B', make(world.B, world.B)],
        ["via lab A with B's ids", make(world.A, world.B)],
      ] as const) {
        // Lab A's own collection routes are legitimately readable/writable by its member.
        const ownCollection = how !== 'via lab B' && !Object.keys(req.params).some((k) => k !== 'lab') && !req.query && !(/\/analyses(\/estimate)?$/.test(route) && method === 'POST');
        if (ownCollection) continue;
        for (const auth of ['token', 'session'] as const) {
          const creds = auth === 'token' ? { token: world.tokens.memberA } : { cookie: await sessionCookie(world.users.memberA) };
          const res = await callRoute(handler as never, `/api/v1${route}`, { method, ...creds, ...req });
          seen.push(`${method} ${route} ${how} ${auth}: ${res.status}`);
          expect(res.status, `${method} ${route} ${how} (${auth})`).toBe(404);
          expect(res.body.error).toMatch(/not found/);
        }
      }
    }
    expect(seen.length).toBeGreaterThanOrEqual(24);
    expect(await fingerprint()).toBe(before);
  });

  it('a viewer of lab A gets 403 for every write in lab A, and can read', async () => {
    const before = await fingerprint();
    for (const { route, method, make } of writes) {
      const handler = (await loadRoute(route))[method]!;
      const res = await callRoute(handler as never, `/api/v1${route}`, { method, token: world.tokens.viewerA, ...make(world.A, world.A) });
      expect(res.status, `${method} ${route}`).toBe(403);
      expect(res.body.error).toMatch(/needs the (member|owner) role.*you are a viewer/);
    }
    for (const { route, method, make } of all.filter((x) => x.method === 'GET')) {
      const handler = (await loadRoute(route))[method]!;
      const res = await callRoute(handler as never, `/api/v1${route}`, { token: world.tokens.viewerA, ...make(world.A, world.A) });
      expect(res.status, `GET ${route}`).toBe(200);
    }
    expect(await fingerprint()).toBe(before);
  });

  it('without credentials every route is 401', async () => {
    for (const { route, method, make } of all) {
      const handler = (await loadRoute(route))[method]!;
      const res = await callRoute(handler as never, `/api/v1${route}`, { method, ...make(world.A, world.A) });
      expect(res.status, `${method} ${route}`).toBe(401);
    }
    for (const route of userRoutes) expect((await callRoute((await loadRoute(route)).GET as never, '')).status).toBe(401);
  });

  it('a cookie-authenticated write from another site is refused', async () => {
    const handler = (await loadRoute('/labs/[lab]/analyses/[analysisId]/cancel')).POST!;
    const res = await callRoute(handler as never, '/x', {
      method: 'POST',
      cookie: await sessionCookie(world.users.ownerA),
      headers: { origin: 'https://evil.example', host: 'localhost:3000' },
      params: { lab: 'lab-a', analysisId: world.A.analysis },
    });
    expect(res.status).toBe(403);
  });
});

// ---------------------------------------------------------------- pages

type PageModule = { default: (props: { params: Promise<Record<string, string>> }) => Promise<unknown> };
const pageMatrix: Record<string, { params: (lab: Ids, ids: Ids) => Record<string, string>; write: boolean }> = {
  '': { params: (lab) => ({ lab: lab.lab }), write: false },
  '/members': { params: (lab) => ({ lab: lab.lab }), write: false },
  '/models/new': { params: (lab) => ({ lab: lab.lab }), write: true },
  '/models/[modelId]': { params: (lab, ids) => ({ lab: lab.lab, modelId: ids.model }), write: false },
  '/datasets/new': { params: (lab) => ({ lab: lab.lab }), write: true },
  '/datasets/[datasetId]': { params: (lab, ids) => ({ lab: lab.lab, datasetId: ids.dataset }), write: false },
  '/analyses/new': { params: (lab) => ({ lab: lab.lab }), write: true },
  '/analyses/[analysisId]/layers/[layer]': { params: (lab, ids) => ({ lab: lab.lab, analysisId: ids.analysis, layer: 'conv1' }), write: false },
  '/analyses/[analysisId]/layers/[layer]/channels/[c]': { params: (lab, ids) => ({ lab: lab.lab, analysisId: ids.analysis, layer: 'conv1', c: '0' }), write: false },
  '/analyses/[analysisId]': { params: (lab, ids) => ({ lab: lab.lab, analysisId: ids.analysis }), write: false },
  '/history/(timeline)': { params: (lab) => ({ lab: lab.lab }), write: false },
  '/history/[analysisId]': { params: (lab, ids) => ({ lab: lab.lab, analysisId: ids.analysis }), write: false },
  '/compare': { params: (lab) => ({ lab: lab.lab }), write: false },
  '/compare/architectures': { params: (lab) => ({ lab: lab.lab }), write: false },
  '/compare/classes': { params: (lab) => ({ lab: lab.lab }), write: false },
  '/compare/runs': { params: (lab) => ({ lab: lab.lab }), write: false },
  '/compare/methods': { params: (lab) => ({ lab: lab.lab }), write: false },
};

function pageFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...pageFiles(path.join(dir, e.name), `${prefix}/${e.name}`));
    else if (e.name === 'page.tsx') out.push(prefix);
  }
  return out;
}
const loadPage = (sub: string): Promise<PageModule> => import(path.join(APP, 'labs/[lab]', sub, 'page.tsx'));
const render = (sub: string, params: Record<string, string>) => nextInterrupt(async () => (await loadPage(sub)).default({ params: Promise.resolve(params) }));

describe('page access matrix', () => {
  it('covers every lab page', () => {
    for (const sub of pageFiles(path.join(APP, 'labs/[lab]'))) expect(pageMatrix[sub], `page /labs/[lab]${sub} has no row`).toBeDefined();
  });

  it("a member of lab A gets the not-found page for lab B's pages and B's objects under A", async () => {
    await actAs(world.users.memberA);
    for (const [sub, { params }] of Object.entries(pageMatrix)) {
      expect(await render(sub, params(world.B, world.B)), `/labs/lab-b${sub}`).toBe('404');
      if (Object.keys(params(world.A, world.B)).length > 1) {
        expect(await render(sub, params(world.A, world.B)), `/labs/lab-a${sub} with B's id`).toBe('404');
      }
    }
  });

  it('a viewer of lab A gets the forbidden page for write pages and sees the others', async () => {
    await actAs(world.users.viewerA);
    for (const [sub, { params, write }] of Object.entries(pageMatrix)) {
      expect(await render(sub, params(world.A, world.A)), `/labs/lab-a${sub}`).toBe(write ? '403' : 'rendered');
    }
  });

  it('signed-out visitors are sent to sign-in', async () => {
    await actAs(null);
    for (const [sub, { params }] of Object.entries(pageMatrix)) {
      expect(await render(sub, params(world.A, world.A))).toMatch(/^redirect:\/signin\?callbackUrl=%2Flabs%2Flab-a/);
    }
  });
});

// ---------------------------------------------------------------- server actions

type Action = (prev: null, form: FormData) => Promise<{ ok: boolean; status?: number } | null>;
const actionMatrix: { name: string; action: Action; role: 'member' | 'owner'; fields: (lab: Ids, ids: Ids) => Record<string, string> }[] = [
  { name: 'invite', action: labActions.inviteAction as Action, role: 'owner', fields: (lab) => ({ lab: lab.lab, email: 'someone@example.org', role: 'owner' }) },
  { name: 'revoke invitation', action: labActions.revokeInvitationAction as Action, role: 'owner', fields: (lab, ids) => ({ lab: lab.lab, invitationId: ids.invitation }) },
  { name: 'change role', action: labActions.changeRoleAction as Action, role: 'owner', fields: (lab, ids) => ({ lab: lab.lab, membershipId: ids.membership, role: 'owner' }) },
  { name: 'remove member', action: labActions.removeMemberAction as Action, role: 'owner', fields: (lab, ids) => ({ lab: lab.lab, membershipId: ids.membership }) },
  { name: 'change limits', action: limitActions.updateLimitsAction as Action, role: 'owner', fields: (lab) => ({ lab: lab.lab, maxQueuedAnalyses: '50' }) },
  {
    name: 'queue analysis (form)',
    action: queueActions.queueAnalysisAction as Action,
    role: 'member',
    fields: (lab, ids) => ({ lab: lab.lab, modelVersionId: ids.version, datasetId: ids.dataset, targetKind: 'class', classIndex: '1' }),
  },
  { name: 'post comment', action: discussionActions.postCommentAction as Action, role: 'member', fields: (lab, ids) => ({ lab: lab.lab, analysisId: ids.analysis, body: 'hello' }) },
  { name: 'edit comment', action: discussionActions.editCommentAction as Action, role: 'member', fields: (lab, ids) => ({ lab: lab.lab, analysisId: ids.analysis, commentId: ids.comment, body: 'edited' }) },
  { name: 'delete comment', action: discussionActions.deleteCommentAction as Action, role: 'member', fields: (lab, ids) => ({ lab: lab.lab, analysisId: ids.analysis, commentId: ids.comment }) },
  { name: 'pin channel', action: discussionActions.pinAction as Action, role: 'member', fields: (lab, ids) => ({ lab: lab.lab, analysisId: ids.analysis, layer: 'conv1', channel: '3' }) },
  { name: 'unpin channel', action: discussionActions.unpinAction as Action, role: 'member', fields: (lab, ids) => ({ lab: lab.lab, analysisId: ids.analysis, pinId: ids.pin }) },
  // Members may delete or archive what they uploaded (owners anything); the matrix objects are the owner's.
  { name: 'delete model', action: catalogActions.deleteModelAction as Action, role: 'member', fields: (lab, ids) => ({ lab: lab.lab, modelId: ids.model }) },
  { name: 'archive model', action: catalogActions.archiveModelAction as Action, role: 'member', fields: (lab, ids) => ({ lab: lab.lab, modelId: ids.model, archived: 'true' }) },
  { name: 'delete dataset', action: catalogActions.deleteDatasetAction as Action, role: 'member', fields: (lab, ids) => ({ lab: lab.lab, datasetId: ids.dataset }) },
  { name: 'archive dataset', action: catalogActions.archiveDatasetAction as Action, role: 'member', fields: (lab, ids) => ({ lab: lab.lab, datasetId: ids.dataset, archived: 'true' }) },
];

/** Actions that name no object besides the lab (nothing of B's to point at under A). */
const NO_OBJECT = ['invite', 'change limits'];

describe('server action access matrix', () => {
  it('covers every lab action exported by app/actions', () => {
    const exported = [...Object.keys(labActions), ...Object.keys(discussionActions), ...Object.keys(catalogActions), ...Object.keys(limitActions)].filter((k) => k.endsWith('Action'));
    const userLevel = ['createLabAction', 'createTokenAction', 'revokeTokenAction'];
    const covered = actionMatrix.map((a) => Object.entries({ ...labActions, ...discussionActions, ...catalogActions, ...limitActions }).find(([, fn]) => fn === a.action)?.[0]);
    for (const name of exported) if (!userLevel.includes(name)) expect(covered, `${name} has no row`).toContain(name);
  });

  it("a member of lab A gets 404 acting on lab B, or on B's objects under A", async () => {
    const before = await fingerprint();
    await actAs(world.users.memberA);
    for (const { name, action, fields } of actionMatrix) {
      expect(await action(null, formOf(fields(world.B, world.B))), `${name} on lab B`).toMatchObject({ ok: false, status: 404 });
      if (!NO_OBJECT.includes(name)) {
        const res = await action(null, formOf(fields(world.A, world.B)));
        // Owner-only actions stop at the role check (403) before looking at the object.
        expect(res, `${name} on B's object under A`).toMatchObject({ ok: false, status: actionMatrix.find((a) => a.name === name)!.role === 'owner' ? 403 : 404 });
      }
    }
    await actAs(world.users.ownerA);
    for (const { name, action, fields } of actionMatrix.filter((a) => !NO_OBJECT.includes(a.name))) {
      expect(await action(null, formOf(fields(world.A, world.B))), `${name} by A's owner on B's object`).toMatchObject({ ok: false, status: 404 });
    }
    expect(await fingerprint()).toBe(before);
  });

  it('a viewer of lab A gets 403 for every action; a member for owner-only actions', async () => {
    const before = await fingerprint();
    await actAs(world.users.viewerA);
    for (const { name, action, fields } of actionMatrix) {
      expect(await action(null, formOf(fields(world.A, world.A))), name).toMatchObject({ ok: false, status: 403 });
    }
    await actAs(world.users.memberA);
    for (const { name, action, fields } of actionMatrix.filter((a) => a.role === 'owner')) {
      expect(await action(null, formOf(fields(world.A, world.A))), name).toMatchObject({ ok: false, status: 403 });
    }
    await actAs(null);
    for (const { name, action, fields } of actionMatrix) {
      expect(await action(null, formOf(fields(world.A, world.A))), name).toMatchObject({ ok: false, status: 401 });
    }
    expect(await fingerprint()).toBe(before);
  });
});
