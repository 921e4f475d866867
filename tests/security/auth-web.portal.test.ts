/**
 * Security findings on the production server (scripts/dev.ts --production),
 * behind a trusted proxy (PCACE_TRUST_PROXY=1), and in Chromium:
 * - open redirect after sign-in: every callbackUrl that is not a path of this
 *   site is refused (400 with a message, also `/%0a/x`, which answered 500);
 *   next-auth's own redirect stays on the site; a good path is kept;
 * - sessions: a session cookie captured before sign-out is refused after it;
 *   cookies last 7 days; over HTTPS (a trusted proxy's X-Forwarded-Proto)
 *   cookies are Secure and responses carry HSTS;
 * - headers: a CSP with a fresh nonce per request that Next.js puts on its
 *   scripts, frame-ancestors 'none', Permissions-Policy, nosniff,
 *   Referrer-Policy; the main pages load and their forms work with no CSP
 *   violation (the password change, which also ends the session, among them);
 * - the data API, which the proxy does not run for: a fixed CSP that allows
 *   nothing, nosniff, HSTS over HTTPS on every answer (Next.js's own 404/405
 *   included); next-auth's routes keep the proxy's callbackUrl guard; a compare
 *   view's ETag gets 304 only past the access check.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { seedNetwork } from '../../bench/compare-seed';
import { db } from '../../lib/db/client';
import { signUp } from '../../lib/server/signup';
import { createApiToken } from '../../lib/server/labs';
import { usePortal } from '../helpers/portal';

const portal = usePortal({ env: { PCACE_TRUST_PROXY: '1' } });

const EMAIL = 'web@example.org';
const PASSWORD = 'juniper-quarry-sonnet';
let slug = '';
const ids: Record<string, string> = {};

beforeAll(async () => {
  const { user, lab } = await signUp({ name: 'Web Tester', email: EMAIL, password: PASSWORD }, new Headers());
  slug = lab.slug;
  const base = { labId: lab.id, userId: user.id };
  ids.a = (await seedNetwork(db, { ...base, modelName: 'net-a', layers: [['conv1', 16, 8], ['conv2', 32, 4]], classIndex: 0, runSeed: 1, title: 'A' })).analysisId;
  ids.b = (await seedNetwork(db, { ...base, modelName: 'net-b', layers: [['features.0', 16, 8], ['features.2', 32, 4], ['features.5', 32, 2]], classIndex: 0, runSeed: 2, title: 'B' })).analysisId;
}, 300_000);

// ---------------------------------------------------------------- a tiny cookie jar over fetch

type Jar = Map<string, string>;

function setCookies(res: Response): string[] {
  return res.headers.getSetCookie();
}

function absorb(jar: Jar, res: Response): void {
  for (const line of setCookies(res)) {
    const [pair] = line.split(';');
    const i = pair.indexOf('=');
    const name = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    if (/max-age=0\b/i.test(line) || value === '') jar.delete(name);
    else jar.set(name, value);
  }
}

const cookieHeader = (jar: Jar) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

async function request(jar: Jar, path: string, init: RequestInit & { https?: boolean } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (jar.size) headers.set('cookie', cookieHeader(jar));
  if (init.https) headers.set('x-forwarded-proto', 'https');
  const res = await fetch(`${portal.base}${path}`, { ...init, headers, redirect: 'manual' });
  absorb(jar, res);
  return res;
}

/** next-auth's credentials sign-in as its client does it (CSRF token, then the form post). */
async function signIn(jar: Jar, opts: { callbackUrl?: string; https?: boolean } = {}): Promise<Response> {
  const { csrfToken } = (await (await request(jar, '/api/auth/csrf', { https: opts.https })).json()) as { csrfToken: string };
  return request(jar, '/api/auth/callback/credentials', {
    method: 'POST',
    https: opts.https,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrfToken, email: EMAIL, password: PASSWORD, callbackUrl: opts.callbackUrl ?? '/labs', json: 'true' }),
  });
}

async function signOut(jar: Jar): Promise<Response> {
  const { csrfToken } = (await (await request(jar, '/api/auth/csrf')).json()) as { csrfToken: string };
  return request(jar, '/api/auth/signout', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrfToken, callbackUrl: '/', json: 'true' }),
  });
}

// ---------------------------------------------------------------- open redirect

// As they appear in the query string (percent-encoded where a browser would).
const BAD_CALLBACKS = [
  '/%09/evil.example',
  encodeURIComponent('/\t/evil.example'),
  '//evil.example',
  encodeURIComponent('/\\evil.example'),
  'https://evil.example',
  '/%0a/x',
  'javascript:alert(1)',
  '/%5cevil.example',
  encodeURIComponent(' /evil'),
];

