/**
 * Security finding: sessions and cookies. Sessions lasted 30 days and
 * survived sign-out; cookies were Secure only when NEXTAUTH_URL said https.
 * Here: rolling renewal of the 7-day session cookie, that a renewed cookie
 * keeps its session version (so a revoked session stays revoked), and that
 * X-Forwarded-Proto counts only from a trusted proxy. (Sign-out revocation and
 * Secure cookies on the production server: auth-web.portal.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decode, encode } from 'next-auth/jwt';
import { useTestDatabase } from '../helpers/db';
import { authOptions, revokeSessions, sessionIsCurrent } from '../../lib/server/auth';
import { identityFromCookies } from '../../lib/server/access';
import { requestIsHttps } from '../../lib/server/https';
import { renewSessionCookie, SESSION_RENEW_AFTER_SECONDS } from '../../lib/server/session-renewal';
import { signUp } from '../../lib/server/signup';

useTestDatabase();

const DAY = 24 * 3600;
const saved = { ...process.env };
afterEach(() => {
  for (const k of ['PCACE_TRUST_PROXY', 'PCACE_TRUSTED_PROXIES', 'NEXTAUTH_URL', 'PCACE_SESSION_DAYS']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('session lifetime', () => {
  it('is 7 days by default, configurable, and renewed once a day while in use', async () => {
    expect(authOptions().session?.maxAge).toBe(7 * DAY);
    process.env.PCACE_SESSION_DAYS = '2';
    expect(authOptions().session?.maxAge).toBe(2 * DAY);
    delete process.env.PCACE_SESSION_DAYS;

    const secret = process.env.NEXTAUTH_SECRET!;
    const value = await encode({ token: { sub: 'user-1', sv: 3, email: 'a@example.org' }, secret, maxAge: 7 * DAY });
    const now = Math.floor(Date.now() / 1000);
    const cookies = [{ name: 'next-auth.session-token', value }];
    // Fresh: left alone.
    expect(await renewSessionCookie(cookies, now + 60)).toBeNull();
    // A day and a bit later: re-issued for another 7 days from then, same claims.
    const later = now + SESSION_RENEW_AFTER_SECONDS + 60;
    const renewed = await renewSessionCookie(cookies, later);
    expect(renewed).toMatchObject({ name: 'next-auth.session-token', maxAge: 7 * DAY, secure: false });
    const token = await decode({ token: renewed!.value, secret });
    expect(token).toMatchObject({ sub: 'user-1', sv: 3, email: 'a@example.org' });
    expect(token!.exp as number).toBeGreaterThanOrEqual(now + 7 * DAY);
    // Expired, forged or foreign cookies are not renewed.
    expect(await renewSessionCookie(cookies, now + 8 * DAY)).toBeNull();
    expect(await renewSessionCookie([{ name: 'next-auth.session-token', value: 'garbage' }], later)).toBeNull();
    expect(await renewSessionCookie([{ name: 'other', value }], later)).toBeNull();
    const secure = await renewSessionCookie([{ name: '__Secure-next-auth.session-token', value }], later);
    expect(secure?.secure).toBe(true);
  });

  it('a revoked session stays revoked, renewed or not', async () => {
    const { user } = await signUp({ name: 'Sid', email: 'sid@example.org', password: 'cobalt-willow-trellis' }, new Headers());
    const secret = process.env.NEXTAUTH_SECRET!;
    const value = await encode({ token: { sub: user.id, sv: 0 }, secret });
    const jar = (v: string) => new Map([['next-auth.session-token', v]]);
    expect((await identityFromCookies(jar(value)))?.user.id).toBe(user.id);
    expect(await sessionIsCurrent(user.id, 0)).toBe(true);

    await revokeSessions(user.id);
    expect(await identityFromCookies(jar(value))).toBeNull();
    expect(await sessionIsCurrent(user.id, 0)).toBe(false);
    const renewed = await renewSessionCookie([{ name: 'next-auth.session-token', value }], Math.floor(Date.now() / 1000) + 2 * DAY);
    expect(await identityFromCookies(jar(renewed!.value))).toBeNull();
    // A session issued after the revocation works.
    expect((await identityFromCookies(jar(await encode({ token: { sub: user.id, sv: 1 }, secret }))))?.user.id).toBe(user.id);
  });
});

describe('HTTPS detection (Secure cookies, HSTS)', () => {
  const https = new Headers({ 'x-forwarded-proto': 'https' });

  it('ignores X-Forwarded-Proto from an untrusted client', () => {
    delete process.env.PCACE_TRUST_PROXY;
    delete process.env.PCACE_TRUSTED_PROXIES;
    process.env.NEXTAUTH_URL = 'http://localhost:3000';
    expect(requestIsHttps(https)).toBe(false);
    expect(authOptions(https).useSecureCookies).toBe(false);
  });

  it('honours it behind a trusted proxy (first hop), and always when NEXTAUTH_URL is https', () => {
    process.env.NEXTAUTH_URL = 'http://localhost:3000';
    process.env.PCACE_TRUST_PROXY = '1';
    expect(requestIsHttps(https)).toBe(true);
    expect(requestIsHttps(new Headers({ 'x-forwarded-proto': 'https, http' }))).toBe(true);
    expect(requestIsHttps(new Headers({ 'x-forwarded-proto': 'http' }))).toBe(false);
    expect(authOptions(https).useSecureCookies).toBe(true);
    delete process.env.PCACE_TRUST_PROXY;
    process.env.PCACE_TRUSTED_PROXIES = '1';
    expect(requestIsHttps(https)).toBe(true);
    delete process.env.PCACE_TRUSTED_PROXIES;
    process.env.NEXTAUTH_URL = 'https://lab.example.org';
    expect(requestIsHttps(new Headers())).toBe(true);
  });
});
