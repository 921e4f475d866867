/**
 * Driver adapter for the Prisma CLI's JavaScript schema engine (`engine: "js"`
 * in prisma.config.ts), which is what lets `prisma migrate` run offline.
 *
 * @prisma/adapter-pg 6.19.3 needs three corrections for migrations:
 *  1. Introspection reads pg_catalog columns of type "char" (OID 18) and name
 *     (OID 19), which the adapter rejects as unsupported (prisma/orm#27403).
 *     They are plain text to Prisma, so the pg client reports them as text (25).
 *  2. Its shadow database is created on a pool whose connection string still
 *     names the main database (pg gives the URL precedence over `database`),
 *     and it is dropped while connections to it are open. We create, connect to
 *     and drop a throw-away database ourselves.
 *  3. executeScript splits scripts on every ';' (also inside strings and
 *     function bodies); we send the script as one simple query, as the native
 *     schema engine does.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;

const TEXT_OID = 25;
const TEXT_ARRAY_OID = 1009;
const AS_TEXT: Record<number, number> = { 18: TEXT_OID, 19: TEXT_OID, 1002: TEXT_ARRAY_OID, 1003: TEXT_ARRAY_OID };

function relabel<T>(result: T): T {
  const results = Array.isArray(result) ? result : [result];
  for (const r of results as { fields?: { dataTypeID: number }[] }[]) {
    for (const f of r?.fields ?? []) {
      const mapped = AS_TEXT[f.dataTypeID];
      if (mapped !== undefined) f.dataTypeID = mapped;
    }
  }
  return result;
}

/** A pg client that reports "char"/name columns as text. */
class CharAsTextClient extends pg.Client {
  // pg's query() has many overloads; forward them all and relabel the result.
  query(config: any, values?: any, callback?: any): any {
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
    }
    if (typeof config?.submit === 'function') return super.query(config, values, callback);
    if (typeof callback === 'function') {
      return super.query(config, values, (err: Error | null, res: unknown) => callback(err, err ? res : relabel(res)));
    }
    return (super.query(config, values) as Promise<unknown>).then(relabel);
  }
}

function pool(connectionString: string): pg.Pool {
  // allowExitOnIdle: the CLI never disposes the adapter; idle clients would hold the process for 10 s.
  return new pg.Pool({ connectionString, max: 4, allowExitOnIdle: true, Client: CharAsTextClient as unknown as typeof pg.Client });
}

function withWholeScripts(adapter: Adapter, onDispose?: () => Promise<void>): Adapter {
  const driver = adapter.underlyingDriver();
  adapter.executeScript = async (script: string) => {
    try {
      await driver.query(script);
    } catch (error) {
      (adapter as unknown as { onError(e: unknown): never }).onError(error);
    }
  };
  if (onDispose) {
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await onDispose();
    };
  }
  return adapter;
}

function databaseUrl(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

export class MigrationAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName = '@prisma/adapter-pg';

  constructor(private readonly url: string) {}

  async connect(): Promise<Adapter> {
    return withWholeScripts(await new PrismaPg(pool(this.url)).connect());
  }

  async connectToShadowDb(): Promise<Adapter> {
    const name = `prisma_shadow_${randomUUID().replace(/-/g, '')}`;
    await adminStatement(this.url, `CREATE DATABASE "${name}"`);
    const adapter = await new PrismaPg(pool(databaseUrl(this.url, name)), { disposeExternalPool: true }).connect();
    return withWholeScripts(adapter, () => adminStatement(this.url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
}

/** Run a statement that cannot run inside a transaction (CREATE/DROP DATABASE) on its own connection to `url`. */
export async function adminStatement(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