describe('open redirect after sign-in', () => {
  it('refuses every callbackUrl that is not a path of this site with a 400 and a message, signed in or not', async () => {
    const signedIn: Jar = new Map();
    expect((await signIn(signedIn)).status).toBe(200);
    for (const jar of [new Map() as Jar, signedIn]) {
      for (const payload of BAD_CALLBACKS) {
        for (const page of ['/signin', '/signup']) {
          const res = await request(jar, `${page}?callbackUrl=${payload}`);
          expect(res.status, `${page} ${payload}`).toBe(400);
          expect(res.headers.get('location')).toBeNull();
          expect(await res.text()).toContain('callbackUrl must be a path on this site');
        }
      }
    }
  });

  it('keeps a good path: the sign-in page of a signed-in user sends them there', async () => {
    const anonymous = await request(new Map(), '/signin?callbackUrl=/labs/demo');
    expect(anonymous.status).toBe(200);
    const jar: Jar = new Map();
    await signIn(jar);
    const res = await request(jar, '/signin?callbackUrl=/labs/demo');
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe('/labs/demo');
  });

  it("next-auth's redirect after a credentials sign-in stays on this site", async () => {
    for (const raw of ['/\t/evil.example', '//evil.example', '/\\evil.example', 'https://evil.example', '/\n/x', 'javascript:alert(1)', ' /evil', `${'http'}://evil.example/labs`]) {
      const res = await signIn(new Map(), { callbackUrl: raw });
      expect(res.status).toBe(200);
      const { url } = (await res.json()) as { url: string };
      expect(url, JSON.stringify(raw)).toBe(`${portal.base}/labs`);
    }
    const good = await signIn(new Map(), { callbackUrl: '/labs/demo?x=1' });
    expect(((await good.json()) as { url: string }).url).toBe(`${portal.base}/labs/demo?x=1`);
  });
});

// ---------------------------------------------------------------- sessions

describe('sessions', () => {
  it('a session cookie captured before sign-out is refused after it (on the API and on pages)', async () => {
    const jar: Jar = new Map();
    const res = await signIn(jar);
    const line = setCookies(res).find((c) => c.startsWith('next-auth.session-token='))!;
    expect(line).toBeDefined();
    // 7 days (PCACE_SESSION_DAYS), not next-auth's default 30.
    const expires = Date.parse(/Expires=([^;]+)/i.exec(line)![1]);
    expect(Math.abs(expires - (Date.now() + 7 * 24 * 3600 * 1000))).toBeLessThan(5 * 60 * 1000);
    expect(line).toMatch(/HttpOnly/i);
    expect(line).not.toMatch(/;\s*Secure/i); // plain HTTP, no proxy saying otherwise
    const captured = jar.get('next-auth.session-token')!;
    const replay = () => fetch(`${portal.base}/api/v1/labs`, { headers: { cookie: `next-auth.session-token=${captured}` } });

    expect((await replay()).status).toBe(200);
    expect((await signOut(jar)).status).toBe(200);
    expect((await replay()).status).toBe(401);
    const page = await fetch(`${portal.base}/labs`, { headers: { cookie: `next-auth.session-token=${captured}` }, redirect: 'manual' });
    expect(page.status).toBe(307);
    expect(page.headers.get('location')).toMatch(/^\/signin\?callbackUrl=/);
    // next-auth's own session endpoint forgets it too.
    const session = await fetch(`${portal.base}/api/auth/session`, { headers: { cookie: `next-auth.session-token=${captured}` } });
    expect(await session.json()).toEqual({});

    // Signing in again works, with a new cookie.
    const again: Jar = new Map();
    await signIn(again);
    expect(again.get('next-auth.session-token')).not.toBe(captured);
    expect((await request(again, '/api/v1/labs')).status).toBe(200);
  });

  it('behind a trusted HTTPS proxy: Secure, prefixed cookies and HSTS', async () => {
    const jar: Jar = new Map();
    const res = await signIn(jar, { https: true });
    expect(res.status).toBe(200);
    const lines = setCookies(res);
    const session = lines.find((c) => c.startsWith('__Secure-next-auth.session-token='));
    expect(session).toMatch(/;\s*Secure/i);
    expect(jar.has('__Host-next-auth.csrf-token')).toBe(true);
    for (const l of lines) expect(l, l.split('=')[0]).toMatch(/;\s*Secure/i);
    // The Secure cookie is the session.
    expect((await request(jar, '/api/v1/labs', { https: true })).status).toBe(200);

    const page = await request(new Map(), '/signin', { https: true });
    expect(page.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect(page.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
    const plain = await request(new Map(), '/signin');
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });
});

// ---------------------------------------------------------------- headers

describe('security headers', () => {
  it('every page has a CSP with a fresh nonce that Next.js puts on its scripts, and the other headers', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const res = await request(new Map(), '/signin');
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{20,}' 'strict-dynamic'(;|$)/);
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(csp).not.toMatch(/style-src [^;]*unsafe-inline/);
      const nonce = /'nonce-([^']+)'/.exec(csp)![1];
      nonces.add(nonce);
      const html = await res.text();
      const scripts = html.match(/<script\b[^>]*>/g) ?? [];
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      expect(res.headers.get('permissions-policy')).toContain('camera=()');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
    expect(nonces.size).toBe(2);
  });
});

// ---------------------------------------------------------------- the data API

