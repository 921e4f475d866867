/**
 * A fresh PostgreSQL database per test file: created on TEST_DATABASE_URL's
 * server (default postgres://postgres@127.0.0.1:5432/postgres) under a unique
 * name, migrated with `prisma migrate deploy` (the committed migrations),
 * exported as DATABASE_URL for lib/server/db.ts, and dropped afterwards.
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
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

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

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  storageDir: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `pcace_test_${Date.now().toString(36)}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = withDatabase(BASE_URL, name);
  const { migrateDeploy } = await import('../../lib/db/migrate');
  try {
    await migrateDeploy(url);
  } catch (err) {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    throw err;
  }
  const storageDir = mkdtempSync(path.join(tmpdir(), 'pcace-storage-'));
  return {
    name,
    url,
    storageDir,
    async drop() {
      const { closeDb } = await import('../../lib/server/db');
      await closeDb();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

/** Register hooks: a migrated database (DATABASE_URL) and storage dir (STORAGE_DIR) for this test file. */
export function useTestDatabase(): { readonly current: TestDatabase } {
  const holder: { current?: TestDatabase } = {};
  const saved = { db: process.env.DATABASE_URL, storage: process.env.STORAGE_DIR, secret: process.env.NEXTAUTH_SECRET };
  beforeAll(async () => {
    holder.current = await createTestDatabase();
    process.env.DATABASE_URL = holder.current.url;
    process.env.STORAGE_DIR = holder.current.storageDir;
    process.env.NEXTAUTH_SECRET ??= randomBytes(32).toString('base64url');
  });
  afterAll(async () => {
    await holder.current?.drop();
    for (const [key, value] of [
      ['DATABASE_URL', saved.db],
      ['STORAGE_DIR', saved.storage],
      ['NEXTAUTH_SECRET', saved.secret],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  return {
    get current() {
      if (!holder.current) throw new Error('test database not ready (use it inside tests or hooks)');
      return holder.current;
    },
  };
}
