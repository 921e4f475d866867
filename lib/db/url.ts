/**
 * Where the portal's database is: DATABASE_URL when set, otherwise the
 * embedded PostgreSQL cluster under `.data/postgres` (lib/db/embedded.ts).
 * Kept free of heavy imports so server code can use it.
 *
 * The embedded cluster has two roles, each with a random password kept in a
 * file only its owner can read (mode 0600), like `.data/auth-secret`:
 *   postgres   superuser, `.data/pg-admin-password`: used only at start to
 *              create and maintain the application role and database;
 *   pcace_app  no superuser, no CREATEDB/CREATEROLE, `.data/pg-app-password`:
 *              owns the `pcace` database (so `prisma migrate deploy` can
 *              create its tables) and is what the web server and the
 *              workers connect as. A bug or an injected statement in the
 *              portal therefore cannot read files, run programs (COPY … TO
 *              PROGRAM) or touch other databases of the cluster.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface EmbeddedPostgresConfig {
  /** The data root (`.data`): the password files live here. */
  dataRoot: string;
  /** The cluster's data directory (`.data/postgres`). */
  dataDir: string;
  port: number;
  /** The role the portal uses (not a superuser). */
  user: string;
  /** File holding `user`'s password. */
  passwordFile: string;
  /** The cluster's superuser, used only to set up `user` and the database. */
  adminUser: string;
  adminPasswordFile: string;
  database: string;
}

/** Settings from the environment: PCACE_DATA_DIR (default `.data`), PCACE_PG_PORT (default 54329). */
export function embeddedConfig(root = process.cwd()): EmbeddedPostgresConfig {
  const dataRoot = path.resolve(root, process.env.PCACE_DATA_DIR ?? '.data');
  return {
    dataRoot,
    dataDir: path.join(dataRoot, 'postgres'),
    port: Number(process.env.PCACE_PG_PORT ?? 54329),
    user: 'pcace_app',
    passwordFile: path.join(dataRoot, 'pg-app-password'),
    adminUser: 'postgres',
    adminPasswordFile: path.join(dataRoot, 'pg-admin-password'),
    database: 'pcace',
  };
}

const secrets = new Map<string, string>();

/**
 * The random secret in `file` (`bytes` random bytes, base64url), created on
 * first use (mode 0600; several processes starting at once agree on the first
 * one written). Cached: the portal reads it once per process. The database
 * passwords and the session-signing secret (lib/server/config.ts) both live so.
 */
export function secretFile(file: string, bytes = 24): string {
  const cached = secrets.get(file);
  if (cached) return cached;
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(file, randomBytes(bytes).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // Also tightens a file copied in or created under a loose umask.
  chmodSync(file, 0o600);
  const value = readFileSync(file, 'utf8').trim();
  if (!value) throw new Error(`${file} is empty: delete it and start the portal again to create a new secret`);
  secrets.set(file, value);
  return value;
}

function url(user: string, password: string, port: number, database: string): string {
  return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** The portal's connection: the application role, never the superuser. */
export function embeddedUrl(cfg: EmbeddedPostgresConfig = embeddedConfig(), database = cfg.database): string {
  return url(cfg.user, secretFile(cfg.passwordFile), cfg.port, database);
}

/** The superuser's connection (start-up maintenance only). */
export function embeddedAdminUrl(cfg: EmbeddedPostgresConfig = embeddedConfig(), database = 'postgres', password = secretFile(cfg.adminPasswordFile)): string {
  return url(cfg.adminUser, password, cfg.port, database);
}

/** The database the portal uses: DATABASE_URL, else the embedded cluster. */
export function databaseUrl(): string {
  return process.env.DATABASE_URL || embeddedUrl();
}
