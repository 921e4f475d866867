/**
 * next-auth v4: email + password (argon2id) with JWT sessions, and GitHub /
 * Google when their credentials are in the environment. Sign-in attempts are
 * rate limited per email + client IP in PostgreSQL. Sessions expire after
 * limits.sessionDays without use and are revocable: each cookie carries the
 * user's sessionVersion, and signing out increments it.
 */
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import GitHubProvider from 'next-auth/providers/github';
import GoogleProvider from 'next-auth/providers/google';
import { z } from 'zod';
import { authSecret, limits, oauthConfig } from './config';
import { db } from '../db/client';
import { requestIsHttps } from './https';
import { dummyHash, verifyPassword } from './passwords';
import { clearRateLimit, consumeRateLimit, releaseRateLimitEvent } from './rate-limit';
import { safeRedirectUrl } from './safe-url';
import { SESSION_RENEW_AFTER_SECONDS, sessionMaxAgeSeconds } from './session-renewal';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export const LOGIN_BUCKET = 'login';
/** Failures per email from all addresses: bounds guessing spread over many IPs (10× the per-IP limit). */
export const LOGIN_EMAIL_BUCKET = 'login-email';
const loginRule = () => ({ limit: limits.loginFailures, windowMs: limits.loginWindowMs });
const loginEmailRule = () => ({ limit: limits.loginFailures * 10, windowMs: limits.loginWindowMs });

type HeaderBag = Headers | Record<string, string | string[] | undefined> | undefined;

function header(headers: HeaderBag, name: string): string | undefined {
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * The client's address from X-Forwarded-For. The portal's server
 * (scripts/dev.ts) replaces that header with the connection's address, or,
 * behind N trusted reverse proxies (PCACE_TRUSTED_PROXIES=N), appends it to
 * theirs: the last entry is the socket, the entry N from the end the client
 * the outermost trusted proxy saw. Entries further left are client-supplied
 * and never used.
 */
export function clientIp(headers: HeaderBag): string {
  const xff = header(headers, 'x-forwarded-for');
  const hops = Math.max(0, Number(process.env.PCACE_TRUSTED_PROXIES ?? 0) || 0);
  if (xff) {
    const list = xff.split(',').map((s) => s.trim()).filter(Boolean);
    const ip = list[Math.max(0, list.length - 1 - hops)];
    if (ip) return ip;
  }
  return header(headers, 'x-real-ip') ?? 'unknown';
}

export class SignInError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid' | 'rate_limited',
    readonly retryAfterSeconds = 0,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

const credentialsSchema = z.object({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1024),
});

