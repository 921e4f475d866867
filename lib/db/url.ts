/**
 * Where the portal's database is: DATABASE_URL when set, otherwise the
 * embedded PostgreSQL cluster under `.data/postgres` (lib/db/embedded.ts).
 * Kept free of heavy imports so server code can use it.
 */
import path from 'node:path';

export interface EmbeddedPostgresConfig {
  dataDir: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Settings from the environment: PCACE_DATA_DIR (default `.data`), PCACE_PG_PORT (default 54329). */
export function embeddedConfig(root = process.cwd()): EmbeddedPostgresConfig {
  const dataRoot = path.resolve(root, process.env.PCACE_DATA_DIR ?? '.data');
  return {
    dataDir: path.join(dataRoot, 'postgres'),
    port: Number(process.env.PCACE_PG_PORT ?? 54329),
    user: 'postgres',
    // Only reachable on 127.0.0.1; the password keeps other local users out.
    password: process.env.PCACE_PG_PASSWORD ?? 'pcace-local',
    database: 'pcace',
  };
}

export function embeddedUrl(cfg: EmbeddedPostgresConfig = embeddedConfig(), database = cfg.database): string {
  return `postgres://${cfg.user}:${encodeURIComponent(cfg.password)}@127.0.0.1:${cfg.port}/${database}`;
}

/** The database the portal uses: DATABASE_URL, else the embedded cluster. */
export function databaseUrl(): string {
  return process.env.DATABASE_URL || embeddedUrl();
}

