/**
 * The one access check of the portal, shared by API route handlers, server
 * actions and pages:
 *   401 — not signed in (no session cookie, no valid API token);
 *   404 — the lab (or an object in it) is not one of yours: other labs' objects
 *         are indistinguishable from missing ones, never 403;
 *   403 — your role in the lab is too low (viewers cannot write);
 *   400 — invalid input (zod), with a message naming the fields.
 * API routes (/api/v1) also accept `Authorization: Bearer pcl_...` tokens,
 * within their scope: an expired token is a 401 that says so, a read-only
 * token gets 403 on any write method, a token limited to one lab sees the
 * other labs as missing (404).
 */
import { getToken } from 'next-auth/jwt';
import { cookies } from 'next/headers';
import { forbidden as forbiddenPage, notFound as notFoundPage, redirect } from 'next/navigation';
import { authSecret } from './config';
import { db, type Role } from '../db/client';
import { z } from 'zod';
import { ApiError, describeZodError, errorResponse, forbidden, notFound, publicError, publicMessage, unauthorized } from './errors';
import type { SessionUser } from './auth';
import { looksLikeApiToken, sha256Hex } from './tokens';

export type { Role } from '../db/client';
export type { SessionUser } from './auth';

export const ROLE_RANK: Record<Role, number> = { viewer: 0, member: 1, owner: 2 };
export const ROLES: Role[] = ['owner', 'member', 'viewer'];

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}

export interface Identity {
  user: SessionUser;
  via: 'session' | 'token';
  tokenId?: string;
  /** API tokens only: the one lab the token may reach (null: all of the user's labs) and whether it may only read. */
  tokenScope?: { labId: string | null; readOnly: boolean };
}

export interface LabRef {
  id: string;
  slug: string;
  name: string;
}

export interface LabContext extends Identity {
  lab: LabRef;
  role: Role;
  /** Reading the public demo lab without being a member of it (role viewer). */
  guest?: boolean;
}

type CookieSource = { getAll(): { name: string; value: string }[] } | Map<string, string>;

function parseCookieHeader(header: string | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    try {
      out.set(name, decodeURIComponent(part.slice(i + 1).trim()));
    } catch {
      out.set(name, part.slice(i + 1).trim());
    }
  }
  return out;
}

const SECURE_SESSION_COOKIE = '__Secure-next-auth.session-token';

function hasCookie(cookies: CookieSource, name: string): boolean {
  if (cookies instanceof Map) return [...cookies.keys()].some((k) => k === name || k.startsWith(`${name}.`));
  return cookies.getAll().some((c) => c.name === name || c.name.startsWith(`${name}.`));
}

/**
 * The signed-in user from the next-auth session cookie (JWT), or null. Over
 * HTTPS the cookie is the __Secure- one; a session whose version is behind
 * the user's (signed out since) is refused.
 */
export async function identityFromCookies(cookies: CookieSource): Promise<Identity | null> {
  // headers: {} keeps getToken from reading an Authorization header as a session JWT.
  const token = await getToken({ req: { cookies, headers: {} } as never, secret: authSecret(), secureCookie: hasCookie(cookies, SECURE_SESSION_COOKIE) });
  const id = typeof token?.sub === 'string' ? token.sub : null;
  if (!id) return null;
  const user = await db.user.findUnique({ where: { id }, select: { id: true, email: true, name: true, sessionVersion: true } });
  if (!user || user.sessionVersion !== (typeof token?.sv === 'number' ? token.sv : 0)) return null;
  return { user: { id: user.id, email: user.email, name: user.name }, via: 'session' };
}