function tooManyMessage(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return `Too many failed sign-in attempts (429). Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

/** What authorize() hands to the jwt callback: the user and the session version to stamp. */
export interface SignedInUser extends SessionUser {
  sessionVersion: number;
}

/**
 * Check an email + password. Throws SignInError('invalid') for a wrong email
 * or password (same message, same work), SignInError('rate_limited') after
 * limits.loginFailures attempts for this email from this IP in the window.
 *
 * Each attempt is counted (atomically, under a lock per key) BEFORE the
 * password is checked: a check-then-record-on-failure scheme lets concurrent
 * guesses all pass the check before any failure is recorded. A success then
 * clears the email + IP count and un-counts itself from the per-email count.
 */
export async function authorizeCredentials(input: unknown, ip: string): Promise<SignedInUser> {
  const parsed = credentialsSchema.safeParse(input);
  if (!parsed.success) throw new SignInError('Enter your email and password.', 'invalid');
  const email = normalizeEmail(parsed.data.email);
  const key = `${email}|${ip}`;

  const perPair = await consumeRateLimit(LOGIN_BUCKET, key, loginRule());
  if (!perPair.allowed) throw new SignInError(tooManyMessage(perPair.retryAfterSeconds), 'rate_limited', perPair.retryAfterSeconds);
  const perEmail = await consumeRateLimit(LOGIN_EMAIL_BUCKET, email, loginEmailRule());
  if (!perEmail.allowed) {
    await releaseRateLimitEvent(perPair.eventId);
    throw new SignInError(tooManyMessage(perEmail.retryAfterSeconds), 'rate_limited', perEmail.retryAfterSeconds);
  }

  const user = await db.user.findUnique({ where: { email } });
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), parsed.data.password);
  if (!user || !user.passwordHash || !ok) {
    // The attempt stays counted; once limits.loginFailures are reached, the next one is refused above.
    throw new SignInError('Invalid email or password.', 'invalid');
  }
  await clearRateLimit(LOGIN_BUCKET, key);
  await releaseRateLimitEvent(perEmail.eventId);
  return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
}


/** Is a session with this version still valid for the user? (false: signed out since, or no such user) */
export async function sessionIsCurrent(userId: string, version: unknown): Promise<boolean> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { sessionVersion: true } });
  return !!user && user.sessionVersion === (typeof version === 'number' ? version : 0);
}

/** Sign out everywhere: every session cookie issued so far for this user stops working. */
export async function revokeSessions(userId: string): Promise<void> {
  await db.user.updateMany({ where: { id: userId }, data: { sessionVersion: { increment: 1 } } });
}

/** Find or create the user behind an OAuth identity; links by (verified) email. */
export async function userForOAuth(provider: string, providerAccountId: string, email: string, name: string): Promise<SessionUser> {
  const linked = await db.account.findUnique({ where: { provider_providerAccountId: { provider, providerAccountId } }, include: { user: true } });
  if (linked) return { id: linked.user.id, email: linked.user.email, name: linked.user.name };
  const normalized = normalizeEmail(email);
  const user =
    (await db.user.findUnique({ where: { email: normalized } })) ??
    (await db.user.create({ data: { email: normalized, name: name || normalized.split('@')[0] } }));
  await db.account.create({ data: { provider, providerAccountId, userId: user.id } });
  return { id: user.id, email: user.email, name: user.name };
}

/**
 * The next-auth options for one request: with its headers, cookies are
 * Secure (and __Secure-/__Host- prefixed) when the request came over HTTPS,
 * directly or through a trusted proxy (lib/server/https.ts).
 */
export function authOptions(requestHeaders?: Headers): NextAuthOptions {
  const oauth = oauthConfig();
  const providers: NextAuthOptions['providers'] = [
    CredentialsProvider({
      id: 'credentials',
      name: 'Email and password',
      credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
      async authorize(credentials, req) {
        // Errors thrown here reach the sign-in form as `error` (next-auth v4).
        return authorizeCredentials(credentials, clientIp(req?.headers as HeaderBag));
      },
    }),
  ];
  if (oauth.github) providers.push(GitHubProvider(oauth.github));
  if (oauth.google) providers.push(GoogleProvider(oauth.google));

  return {
    secret: authSecret(),
    session: { strategy: 'jwt', maxAge: sessionMaxAgeSeconds(), updateAge: SESSION_RENEW_AFTER_SECONDS },
    useSecureCookies: requestIsHttps(requestHeaders),
    pages: { signIn: '/signin', error: '/signin' },
    providers,
    callbacks: {
      async signIn({ account, profile, user }) {
        if (!account || account.provider === 'credentials') return true;
        const email = user.email ?? (profile as { email?: string } | undefined)?.email;
        const verified =
          account.provider === 'github' || (profile as { email_verified?: boolean } | undefined)?.email_verified === true;
        if (!email || !verified) return '/signin?error=OAuthEmail';
        const ours = await userForOAuth(account.provider, account.providerAccountId, email, user.name ?? '');
        user.id = ours.id;
        return true;
      },
      redirect({ url, baseUrl }) {
        return safeRedirectUrl(url, baseUrl);
      },
      async jwt({ token, user, account }) {
        if (user && account) {
          if (account.provider !== 'credentials') {
            const linked = await db.account.findUnique({
              where: { provider_providerAccountId: { provider: account.provider, providerAccountId: account.providerAccountId } },
              include: { user: { select: { sessionVersion: true } } },
            });
            if (linked) {
              token.sub = linked.userId;
              token.sv = linked.user.sessionVersion;
            }
          } else {
            token.sub = user.id;
            token.sv = (user as Partial<SignedInUser>).sessionVersion ?? 0;
          }
          return token;
        }
        // An existing session (next-auth's /api/auth/session): refuse a revoked one, which clears the cookie.
        if (token.sub && !(await sessionIsCurrent(token.sub, token.sv))) throw new Error('session revoked');
        return token;
      },
      async session({ session, token }) {
        if (session.user && token.sub) (session.user as { id?: string }).id = token.sub;
        return session;
      },
    },
    events: {
      // Signing out revokes every session of the user (the cookie alone could be replayed otherwise).
      async signOut({ token }) {
        if (typeof token?.sub === 'string') await revokeSessions(token.sub);
      },
    },
  };
}

export function oauthProviders(): { id: string; name: string }[] {
  const oauth = oauthConfig();
  return [oauth.github && { id: 'github', name: 'GitHub' }, oauth.google && { id: 'google', name: 'Google' }].filter(
    (p): p is { id: string; name: string } => !!p,
  );
}