describe('the data API (the proxy does not run for /api/v1)', () => {
  const API_CSP = "default-src 'none'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  it('every answer carries a CSP that allows nothing to run or frame it, nosniff and, over HTTPS, HSTS', async () => {
    const { token } = await createApiToken((await db.user.findUniqueOrThrow({ where: { email: EMAIL } })).id, 'headers');
    const answers = [
      await request(new Map(), '/api/v1/labs'), // 401 from the wrapper
      await request(new Map(), '/api/v1/labs', { headers: { authorization: `Bearer ${token}` } }), // 200
      await request(new Map(), `/api/v1/labs/${slug}/compare/architectures?a=nope`, { headers: { authorization: `Bearer ${token}` } }), // 400
      await request(new Map(), '/api/v1/no-such-route'), // Next.js's own 404
      await request(new Map(), '/api/v1/me', { method: 'PUT' }), // Next.js's own 405
    ];
    expect(answers.map((r) => r.status)).toEqual([401, 200, 400, 404, 405]);
    for (const res of answers) {
      expect(res.headers.get('content-security-policy'), res.url).toBe(API_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
    for (const path of ['/api/v1/labs', `/api/v1/labs/${slug}/compare/architectures?a=${ids.a}&b=${ids.b}`]) {
      const res = await request(new Map(), path, { https: true, headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect(res.headers.get('content-security-policy')).toBe(API_CSP);
    }
    // No token, over HTTPS: the 401 has HSTS too.
    expect((await request(new Map(), '/api/v1/me', { https: true })).headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });

  it("next-auth's routes still go through the proxy: a foreign callbackUrl is refused there", async () => {
    const res = await request(new Map(), `/api/auth/signin?callbackUrl=${encodeURIComponent('https://evil.example')}`);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toContain('callbackUrl must be a path on this site');
  });

  it('a compare view answers 304 to a request that holds its ETag, through the server', async () => {
    const { token } = await createApiToken((await db.user.findUniqueOrThrow({ where: { email: EMAIL } })).id, 'etag');
    const path = `/api/v1/labs/${slug}/compare/architectures?a=${ids.a}&b=${ids.b}`;
    const auth = { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip, br' };
    await request(new Map(), path, { headers: auth }); // computed, then cached
    const first = await request(new Map(), path, { headers: auth });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(first.headers.get('content-encoding')).toBeNull(); // no-transform: sent as it is
    expect((await first.json()).sides).toHaveLength(2);
    const revalidated = await request(new Map(), path, { headers: { ...auth, 'if-none-match': etag } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get('etag')).toBe(etag);
    expect(await revalidated.text()).toBe('');
    // Without the token the tag buys nothing.
    expect((await request(new Map(), path, { headers: { 'if-none-match': etag } })).status).toBe(401);
  });
});

// ---------------------------------------------------------------- the browser

describe('in Chromium', () => {
  async function watched(): Promise<{ page: Page; problems: string[] }> {
    const page = await portal.page();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
      });
    });
    return { page, problems };
  }

  it('a sign-in link with a foreign callbackUrl shows the refusal, not another site', async () => {
    const { page } = await watched();
    const res = await page.goto(`${portal.base}/signin?callbackUrl=/%09/evil.example`);
    expect(res?.status()).toBe(400);
    expect(new URL(page.url()).origin).toBe(portal.base);
    expect(await page.locator('h1').textContent()).toBe('Bad sign-in link');
  });

  it('signs in through the form; sign-in, lab home, an analysis page, compare and the password page run with no CSP violation', async () => {
    const { page, problems } = await watched();
    await page.goto(`${portal.base}/signin?callbackUrl=${encodeURIComponent(`/labs/${slug}`)}`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${portal.base}/labs/${slug}`);
    await page.waitForLoadState('networkidle');
    expect(problems).toEqual([]);

    await page.goto(`${portal.base}/labs/${slug}/analyses/${ids.a}`);
    await page.locator('h1').waitFor();
    await page.locator('svg').first().waitFor({ timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    expect(problems).toEqual([]);

    await page.goto(`${portal.base}/labs/${slug}/compare/architectures?a=${ids.a}&b=${ids.b}`);
    await page.locator('.cmp-view[data-drawn="true"]').waitFor({ timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    expect(problems).toEqual([]);
    // Scripts ran (hydrated): the client-side chart drew, and forms post through server actions.
    await page.getByRole('link', { name: 'Password' }).click();
    await page.waitForURL(`${portal.base}/settings/password`);
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password').fill('password12');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.locator('.alert.error').textContent()).toMatch(/^new password: too easy to guess\. .*commonly used password/);
    await page.getByLabel('New password').fill('orchard-basalt-requiem');
    await page.getByRole('button', { name: 'Change password' }).click();
    // The change ends every session, this one too: back to sign-in.
    await page.waitForURL(/\/signin\?email=web%40example\.org&callbackUrl=%2Fsettings%2Fpassword$/);
    await page.getByLabel('Password').fill('orchard-basalt-requiem');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${portal.base}/settings/password`);
    await page.waitForLoadState('networkidle');
    expect(problems).toEqual([]);
    await portal.screenshot(page, 'security-csp-password-changed');
  });
});
