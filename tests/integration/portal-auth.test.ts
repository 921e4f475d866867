/** Accounts: sign-up, argon2id hashing, sign-in, rate limiting of failures per email + IP (in PostgreSQL). */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db';
import { authOptions, authorizeCredentials, clientIp, LOGIN_BUCKET, LOGIN_EMAIL_BUCKET, oauthProviders, SignInError, userForOAuth } from '../../lib/server/auth';
import { forwardedFor } from '../../scripts/dev';
import { db } from '../../lib/db/client';
import { ApiError } from '../../lib/server/errors';
import { hashPassword, verifyPassword } from '../../lib/server/passwords';
import { signUp } from '../../lib/server/signup';

useTestDatabase();

const headers = (ip: string) => new Headers({ 'x-forwarded-for': ip });

async function signInError(input: unknown, ip: string): Promise<SignInError> {
  try {
    await authorizeCredentials(input, ip);
  } catch (err) {
    if (err instanceof SignInError) return err;
    throw err;
  }
  throw new Error('sign-in unexpectedly succeeded');
}

describe('passwords', () => {
  it('hashes with argon2id and verifies', async () => {
    const h = await hashPassword('correct horse battery');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(h, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(h, 'correct horse batterY')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
    // Salted: the same password hashes differently.
    expect(await hashPassword('correct horse battery')).not.toBe(h);
  });
});

describe('sign-up', () => {
  it('creates the user with a hashed password and a lab they own', async () => {
    const { user, lab, joined } = await signUp({ name: 'Ada', email: ' Ada@Example.org ', password: 'analytical-engine' }, headers('10.0.0.1'));
    expect(joined).toBe(false);
    expect(user.email).toBe('ada@example.org');
    const row = await db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
    expect(row.passwordHash).not.toContain('analytical-engine');
    const m = await db.membership.findFirstOrThrow({ where: { userId: user.id } });
    expect(m).toMatchObject({ labId: lab.id, role: 'owner' });
  });

  it('refuses a second account for the same email (any case) with 409', async () => {
    await expect(signUp({ name: 'Ada 2', email: 'ADA@example.org', password: 'analytical-engine' }, headers('10.0.0.1'))).rejects.toMatchObject({
      status: 409,
    });
  });

  it('validates the input with messages naming the field', async () => {
    const err = (await signUp({ name: 'Bob', email: 'not-an-email', password: 'short' }, headers('10.0.0.2')).catch((e) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/email: is not an email address/);
    expect(err.message).toMatch(/password: needs at least 10 characters/);
  });
});

describe('sign-in', () => {
  it('accepts the right password, case-insensitively on the email', async () => {
    const user = await authorizeCredentials({ email: 'ADA@example.org', password: 'analytical-engine' }, '10.0.0.1');
    expect(user).toMatchObject({ email: 'ada@example.org', name: 'Ada' });
  });

  it('gives the same answer for an unknown email and a wrong password', async () => {
    const a = await signInError({ email: 'nobody@example.org', password: 'whatever-password' }, '10.0.0.3');
    const b = await signInError({ email: 'ada@example.org', password: 'wrong-password' }, '10.0.0.3');
    expect(a.message).toBe('Invalid email or password.');
    expect(b.message).toBe(a.message);
    expect(a.code).toBe('invalid');
  });

  it('blocks an email + IP after 5 failures in 15 minutes, even with the right password, and only that pair', async () => {
    await signUp({ name: 'Grace', email: 'grace@example.org', password: 'compiler-a0-1952' }, headers('10.0.1.1'));
    for (let i = 0; i < 5; i++) {
      const err = await signInError({ email: 'grace@example.org', password: `wrong-${i}` }, '10.9.9.9');
      expect(err.code).toBe('invalid');
    }
    const blocked = await signInError({ email: 'grace@example.org', password: 'compiler-a0-1952' }, '10.9.9.9');
    expect(blocked.code).toBe('rate_limited');
    expect(blocked.message).toMatch(/Too many failed sign-in attempts \(429\)\. Try again in 15 minutes\./);
    expect(blocked.retryAfterSeconds).toBeGreaterThan(14 * 60);

    // Another IP, or another email from this IP, is unaffected.
    await expect(authorizeCredentials({ email: 'grace@example.org', password: 'compiler-a0-1952' }, '10.9.9.10')).resolves.toMatchObject({
      email: 'grace@example.org',
    });
    expect((await signInError({ email: 'ada@example.org', password: 'nope-nope-nope' }, '10.9.9.9')).code).toBe('invalid');
  });

  it('keeps the count in PostgreSQL: failures older than the window no longer count', async () => {
    const key = 'grace@example.org|10.9.9.9';
    expect(await db.rateLimitEvent.count({ where: { bucket: LOGIN_BUCKET, key } })).toBe(5);
    await db.rateLimitEvent.updateMany({ where: { bucket: LOGIN_BUCKET, key }, data: { createdAt: new Date(Date.now() - 16 * 60 * 1000) } });
    const user = await authorizeCredentials({ email: 'grace@example.org', password: 'compiler-a0-1952' }, '10.9.9.9');
    expect(user.email).toBe('grace@example.org');
    // A success clears the pair's failures.
    expect(await db.rateLimitEvent.count({ where: { bucket: LOGIN_BUCKET, key } })).toBe(0);
  });

  it('counts concurrent failures exactly (advisory lock per key)', async () => {
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => signInError({ email: 'ada@example.org', password: `bad-${i}-password` }, '10.7.7.7')),
    );
    expect(await db.rateLimitEvent.count({ where: { bucket: LOGIN_BUCKET, key: 'ada@example.org|10.7.7.7' } })).toBeGreaterThanOrEqual(5);
    expect((await signInError({ email: 'ada@example.org', password: 'analytical-engine' }, '10.7.7.7')).code).toBe('rate_limited');
  });
});

