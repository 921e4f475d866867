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
import { db, preparedQuery, Prisma, type Role } from '../db/client';
import { z } from 'zod';
import { ApiError, describeZodError, errorResponse, forbidden, notFound, publicError, publicMessage, unauthorized } from './errors';
import type { SessionUser } from './auth';
import { looksLikeApiToken, sha256Hex } from './tokens';
import { withApiSecurityHeaders } from './security-headers';

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
 * What the access check reads about the lab with the asked slug, in the same
 * query as the caller: the lab (null: no such lab, or no slug asked) and the
 * caller's role in it (null: not a member).
 */
interface LabRow {
  labId: string | null;
  labSlug: string | null;
  labName: string | null;
  publicDemo: boolean | null;
  role: Role | null;
}

/** A slug worth looking up; anything else is a lab that does not exist. */
const lookupSlug = (slug: unknown): string | null => (typeof slug === 'string' && slug.length > 0 && slug.length <= 100 ? slug : null);

/** Joined to a query over "User" u: the lab with this slug and u's membership in it (no row joins for a null slug). */
const LAB_COLUMNS = Prisma.sql`l.id AS "labId", l.slug AS "labSlug", l.name AS "labName", l."publicDemo", m.role::text AS role`;
const labJoin = (slug: string | null) =>
  Prisma.sql`LEFT JOIN "Lab" l ON l.slug = ${slug} LEFT JOIN "Membership" m ON m."labId" = l.id AND m."userId" = u.id`;

/**
 * The signed-in user from the next-auth session cookie (JWT), or null. Over
 * HTTPS the cookie is the __Secure- one; a session whose version is behind
 * the user's (signed out since) is refused.
 */
export async function identityFromCookies(cookies: CookieSource): Promise<Identity | null> {
  return (await cookieAccess(cookies, null))?.identity ?? null;
}

/** The session's user and, in the same query, the lab with this slug and their membership. */
async function cookieAccess(cookies: CookieSource, slug: string | null): Promise<{ identity: Identity; lab: LabRow } | null> {
  // headers: {} keeps getToken from reading an Authorization header as a session JWT.
  const token = await getToken({ req: { cookies, headers: {} } as never, secret: authSecret(), secureCookie: hasCookie(cookies, SECURE_SESSION_COOKIE) });
  const id = typeof token?.sub === 'string' ? token.sub : null;
  if (!id) return null;
  const [row] = await preparedQuery<{ id: string; email: string; name: string; sessionVersion: number } & LabRow>(Prisma.sql`
    SELECT u.id, u.email, u.name, u."sessionVersion", ${LAB_COLUMNS}
    FROM "User" u ${labJoin(slug)} WHERE u.id = ${id}`);
  if (!row || row.sessionVersion !== (typeof token?.sv === 'number' ? token.sv : 0)) return null;
  return { identity: { user: { id: row.id, email: row.email, name: row.name }, via: 'session' }, lab: row };
}

/** The owner of a bearer API token and its scope; throws 401 for an unknown, revoked or expired token. */
export async function identityFromApiToken(token: string): Promise<Identity> {
  return (await tokenAccess(token, null)).identity;
}

type TokenRow = {
  tokenId: string;
  revokedAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  scopeLabId: string | null;
  readOnly: boolean;
  userId: string;
  email: string;
  name: string;
} & LabRow;

/** Last-used stamps written by this process, by token id: at most one write a minute per token. */
const stamped = new Map<string, number>();
export const TOKEN_STAMP_MS = 60_000;

/**
 * The token's last use, at most once a minute: no write per request. The
 * stored stamp covers other processes and restarts, the map the requests of
 * this one that read the old stamp at the same time.
 */
