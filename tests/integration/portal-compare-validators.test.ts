/**
 * HTTP validators of the compare views: a view of completed analyses carries a
 * strong ETag of its bytes, and a request that already holds it gets 304
 * without the body. The access check runs before: another lab's caller, a
 * signed-out one, or ids of another lab get 404/401 whatever tag they send.
 * Views with a running analysis carry no validator (their body changes).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { sessionCookie, useTestDatabase } from '../helpers/db';
import * as archRoute from '../../app/api/v1/labs/[lab]/compare/architectures/route';
import * as runsRoute from '../../app/api/v1/labs/[lab]/compare/runs/route';
import { seedNetwork, syntheticLayer, type SeedNetwork } from '../../bench/compare-seed';
import { saveLayerResult } from '../../lib/queue/result-rows';
import { noneMatch } from '../../lib/server/compare';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import { signUp } from '../../lib/server/signup';
import { setEnv } from '../helpers/env';

useTestDatabase();

const NET_A: SeedNetwork['layers'] = [
  ['conv1', 16, 28],
  ['conv2', 32, 14],
];
const NET_B: SeedNetwork['layers'] = [['features.0', 24, 28]];

const w = { slug: '', labId: '', userId: '', token: '', otherSlug: '', otherToken: '', otherAnalysis: '', a: '', a2: '', b: '' };

beforeAll(async () => {
  const { user, lab } = await signUp({ name: 'Etag Owner', email: 'etag@example.org', password: 'validator-password' }, new Headers());
  Object.assign(w, { slug: lab.slug, labId: lab.id, userId: user.id, token: (await createApiToken(user.id, 't')).token });
  const base = { labId: lab.id, userId: user.id };
  w.a = (await seedNetwork(db, { ...base, modelName: 'resnet', layers: NET_A, classIndex: 0, runSeed: 1 })).analysisId;
  w.a2 = (await seedNetwork(db, { ...base, modelName: 'resnet', layers: NET_A, classIndex: 0, runSeed: 2 })).analysisId;
  w.b = (await seedNetwork(db, { ...base, modelName: 'vgg', layers: NET_B, classIndex: 0, runSeed: 1 })).analysisId;
  const other = await signUp({ name: 'Other', email: 'etag-other@example.org', password: 'other-password' }, new Headers());
  w.otherSlug = other.lab.slug;
  w.otherToken = (await createApiToken(other.user.id, 't')).token;
  w.otherAnalysis = (await seedNetwork(db, { labId: other.lab.id, userId: other.user.id, modelName: 'resnet', layers: NET_A, classIndex: 0, runSeed: 1 })).analysisId;
});

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

function call(route: { GET: unknown }, query: Record<string, string>, opts: { token?: string | null; cookie?: string; slug?: string; ifNoneMatch?: string } = {}): Promise<Response> {
  const headers = new Headers();
  const token = opts.token === undefined ? w.token : opts.token;
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (opts.cookie) headers.set('cookie', opts.cookie);
  if (opts.ifNoneMatch) headers.set('if-none-match', opts.ifNoneMatch);
  const url = new URL('http://localhost:3000/api');
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return (route.GET as Handler)(new Request(url, { headers }), { params: Promise.resolve({ lab: opts.slug ?? w.slug }) });
}

describe('If-None-Match', () => {
  it('compares entity tags weakly, in a list, and * matches any', () => {
    expect(noneMatch(null, '"x"')).toBe(false);
    expect(noneMatch('"x"', '"x"')).toBe(true);
    expect(noneMatch('W/"x"', '"x"')).toBe(true);
    expect(noneMatch('"y", W/"x" ,"z"', '"x"')).toBe(true);
    expect(noneMatch('*', '"x"')).toBe(true);
    expect(noneMatch('"y"', '"x"')).toBe(false);
    expect(noneMatch('x', '"x"')).toBe(false);
  });
});

describe('compare views of completed analyses', () => {
  it('carry a strong ETag of their bytes, and answer 304 without a body to a request that holds it', async () => {
    for (const [route, query] of [
      [archRoute, { a: w.a, b: w.b }],
      [runsRoute, { a: w.a, b: w.a2 }],
    ] as const) {
      const first = await call(route, query);
      expect(first.status).toBe(200);
      const etag = first.headers.get('etag')!;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      const body = await first.text();
      // The same bytes (from the cache now) under the same tag.
      const again = await call(route, query);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe(body);

      for (const held of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const res = await call(route, query, { ifNoneMatch: held });
        expect(res.status, held).toBe(304);
        expect(res.headers.get('etag')).toBe(etag);
        expect(res.headers.get('cache-control')).toBe('private, no-cache, no-transform');
        expect(await res.text()).toBe('');
      }
      const stale = await call(route, query, { ifNoneMatch: '"an-older-body"' });
      expect(stale.status).toBe(200);
      expect(await stale.text()).toBe(body);
    }
  });

  it('another view (another score) has another tag', async () => {
    const crossfit = await call(archRoute, { a: w.a, b: w.b, score: 'crossfit' });
    const pc1 = await call(archRoute, { a: w.a, b: w.b, score: 'pc1' });
    expect(crossfit.headers.get('etag')).not.toBe(pc1.headers.get('etag'));
    expect((await call(archRoute, { a: w.a, b: w.b, score: 'pc1' }, { ifNoneMatch: crossfit.headers.get('etag')! })).status).toBe(200);
  });

  it('check access before any 304: other labs, signed-out callers and foreign ids get 404 or 401 whatever tag they send', async () => {
    const etag = (await call(archRoute, { a: w.a, b: w.b })).headers.get('etag')!;
    for (const ifNoneMatch of [etag, '*']) {
      // A member of another lab, through our address, and through theirs with our ids.
      expect((await call(archRoute, { a: w.a, b: w.b }, { token: w.otherToken, ifNoneMatch })).status).toBe(404);
      expect((await call(archRoute, { a: w.a, b: w.b }, { token: w.otherToken, slug: w.otherSlug, ifNoneMatch })).status).toBe(404);
      // Signed out.
      const anon = await call(archRoute, { a: w.a, b: w.b }, { token: null, ifNoneMatch });
      expect(anon.status).toBe(401);
      expect(anon.headers.get('etag')).toBeNull();
      // Our caller, one id of another lab.
      expect((await call(archRoute, { a: w.a, b: w.otherAnalysis }, { ifNoneMatch })).status).toBe(404);
    }
    // A session (the browser's way) revalidates like a token.
    const cookie = await sessionCookie(w.userId);
    expect((await call(archRoute, { a: w.a, b: w.b }, { token: null, cookie, ifNoneMatch: etag })).status).toBe(304);
  });

  it('with the view cache off, or with a running analysis, there is no validator and never a 304', async () => {
    const restore = setEnv({ PCACE_COMPARE_CACHE_MB: '0' });
    try {
      const res = await call(archRoute, { a: w.a, b: w.b }, { ifNoneMatch: '*' });
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBeNull();
    } finally {
      restore();
    }
    const running = await db.analysis.create({
      data: { labId: w.labId, modelVersionId: (await db.analysis.findUniqueOrThrow({ where: { id: w.b } })).modelVersionId, datasetId: (await db.dataset.findFirstOrThrow({ where: { labId: w.labId } })).id, target: { kind: 'class', index: 0 }, layers: 'all', options: {}, status: 'running', createdById: w.userId },
    });
    await saveLayerResult(db, running.id, 0, syntheticLayer({ labId: w.labId, userId: w.userId, modelName: 'vgg', layers: NET_B, classIndex: 0, runSeed: 9 }, 0));
    const live = await call(archRoute, { a: w.a, b: running.id }, { ifNoneMatch: '*' });
    expect(live.status).toBe(200);
    expect(live.headers.get('etag')).toBeNull();
    expect(live.headers.get('cache-control')).toBe('private, no-cache');
    await db.analysis.delete({ where: { id: running.id } });
  });
});