/** The owner of a bearer API token and its scope; throws 401 for an unknown, revoked or expired token. */
export async function identityFromApiToken(token: string): Promise<Identity> {
  if (!looksLikeApiToken(token)) throw unauthorized('invalid API token');
  const row = await db.apiToken.findUnique({
    where: { tokenHash: sha256Hex(token) },
    include: { user: { select: { id: true, email: true, name: true } } },
  });
  if (!row || row.revokedAt) throw unauthorized('invalid or revoked API token');
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
    throw unauthorized(`this API token expired on ${row.expiresAt.toISOString().slice(0, 10)}; create a new one under Settings → API tokens`);
  }
  // lastUsedAt at most once a minute per token: no write per request.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
  }
  return { user: row.user, via: 'token', tokenId: row.id, tokenScope: { labId: row.labId, readOnly: row.readOnly } };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie-authenticated writes must come from the portal's own pages.
 * (Session cookies are SameSite=Lax already; this also stops same-site
 * subdomains and old browsers.)
 */
function checkSameOrigin(req: Request): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.get('origin');
  const site = req.headers.get('sec-fetch-site');
  if (origin) {
    const host = req.headers.get('x-forwarded-host') ?? req.headers.get('host') ?? new URL(req.url).host;
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      throw forbidden('cross-site request refused');
    }
    if (originHost !== host) throw forbidden('cross-site request refused');
  } else if (site === 'cross-site') {
    throw forbidden('cross-site request refused');
  }
}

/** Who sends this API request: bearer token first, else the session cookie. */
export async function identifyRequest(req: Request): Promise<Identity> {
  const authz = req.headers.get('authorization');
  if (authz) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authz);
    if (!m) throw unauthorized('Authorization header must be "Bearer <token>"');
    const identity = await identityFromApiToken(m[1]);
    if (identity.tokenScope?.readOnly && !SAFE_METHODS.has(req.method)) {
      throw forbidden(`this API token is read-only: ${req.method} needs a token that may write`);
    }
    return identity;
  }
  const cookieSource: CookieSource =
    'cookies' in req && typeof (req as { cookies?: { getAll?: unknown } }).cookies?.getAll === 'function'
      ? (req as unknown as { cookies: CookieSource }).cookies
      : parseCookieHeader(req.headers.get('cookie'));
  const id = await identityFromCookies(cookieSource);
  if (!id) throw unauthorized();
  checkSameOrigin(req);
  return id;
}

/** The user's membership in the lab with this slug; 404 when there is none (or no such lab). */
export async function loadLab(identity: Identity, slug: string, role: Role): Promise<LabContext> {
  if (typeof slug !== 'string' || slug.length === 0 || slug.length > 100) throw notFound('lab not found');
  const m = await db.membership.findFirst({
    where: { userId: identity.user.id, lab: { slug } },
    select: { role: true, lab: { select: { id: true, slug: true, name: true } } },
  });
  const found = m ?? (await publicDemoGuest(slug));
  // A token limited to one lab sees the others as missing, like labs one is not in.
  if (!found || (identity.tokenScope?.labId && identity.tokenScope.labId !== found.lab.id)) throw notFound('lab not found');
  if (!roleAtLeast(found.role, role)) {
    throw forbidden(
      m
        ? `this needs the ${role} role in lab '${found.lab.slug}'; you are a ${found.role}`
        : `'${found.lab.slug}' is the public demo lab: it is read-only for visitors. Copy what you need into your own lab`,
    );
  }
  return { ...identity, lab: found.lab, role: found.role, ...(m ? {} : { guest: true }) };
}

/**
 * The public demo lab lets every signed-in user in as a viewer without a
 * membership, so a new account has results to explore before uploading
 * anything. Other labs stay invisible to non-members.
 */
async function publicDemoGuest(slug: string): Promise<{ role: Role; lab: LabRef } | null> {
  const lab = await db.lab.findFirst({ where: { slug, publicDemo: true }, select: { id: true, slug: true, name: true } });
  return lab ? { role: 'viewer', lab } : null;
}

// ---------------------------------------------------------------- route handlers

type Params = Record<string, string | string[] | undefined>;
export interface RouteContext<P extends Params> {
  params: Promise<P>;
}

