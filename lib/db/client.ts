/**
 * The portal's Prisma client (driver adapter on node-postgres, no native
 * engine). Created on first use from DATABASE_URL, else the embedded
 * PostgreSQL (lib/db/url.ts); one client per process, kept across Next.js
 * dev reloads. Its node-postgres pool also runs preparedQuery, the few
 * queries every API request makes.
 */
import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient, Prisma } from './generated/client';
import { databaseUrl } from './url';

export type { PrismaClient } from './generated/client';
export { Prisma };
export type { Role, DatasetKind, ModelFormat, AnalysisStatus } from './generated/enums';

const g = globalThis as unknown as { __pcacePrisma?: { client: PrismaClient; pool: pg.Pool; url: string } };

function connection(): { client: PrismaClient; pool: pg.Pool } {
  const url = databaseUrl();
  if (!g.__pcacePrisma || g.__pcacePrisma.url !== url) {
    const old = g.__pcacePrisma;
    if (old) void closeConnection(old).catch(() => {});
    const pool = new pg.Pool({ connectionString: url, max: Number(process.env.PCACE_DB_POOL ?? 10) });
    // An idle connection's error (the server restarted) must not end the process before Prisma listens too.
    pool.on('error', () => {});
    const adapter = new PrismaPg(pool);
    g.__pcacePrisma = { client: new PrismaClient({ adapter }), pool, url };
  }
  return g.__pcacePrisma;
}

export function getDb(): PrismaClient {
  return connection().client;
}

/**
 * `timestamp(3)` (Prisma's DateTime) holds UTC without a zone: read it as UTC, as
 * Prisma does, whatever the process's time zone (node-postgres would read local time).
 */
const TIMESTAMP_OID = 1114;
const utcTimestamp = (text: string) => new Date(`${text.replace(' ', 'T')}Z`);
const PREPARED_TYPES = {
  getTypeParser: ((oid: number, format?: string) => (oid === TIMESTAMP_OID ? utcTimestamp : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

/** Statement names by SQL text: a name must always mean the same text on a connection. */
const statementNames = new Map<string, string>();

/**
 * A read run as a named prepared statement on the Prisma client's pool, for the
 * queries every API request makes (the access check, the view cache's stamps).
 * Prisma's $queryRaw costs 0.3–0.9 ms of Node CPU per query (its query
 * interpreter, argument and result mapping) and PostgreSQL parses and plans the
 * text each time: 0.3–0.5 ms more. Prepared once per connection, the same query
 * cost 0.06–0.11 ms of Node CPU and 0.08–0.11 ms of PostgreSQL's
 * (bench/README.md, 2026-12-06). Rows come as node-postgres reads them
 * (timestamps as UTC Dates like Prisma's, int8 as strings, enums as text), so
 * keep to simple columns. Named statements need a session per connection: not
 * for a transaction-pooling proxy between the portal and PostgreSQL.
 */
export async function preparedQuery<T>(query: Prisma.Sql): Promise<T[]> {
  let name = statementNames.get(query.text);
  if (name === undefined) {
    name = `pcace_${createHash('sha256').update(query.text).digest('hex').slice(0, 24)}`;
    if (statementNames.size > 1000) statementNames.clear();
    statementNames.set(query.text, name);
  }
  const result = await connection().pool.query({ name, text: query.text, values: query.values as unknown[], types: PREPARED_TYPES });
  return result.rows as T[];
}

/** Prisma first (it may hold connections of the pool), then the pool, which preparedQuery may have used alone. */
async function closeConnection(c: { client: PrismaClient; pool: pg.Pool }): Promise<void> {
  await c.client.$disconnect();
  await c.pool.end();
}

/** Disconnect (tests, scripts). */
export async function closeDb(): Promise<void> {
  const c = g.__pcacePrisma;
  g.__pcacePrisma = undefined;
  if (c) await closeConnection(c);
}

/** `db.user.findMany(...)`: the lazily created client. */
export const db: PrismaClient = new Proxy({} as PrismaClient, {
  get(_target, prop) {
    const client = getDb();
    const value = Reflect.get(client, prop, client);
    return typeof value === 'function' ? value.bind(client) : value;
  },
});
