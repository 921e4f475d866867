/**
 * Security finding: the sign-in rate limit could be raced. The limit is 5
 * attempts per email + address, but the check ran before any failure was
 * recorded, so 30 concurrent wrong guesses got 24 password checks. Attempts
 * are now reserved (under a lock per key) before the password is checked.
 * Password checks are counted at the argon2 verification seam.
 */
import { describe, expect, it, vi } from 'vitest';
import { useTestDatabase } from '../helpers/db';

const verifications = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../lib/server/passwords', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/server/passwords')>();
  return {
    ...real,
    verifyPassword: async (hash: string, password: string) => {
      verifications.count++;
      return real.verifyPassword(hash, password);
    },
  };
});

const { authorizeCredentials, LOGIN_BUCKET, LOGIN_EMAIL_BUCKET, SignInError } = await import('../../lib/server/auth');
const { db } = await import('../../lib/db/client');
const { signUp } = await import('../../lib/server/signup');

useTestDatabase();

async function outcome(p: Promise<unknown>): Promise<'ok' | 'invalid' | 'rate_limited'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof SignInError) return err.code;
    throw err;
  }
}

describe('sign-in rate limit under concurrency', () => {
  it('30 concurrent wrong guesses for one email + address get at most 5 password checks; the rest are refused as rate-limited', async () => {
    await signUp({ name: 'Target', email: 'target@example.org', password: 'lichen-harbour-quartz' }, new Headers());
    verifications.count = 0;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => outcome(authorizeCredentials({ email: 'target@example.org', password: `guess-number-${i}` }, '198.51.100.7'))),
    );
    expect(verifications.count).toBeLessThanOrEqual(5);
    expect(results.filter((r) => r === 'invalid')).toHaveLength(verifications.count);
    expect(results.filter((r) => r === 'rate_limited')).toHaveLength(30 - verifications.count);
    expect(results).not.toContain('ok');
    // Exactly the attempts that were checked are counted.
    expect(await db.rateLimitEvent.count({ where: { bucket: LOGIN_BUCKET, key: 'target@example.org|198.51.100.7' } })).toBe(verifications.count);

    // Even the right password is refused now from that address, without a password check.
    verifications.count = 0;
    expect(await outcome(authorizeCredentials({ email: 'target@example.org', password: 'lichen-harbour-quartz' }, '198.51.100.7'))).toBe('rate_limited');
    expect(verifications.count).toBe(0);
  });

  it('a success from another address clears its own pair and does not count against the per-email limit', async () => {
    const before = await db.rateLimitEvent.count({ where: { bucket: LOGIN_EMAIL_BUCKET, key: 'target@example.org' } });
    expect(await outcome(authorizeCredentials({ email: 'target@example.org', password: 'lichen-harbour-quartz' }, '198.51.100.8'))).toBe('ok');
    expect(await db.rateLimitEvent.count({ where: { bucket: LOGIN_BUCKET, key: 'target@example.org|198.51.100.8' } })).toBe(0);
    expect(await db.rateLimitEvent.count({ where: { bucket: LOGIN_EMAIL_BUCKET, key: 'target@example.org' } })).toBe(before);
  });

  it('concurrent guesses spread over many addresses stop at the per-email limit (50)', async () => {
    await signUp({ name: 'Spread', email: 'spread@example.org', password: 'velvet-canyon-ember' }, new Headers());
    verifications.count = 0;
    // 10 addresses × 8 concurrent guesses: each address may try 5, the email 50 in all.
    const results = await Promise.all(
      Array.from({ length: 80 }, (_, i) => outcome(authorizeCredentials({ email: 'spread@example.org', password: `guess-${i}-xyz` }, `203.0.113.${i % 10}`))),
    );
    expect(verifications.count).toBeLessThanOrEqual(50);
    expect(results.filter((r) => r === 'invalid')).toHaveLength(verifications.count);
    expect(await db.rateLimitEvent.count({ where: { bucket: LOGIN_EMAIL_BUCKET, key: 'spread@example.org' } })).toBeLessThanOrEqual(50);
  });
});