async function stampTokenUse(row: TokenRow): Promise<void> {
  const now = Date.now();
  const last = Math.max(row.lastUsedAt?.getTime() ?? 0, stamped.get(row.tokenId) ?? 0);
  if (now - last <= TOKEN_STAMP_MS) return;
  stamped.set(row.tokenId, now);
  if (stamped.size > 10_000) stamped.clear();
  await db.apiToken.update({ where: { id: row.tokenId }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
}

/** The token's owner and scope and, in the same query, the lab with this slug and the owner's membership. */
async function tokenAccess(token: string, slug: string | null): Promise<{ identity: Identity; lab: LabRow }> {
  if (!looksLikeApiToken(token)) throw unauthorized('invalid API token');
  const [row] = await preparedQuery<TokenRow>(Prisma.sql`
    SELECT t.id AS "tokenId", t."revokedAt", t."expiresAt", t."lastUsedAt", t."labId" AS "scopeLabId", t."readOnly",
      u.id AS "userId", u.email, u.name, ${LAB_COLUMNS}
    FROM "ApiToken" t JOIN "User" u ON u.id = t."userId" ${labJoin(slug)}
    WHERE t."tokenHash" = ${sha256Hex(token)}`);
  if (!row || row.revokedAt) throw unauthorized('invalid or revoked API token');
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
    throw unauthorized(`this API token expired on ${row.expiresAt.toISOString().slice(0, 10)}; create a new one under Settings → API tokens`);
  }
  await stampTokenUse(row);
  return {
    identity: {
      user: { id: row.userId, email: row.email, name: row.name },
      via: 'token',
      tokenId: row.tokenId,
      tokenScope: { labId: row.scopeLabId, readOnly: row.readOnly },
    },
    lab: row,
  };
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
  return (await requestAccess(req, null)).identity;
}

/** identifyRequest, and in the same query the lab with this slug and the caller's membership. */
async function requestAccess(req: Request, slug: string | null): Promise<{ identity: Identity; lab: LabRow }> {
  const authz = req.headers.get('authorization');
  if (authz) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authz);
    if (!m) throw unauthorized('Authorization header must be "Bearer <token>"');
    const access = await tokenAccess(m[1], slug);
    if (access.identity.tokenScope?.readOnly && !SAFE_METHODS.has(req.method)) {
      throw forbidden(`this API token is read-only: ${req.method} needs a token that may write`);
    }
    return access;
  }
  const cookieSource: CookieSource =
    'cookies' in req && typeof (req as { cookies?: { getAll?: unknown } }).cookies?.getAll === 'function'
      ? (req as unknown as { cookies: CookieSource }).cookies
      : parseCookieHeader(req.headers.get('cookie'));
  const access = await cookieAccess(cookieSource, slug);
  if (!access) throw unauthorized();
  checkSameOrigin(req);
  return access;
}

/** The user's membership in the lab with this slug; 404 when there is none (or no such lab). */
export async function loadLab(identity: Identity, slug: string, role: Role): Promise<LabContext> {
  const valid = lookupSlug(slug);
  const [row] = valid
    ? await db.$queryRaw<LabRow[]>`SELECT ${LAB_COLUMNS} FROM "User" u ${labJoin(valid)} WHERE u.id = ${identity.user.id}`
    : [];
  return labContext(identity, row, role);
}

/**
 * The lab context from what the query read: the caller's membership, else the
 * public demo lab, which lets every signed-in user in as a viewer without a
 * membership (a new account has results to explore before uploading
 * anything); other labs stay invisible to non-members (404).
 */
function labContext(identity: Identity, row: LabRow | undefined, role: Role): LabContext {
  const lab = row?.labId ? { id: row.labId, slug: row.labSlug!, name: row.labName! } : null;
  const member = !!lab && row!.role !== null;
  const found = lab && (member ? { role: row!.role!, lab } : row!.publicDemo ? { role: 'viewer' as Role, lab } : null);
  // A token limited to one lab sees the others as missing, like labs one is not in.
  if (!found || (identity.tokenScope?.labId && identity.tokenScope.labId !== found.lab.id)) throw notFound('lab not found');
  if (!roleAtLeast(found.role, role)) {
    throw forbidden(
      member
        ? `this needs the ${role} role in lab '${found.lab.slug}'; you are a ${found.role}`
        : `'${found.lab.slug}' is the public demo lab: it is read-only for visitors. Copy what you need into your own lab`,
    );
  }
  return { ...identity, lab: found.lab, role: found.role, ...(member ? {} : { guest: true }) };
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
      // One query for the caller, the lab and the membership.
      const { identity, lab } = await requestAccess(req, lookupSlug(params.lab));
      return withApiSecurityHeaders(req.headers, await handler(req, { ...labContext(identity, lab, opts.role), params }));
    } catch (err) {
      return withApiSecurityHeaders(req.headers, errorResponse(err));
    }
  };
}

/** Like withLab, for routes that are about the caller, not a lab. */
export function withUser<P extends Params>(handler: UserHandler<P>) {
  return async (req: Request, context: RouteContext<P>): Promise<Response> => {
    try {
      const params = await context.params;
      const identity = await identifyRequest(req);
      return withApiSecurityHeaders(req.headers, await handler(req, { ...identity, params }));
    } catch (err) {
      return withApiSecurityHeaders(req.headers, errorResponse(err));
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