export type LabHandler<P extends Params> = (req: Request, ctx: LabContext & { params: P }) => Promise<Response>;
export type UserHandler<P extends Params> = (req: Request, ctx: Identity & { params: P }) => Promise<Response>;

/**
 * Wrap a route handler under /api/v1/labs/[lab]/...: resolves the caller,
 * the lab and the role, and turns thrown ApiErrors / zod errors into JSON
 * responses. Handlers must look objects up with `labId: ctx.lab.id`.
 */
export function withLab<P extends Params & { lab: string }>(handler: LabHandler<P>, opts: { role: Role }) {
  return async (req: Request, context: RouteContext<P>): Promise<Response> => {
    try {
      const params = await context.params;
      const identity = await identifyRequest(req);
      const ctx = await loadLab(identity, params.lab, opts.role);
      return await handler(req, { ...ctx, params });
    } catch (err) {
      return errorResponse(err);
    }
  };
}

/** Like withLab, for routes that are about the caller, not a lab. */
export function withUser<P extends Params>(handler: UserHandler<P>) {
  return async (req: Request, context: RouteContext<P>): Promise<Response> => {
    try {
      const params = await context.params;
      const identity = await identifyRequest(req);
      return await handler(req, { ...identity, params });
    } catch (err) {
      return errorResponse(err);
    }
  };
}

// ---------------------------------------------------------------- pages and server actions

async function requestCookies(): Promise<CookieSource> {
  return cookies();
}

/** The signed-in user of the current page / action, or null. */
export async function currentIdentity(): Promise<Identity | null> {
  return identityFromCookies(await requestCookies());
}

/** Pages: the signed-in user, else a redirect to the sign-in page coming back to `returnTo`. */
export async function requireUser(returnTo = '/'): Promise<Identity> {
  const id = await currentIdentity();
  if (!id) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  return id;
}

/** Pages: the lab context, else sign-in redirect / not-found (404) / forbidden (403) pages. */
export async function requireLab(slug: string, role: Role = 'viewer', returnTo = `/labs/${slug}`): Promise<LabContext> {
  const identity = await requireUser(returnTo);
  try {
    return await loadLab(identity, slug, role);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) forbiddenPage();
    if (err instanceof ApiError && err.status === 404) notFoundPage();
    throw err;
  }
}

export type ActionResult<T = undefined> = { ok: true; data: T; message?: string } | { ok: false; status: number; error: string; field?: string };

/** Server actions: same checks as withLab; failures come back as { ok: false, status, error } for the form. */
export async function labAction<T>(slug: string, role: Role, fn: (ctx: LabContext) => Promise<T>): Promise<ActionResult<T>> {
  try {
    const identity = await currentIdentity();
    if (!identity) throw unauthorized('sign in first');
    const ctx = await loadLab(identity, slug, role);
    return { ok: true, data: await fn(ctx) };
  } catch (err) {
    return actionError(err);
  }
}

/** Server actions about the signed-in user only (API tokens, labs list). */
export async function userAction<T>(fn: (identity: Identity) => Promise<T>): Promise<ActionResult<T>> {
  try {
    const identity = await currentIdentity();
    if (!identity) throw unauthorized('sign in first');
    return { ok: true, data: await fn(identity) };
  } catch (err) {
    return actionError(err);
  }
}

/** Next.js redirect()/notFound() work by throwing; they must pass through. */
function isNextControlFlow(err: unknown): boolean {
  const digest = (err as { digest?: unknown } | null)?.digest;
  return typeof digest === 'string' && digest.startsWith('NEXT_');
}

export function actionError(err: unknown): { ok: false; status: number; error: string; field?: string } {
  if (isNextControlFlow(err)) throw err;
  if (err instanceof z.ZodError) return { ok: false, status: 400, error: publicMessage(`invalid input: ${describeZodError(err)}`) };
  // Same mapping as the API: paths stripped, unexpected errors logged with a request id.
  const e = publicError(err, 'action');
  return { ok: false, status: e.status, error: e.message, ...(e.field ? { field: e.field } : {}) };
}