describe('sign-in across addresses', () => {
  it('also caps failures per email over all addresses (10× the per-address limit)', async () => {
    await signUp({ name: 'Hedy', email: 'hedy@example.org', password: 'frequency-hopping' }, headers('10.0.2.1'));
    for (let i = 0; i < 50; i++) {
      expect((await signInError({ email: 'hedy@example.org', password: 'wrong-password' }, `10.50.0.${i}`)).code).toBe('invalid');
    }
    expect(await db.rateLimitEvent.count({ where: { bucket: LOGIN_EMAIL_BUCKET, key: 'hedy@example.org' } })).toBe(50);
    const err = await signInError({ email: 'hedy@example.org', password: 'frequency-hopping' }, '10.60.0.1');
    expect(err.code).toBe('rate_limited');
  });
});

describe('client IP', () => {
  it('the portal server keeps only the socket address unless proxies are trusted', () => {
    delete process.env.PCACE_TRUSTED_PROXIES;
    expect(forwardedFor('6.6.6.6', '10.1.2.3')).toBe('10.1.2.3');
    expect(forwardedFor(undefined, '10.1.2.3')).toBe('10.1.2.3');
    process.env.PCACE_TRUSTED_PROXIES = '1';
    expect(forwardedFor('6.6.6.6, 203.0.113.9', '10.0.0.2')).toBe('6.6.6.6, 203.0.113.9, 10.0.0.2');
    expect(clientIp(new Headers({ 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.0.0.2' }))).toBe('203.0.113.9');
    delete process.env.PCACE_TRUSTED_PROXIES;
  });

  it('reads the last entry: the address the portal server saw', () => {
    expect(clientIp(new Headers({ 'x-forwarded-for': '6.6.6.6, 10.1.2.3' }))).toBe('10.1.2.3');
    expect(clientIp({ 'x-forwarded-for': '10.1.2.3' })).toBe('10.1.2.3');
    expect(clientIp(new Headers())).toBe('unknown');
  });
});

describe('OAuth', () => {
  it('offers GitHub and Google only when their credentials are configured', () => {
    const saved = { ...process.env };
    for (const k of ['GITHUB_ID', 'GITHUB_SECRET', 'GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET']) delete process.env[k];
    expect(authOptions().providers.map((p) => p.id)).toEqual(['credentials']);
    expect(oauthProviders()).toEqual([]);
    process.env.GITHUB_ID = 'id';
    process.env.GITHUB_SECRET = 'secret';
    expect(authOptions().providers.map((p) => p.id)).toEqual(['credentials', 'github']);
    process.env.GOOGLE_CLIENT_ID = 'gid';
    expect(oauthProviders().map((p) => p.id)).toEqual(['github']);
    process.env.GOOGLE_CLIENT_SECRET = 'gsecret';
    expect(oauthProviders().map((p) => p.id)).toEqual(['github', 'google']);
    for (const k of ['GITHUB_ID', 'GITHUB_SECRET', 'GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('links a provider identity to the account with the same email, once', async () => {
    const ada = await db.user.findUniqueOrThrow({ where: { email: 'ada@example.org' } });
    const linked = await userForOAuth('github', '12345', 'Ada@Example.org', 'Ada L.');
    expect(linked.id).toBe(ada.id);
    expect((await userForOAuth('github', '12345', 'other@example.org', 'x')).id).toBe(ada.id);
    const fresh = await userForOAuth('google', 'g-1', 'new@example.org', 'New Person');
    expect(fresh).toMatchObject({ email: 'new@example.org', name: 'New Person' });
    expect((await db.user.findUniqueOrThrow({ where: { id: fresh.id } })).passwordHash).toBeNull();
  });
});
