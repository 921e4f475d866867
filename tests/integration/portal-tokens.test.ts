/** API tokens: created through the settings action (shown once, stored hashed), accepted as Bearer on /api/v1, revoked. */
import { describe, expect, it, vi } from 'vitest';
import { actAs, callRoute, formOf as form, sessionCookie, useTestDatabase } from '../helpers/db';
import { createTokenAction, revokeTokenAction } from '../../app/actions/labs';
import * as me from '../../app/api/v1/me/route';
import * as labs from '../../app/api/v1/labs/route';
import * as labRoute from '../../app/api/v1/labs/[lab]/route';
import { TOKEN_STAMP_MS } from '../../lib/server/access';
import { db } from '../../lib/db/client';
import { signUp } from '../../lib/server/signup';
import { sha256Hex } from '../../lib/server/tokens';

useTestDatabase();

describe('API tokens', () => {
  let token = '';
  let tokenId = '';
  let userId = '';

  it('are created by the signed-in user, shown once and stored as a hash', async () => {
    const { user } = await signUp({ name: 'Tok', email: 'tok@example.org', password: 'token-owner-pw' }, new Headers());
    userId = user.id;
    await actAs(user.id);
    const res = await createTokenAction(null, form({ name: 'laptop' }));
    expect(res?.ok).toBe(true);
    if (!res?.ok) return;
    token = res.data.token;
    expect(token).toMatch(/^pcl_[A-Za-z0-9_-]{43}$/);
    const row = await db.apiToken.findFirstOrThrow({ where: { userId } });
    tokenId = row.id;
    expect(row.tokenHash).toBe(sha256Hex(token));
    expect(JSON.stringify(row)).not.toContain(token.slice(4));
    expect(token.startsWith(row.prefix)).toBe(true);
  });

  it('needs a signed-in user', async () => {
    await actAs(null);
    expect(await createTokenAction(null, form({ name: 'x' }))).toMatchObject({ ok: false, status: 401 });
  });

  it('authenticate /api/v1 requests as their owner and record last use', async () => {
    const res = await callRoute(me.GET, '/api/v1/me', { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user: { id: userId, email: 'tok@example.org' }, via: 'token' });
    const list = await callRoute(labs.GET, '/api/v1/labs', { token });
    expect(list.status).toBe(200);
    expect(list.body.labs).toHaveLength(1);
    expect(list.body.labs[0].role).toBe('owner');
    expect((await db.apiToken.findUniqueOrThrow({ where: { id: tokenId } })).lastUsedAt).not.toBeNull();
  });

  it('stamp their last use at most once a minute, not on every request', async () => {
    const lastUsed = async () => (await db.apiToken.findUniqueOrThrow({ where: { id: tokenId } })).lastUsedAt!.getTime();
    const first = await lastUsed();
    for (let i = 0; i < 3; i++) expect((await callRoute(me.GET, '/api/v1/me', { token })).status).toBe(200);
    expect(await lastUsed()).toBe(first);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + TOKEN_STAMP_MS + 1000 });
    try {
      expect((await callRoute(me.GET, '/api/v1/me', { token })).status).toBe(200);
      const second = await lastUsed();
      expect(second).toBeGreaterThan(first + TOKEN_STAMP_MS);
      expect((await callRoute(me.GET, '/api/v1/me', { token })).status).toBe(200);
      expect(await lastUsed()).toBe(second);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stop reaching a lab as soon as the membership is removed', async () => {
    const { user: owner, lab } = await signUp({ name: 'Lab Owner', email: 'lab-owner@example.org', password: 'quartz-heron-lantern-91' }, new Headers());
    const membership = await db.membership.create({ data: { labId: lab.id, userId, role: 'member' } });
    const call = () => callRoute(labRoute.GET as never, `/api/v1/labs/${lab.slug}`, { token, params: { lab: lab.slug } });
    expect((await call()).status).toBe(200);
    await db.membership.delete({ where: { id: membership.id } });
    expect(await call()).toMatchObject({ status: 404, body: { error: 'lab not found' } });
    await db.user.delete({ where: { id: owner.id } });
  });

  it('reject missing, malformed and unknown credentials with 401', async () => {
    expect((await callRoute(me.GET, '/api/v1/me')).status).toBe(401);
    expect((await callRoute(me.GET, '/api/v1/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect((await callRoute(me.GET, '/api/v1/me', { token: 'pcl_' + 'x'.repeat(43) })).status).toBe(401);
    expect((await callRoute(me.GET, '/api/v1/me', { token: 'not-a-token' })).status).toBe(401);
    // A session JWT is not accepted as a bearer token.
    const jwt = (await sessionCookie(userId)).split('=')[1];
    expect((await callRoute(me.GET, '/api/v1/me', { token: jwt })).status).toBe(401);
  });

  it('the session cookie also works on the API (the portal pages use it)', async () => {
    const res = await callRoute(me.GET, '/api/v1/me', { cookie: await sessionCookie(userId) });
    expect(res).toMatchObject({ status: 200, body: { via: 'session' } });
  });

  it('only the owner can revoke a token; a revoked token is refused', async () => {
    const { user: other } = await signUp({ name: 'Other', email: 'other@example.org', password: 'other-user-pw' }, new Headers());
    await actAs(other.id);
    expect(await revokeTokenAction(null, form({ tokenId }))).toMatchObject({ ok: false, status: 404 });
    expect((await callRoute(me.GET, '/api/v1/me', { token })).status).toBe(200);

    await actAs(userId);
    expect(await revokeTokenAction(null, form({ tokenId }))).toMatchObject({ ok: true });
    const res = await callRoute(me.GET, '/api/v1/me', { token });
    expect(res).toMatchObject({ status: 401, body: { error: 'invalid or revoked API token' } });
    // Revoking twice: already gone.
    expect(await revokeTokenAction(null, form({ tokenId }))).toMatchObject({ ok: false, status: 404 });
  });
});
