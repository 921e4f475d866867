/**
 * A fresh PostgreSQL database per test file: created on TEST_DATABASE_URL's
 * server (default postgres://postgres@127.0.0.1:5432/postgres) under a unique
 * name, migrated with `prisma migrate deploy` (the committed migrations),
 * exported as DATABASE_URL for lib/db/client.ts, and dropped afterwards.
 * Uploads go to a temporary STORAGE_DIR removed with it.
 *
 *   import { useTestDatabase } from '../helpers/db';
 *   const testDb = useTestDatabase();   // registers beforeAll/afterAll
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from 'next-auth/jwt';
import { adminStatement } from '../../lib/db/migrate-adapter';
import { afterAll, beforeAll } from 'vitest';
import { setEnv } from './env';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The Prisma client must exist (postinstall generates it); regenerate when the schema is newer. */
function ensurePrismaClient(): void {
  const client = path.join(ROOT, 'lib/db/generated/client.ts');
  const schema = path.join(ROOT, 'prisma/schema.prisma');
  if (existsSync(client) && statSync(client).mtimeMs >= statSync(schema).mtimeMs) return;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'scripts/db-generate.ts')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}
ensurePrismaClient();

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

const admin = (sql: string) => adminStatement(BASE_URL, sql);

export interface TestDatabase {
  name: string;
  url: string;
  storageDir: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `pcace_test_${Date.now().toString(36)}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = withDatabase(BASE_URL, name);
  const { migrateDeploy } = await import('../../lib/db/migrate');
  try {
    await migrateDeploy(url);
  } catch (err) {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    throw err;
  }
  const storageDir = mkdtempSync(path.join(tmpdir(), 'pcace-storage-'));
  return {
    name,
    url,
    storageDir,
    async drop() {
      const { closeDb } = await import('../../lib/db/client');
      const { closeStore } = await import('../../lib/storage/backend');
      await closeDb();
      await closeStore();
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

/** Register hooks: a migrated database (DATABASE_URL) and storage dir (STORAGE_DIR) for this test file. */
export function useTestDatabase(): { readonly current: TestDatabase } {
  const holder: { current?: TestDatabase } = {};
  let restoreEnv = () => {};
  beforeAll(async () => {
    holder.current = await createTestDatabase();
    restoreEnv = setEnv({ DATABASE_URL: holder.current.url, STORAGE_DIR: holder.current.storageDir, NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET ?? randomBytes(32).toString('base64url') });
  });
  afterAll(async () => {
    await holder.current?.drop();
    restoreEnv();
  });
  return {
    get current() {
      if (!holder.current) throw new Error('test database not ready (use it inside tests or hooks)');
      return holder.current;
    },
  };
}

// ---------------------------------------------------------------- portal fixtures
// Users, labs, sessions and direct calls of route handlers / server actions.


export const SESSION_COOKIE = 'next-auth.session-token';

/** A session cookie value as next-auth would set it after sign-in (JWT signed with NEXTAUTH_SECRET). */
export async function sessionToken(userId: string): Promise<string> {
  const secret = process.env.NEXTAUTH_SECRET;
  if (!secret) throw new Error('NEXTAUTH_SECRET is not set (useTestDatabase sets it)');
  return encode({ token: { sub: userId }, secret });
}

export async function sessionCookie(userId: string): Promise<string> {
  return `${SESSION_COOKIE}=${await sessionToken(userId)}`;
}

/** Who `next/headers` cookies() belongs to in server actions and pages (see nextHeadersMock). */
const requestState: { cookie: Map<string, string>; headers: Record<string, string> } = { cookie: new Map(), headers: {} };

export async function actAs(userId: string | null): Promise<void> {
  requestState.cookie = new Map();
  if (userId) requestState.cookie.set(SESSION_COOKIE, await sessionToken(userId));
}

/** Replacement for `next/headers` outside a Next.js request (installed for the node tests by next-request.setup.ts). */
export const nextHeadersMock = {
  cookies: async () => ({
    getAll: () => [...requestState.cookie].map(([name, value]) => ({ name, value })),
    get: (name: string) => (requestState.cookie.has(name) ? { name, value: requestState.cookie.get(name)! } : undefined),
  }),
  headers: async () => new Headers({ 'x-forwarded-for': '127.0.0.1', ...requestState.headers }),
};

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

export interface CallOptions {
  method?: string;
  params?: Record<string, string>;
  token?: string;
  cookie?: string;
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

/** Call a route handler directly with a real Request; returns status and parsed JSON. */
export async function callRoute(handler: Handler, path: string, opts: CallOptions = {}): Promise<{ status: number; body: any }> {
  const url = new URL(path, 'http://localhost:3000');
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set('authorization', `Bearer ${opts.token}`);
  if (opts.cookie) headers.set('cookie', opts.cookie);
  let body: BodyInit | undefined;
  if (opts.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    // Let Request serialise the multipart body and set the boundary.
    const probe = new Request(url, { method: 'POST', body: opts.form });
    headers.set('content-type', probe.headers.get('content-type')!);
    body = new Uint8Array(await probe.arrayBuffer());
  }
  const req = new Request(url, { method: opts.method ?? (body ? 'POST' : 'GET'), headers, body });
  const res = await handler(req, { params: Promise.resolve(opts.params ?? {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

export function formOf(fields: Record<string, string | Blob | [Blob, string] | (readonly [Blob, string])[]>): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string' || v instanceof Blob) form.append(k, v);
    else if (Array.isArray(v) && v.length === 2 && v[0] instanceof Blob && typeof v[1] === 'string') form.append(k, v[0], v[1]);
    else for (const [blob, name] of v as (readonly [Blob, string])[]) form.append(k, blob, name);
  }
  return form;
}

export const fileBlob = (bytes: Uint8Array | string) => new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)]);

/** The digest Next.js puts on notFound()/forbidden()/redirect() errors. */
export async function nextInterrupt(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    const digest = (err as { digest?: string }).digest;
    if (typeof digest === 'string') {
      if (digest.startsWith('NEXT_HTTP_ERROR_FALLBACK;')) return digest.split(';')[1];
      if (digest.startsWith('NEXT_REDIRECT')) return `redirect:${digest.split(';')[2]}`;
    }
    throw err;
  }
  return 'rendered';
}
