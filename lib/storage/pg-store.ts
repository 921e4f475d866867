/**
 * The PostgreSQL backend (PCACE_STORAGE=postgres): stored bytes are large
 * objects in the portal's database, so a worker on another machine needs
 * only DATABASE_URL.
 *
 *   StorageBlob(sha256, oid, size)  one large object per distinct content;
 *   StorageObject(key, sha256)      what each key holds.
 *
 * Writes stream the source into a new large object in chunks (lowrite)
 * inside one transaction, hashing on the way; at the end the content is
 * looked up by its hash and, when it is there already, the new copy is
 * dropped and the key points at the old one. Nothing is visible before
 * COMMIT, and a writer that dies mid-way takes its transaction — and the
 * half-written large object — with it. A tree (all files of a folder) is
 * written in one transaction, so it appears whole or not at all. Deleting
 * the last key of a content unlinks its large object, which frees the space
 * (after VACUUM of pg_largeobject, like any deleted rows).
 *
 * Concurrency: writers and deleters of one key, and of one content, take
 * transaction-scoped advisory locks in that order, so a content is never
 * unlinked while a concurrent writer makes a key point at it.
 *
 * Large objects belong to the role that created them: the web server and the
 * workers must connect as the same role (as they do by default).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { LocalCache, type CacheSource } from './cache';
import { checkKey, StorageNotFound, type LocalCopy, type ObjectInfo, type ObjectStore, type PutOptions } from './store';

const INV_WRITE = 0x20000;
const INV_READ = 0x40000;
/** Bytes per lowrite/loread round trip: large enough to amortise the round trip, small enough to stream. */
const CHUNK = 1024 * 1024;
/** Files up to this size are fetched many at a time when a tree is materialised. */
const SMALL = 256 * 1024;
const SMALL_BATCH = 128;

type Client = pg.PoolClient;

/** Keys sorted by bytes, not by the database's collation (a tree's listing must not depend on the locale). */
const byKey = (a: ObjectInfo, b: ObjectInfo) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export class PostgresStore implements ObjectStore, CacheSource {
  readonly backend = 'postgres' as const;
  readonly cacheId: string;
  private readonly pool: pg.Pool;

  constructor(
    connectionString: string,
    private readonly cache: LocalCache = new LocalCache(),
    poolSize = Number(process.env.PCACE_STORAGE_POOL ?? 4),
  ) {
    const u = new URL(connectionString);
    this.cacheId = `postgres:${u.hostname}:${u.port || 5432}${u.pathname}`;
    this.pool = new pg.Pool({ connectionString, max: poolSize > 0 ? poolSize : 4 });
    // An idle connection the server dropped must not take the process down; the next query reconnects.
    this.pool.on('error', () => {});
  }

  private async transaction<T>(fn: (c: Client) => Promise<T>, readOnly = false): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      client.release();
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
        client.release();
      } catch {
        client.release(true);
      }
      throw err;
    }
  }

  private async lock(c: Client, what: 'key' | 'content', value: string): Promise<void> {
    await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, $2))', [value, what === 'key' ? 1 : 2]);
  }

  /** Streams `source` into a new large object; returns its oid, size and sha256. */
  private async writeLargeObject(c: Client, source: AsyncIterable<Uint8Array>): Promise<{ oid: number; size: number; sha256: string }> {
    const oid = Number((await c.query('SELECT lo_create(0) AS oid')).rows[0].oid);
    const fd = Number((await c.query('SELECT lo_open($1, $2) AS fd', [oid, INV_WRITE])).rows[0].fd);
    const hash = createHash('sha256');
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await c.query('SELECT lowrite($1, $2)', [fd, buf]);
    };
    for await (const chunk of source) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      hash.update(b);
      size += b.length;
      pending.push(b);
      pendingBytes += b.length;
      if (pendingBytes >= CHUNK) await flush();
    }
    await flush();
    await c.query('SELECT lo_close($1)', [fd]);
    return { oid, size, sha256: hash.digest('hex') };
  }

  /** Points `key` at `sha256` (which exists, locked by the caller) and frees what the key held before. */
  private async link(c: Client, key: string, sha256: string): Promise<void> {
    await this.lock(c, 'key', key);
    const prev = (await c.query('SELECT sha256 FROM "StorageObject" WHERE key = $1', [key])).rows[0]?.sha256 as string | undefined;
    await c.query(
      `INSERT INTO "StorageObject" (key, sha256, "updatedAt") VALUES ($1, $2, now())
       ON CONFLICT (key) DO UPDATE SET sha256 = EXCLUDED.sha256, "updatedAt" = now()`,
      [key, sha256],
    );
    if (prev && prev !== sha256) await this.releaseContent(c, prev);
  }

  /** Unlinks a content's large object when no key holds it any more. */
  private async releaseContent(c: Client, sha256: string): Promise<void> {
    await this.lock(c, 'content', sha256);
    const used = (await c.query('SELECT 1 FROM "StorageObject" WHERE sha256 = $1 LIMIT 1', [sha256])).rowCount;
    if (used) return;
    const gone = await c.query('DELETE FROM "StorageBlob" WHERE sha256 = $1 RETURNING oid', [sha256]);
    for (const r of gone.rows) await c.query('SELECT lo_unlink($1)', [r.oid]);
  }

  /** One object written inside the caller's transaction. */
  private async writeObject(c: Client, key: string, source: AsyncIterable<Uint8Array>, opts: PutOptions): Promise<ObjectInfo> {
    if (opts.sha256) {
      // The content may be here already (another key, another lab): then no byte needs to travel.
      await this.lock(c, 'content', opts.sha256);
      const known = await c.query('SELECT size FROM "StorageBlob" WHERE sha256 = $1', [opts.sha256]);
      if (known.rowCount) {
        await this.link(c, key, opts.sha256);
        if (source instanceof Readable) source.destroy();
        return { key, size: Number(known.rows[0].size), version: opts.sha256 };
      }
    }
    const lo = await this.writeLargeObject(c, source);
    if (opts.sha256 && opts.sha256 !== lo.sha256) throw new Error(`stored bytes of ${key} do not match their expected sha256`);
    await this.lock(c, 'content', lo.sha256);
    const existing = await c.query('SELECT oid FROM "StorageBlob" WHERE sha256 = $1', [lo.sha256]);
    if (existing.rowCount) await c.query('SELECT lo_unlink($1)', [lo.oid]);
    else await c.query('INSERT INTO "StorageBlob" (sha256, oid, size) VALUES ($1, $2, $3)', [lo.sha256, lo.oid, lo.size]);
    await this.link(c, key, lo.sha256);
    return { key, size: lo.size, version: lo.sha256 };
  }

  async put(key: string, source: Readable | Uint8Array, opts: PutOptions = {}): Promise<ObjectInfo> {
    checkKey(key);
    const iterable: AsyncIterable<Uint8Array> = source instanceof Readable ? source : Readable.from([source], { objectMode: true });
    try {
      return await this.transaction((c) => this.writeObject(c, key, iterable, opts));
    } catch (err) {
      if (source instanceof Readable) source.destroy();
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    checkKey(key);
    const client = await this.pool.connect();
    let fd: number;
    try {
      // Large-object descriptors live in a transaction; READ ONLY also gives the read a fixed snapshot.
      await client.query('BEGIN READ ONLY');
      const row = (await client.query('SELECT b.oid FROM "StorageObject" o JOIN "StorageBlob" b USING (sha256) WHERE o.key = $1', [key])).rows[0];
      if (!row) throw new StorageNotFound(key);
      fd = Number((await client.query('SELECT lo_open($1, $2) AS fd', [row.oid, INV_READ])).rows[0].fd);
    } catch (err) {
      await client.query('ROLLBACK').then(
        () => client.release(),
        () => client.release(true),
      );
      throw err;
    }
    async function* chunks() {
      let done = false;
      try {
        for (;;) {
          // bytea comes back hex-encoded (node-pg reads result rows as text) and is decoded natively.
          const r = await client.query('SELECT loread($1, $2) AS data', [fd, CHUNK]);
          const data = r.rows[0].data as Buffer;
          if (data.length === 0) break;
          yield data;
        }
        await client.query('COMMIT');
        done = true;
      } finally {
        if (done) client.release();
        else await client.query('ROLLBACK').then(
          () => client.release(),
          () => client.release(true),
        );
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    checkKey(key);
    const r = await this.pool.query('SELECT b.size, b.sha256 FROM "StorageObject" o JOIN "StorageBlob" b USING (sha256) WHERE o.key = $1', [key]);
    return r.rowCount ? { key, size: Number(r.rows[0].size), version: r.rows[0].sha256 } : null;
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    return this.transaction(async (c) => {
      await this.lock(c, 'key', key);
      const gone = await c.query('DELETE FROM "StorageObject" WHERE key = $1 RETURNING sha256', [key]);
      for (const r of gone.rows) await this.releaseContent(c, r.sha256);
      return (gone.rowCount ?? 0) > 0;
    });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    checkKey(prefix);
    const r = await this.pool.query(
      'SELECT o.key, b.size, b.sha256 FROM "StorageObject" o JOIN "StorageBlob" b USING (sha256) WHERE starts_with(o.key, $1)',
      [`${prefix}/`],
    );
    return r.rows.map((x) => ({ key: x.key as string, size: Number(x.size), version: x.sha256 as string })).sort(byKey);
  }

  async treeObjects(prefix: string): Promise<ObjectInfo[] | null> {
    const objects = await this.list(prefix);
    return objects.length ? objects : null;
  }

  async deleteTree(key: string): Promise<number> {
    checkKey(key);
    return this.transaction(async (c) => {
      const gone = await c.query('DELETE FROM "StorageObject" WHERE key = $1 OR starts_with(key, $2) RETURNING sha256', [key, `${key}/`]);
      for (const sha of [...new Set(gone.rows.map((r) => r.sha256 as string))].sort()) await this.releaseContent(c, sha);
      return gone.rowCount ?? 0;
    });
  }

  async exists(key: string): Promise<boolean> {
    checkKey(key);
    const r = await this.pool.query('SELECT 1 FROM "StorageObject" WHERE key = $1 OR starts_with(key, $2) LIMIT 1', [key, `${key}/`]);
    return (r.rowCount ?? 0) > 0;
  }

  async commitLocal(localPath: string, key: string, opts: PutOptions = {}): Promise<boolean> {
    checkKey(key);
    try {
      if (await this.exists(key)) return false;
      const st = await stat(localPath);
      if (st.isFile()) {
        await this.transaction((c) => this.writeObject(c, key, createReadStream(localPath), opts));
      } else {
        const files = await filesUnder(localPath);
        // The whole tree in one transaction: it appears complete or not at all.
        await this.transaction(async (c) => {
          for (const rel of files) await this.writeObject(c, `${key}/${rel}`, createReadStream(path.join(localPath, ...rel.split('/'))), {});
        });
      }
      return true;
    } finally {
      await rm(localPath, { recursive: true, force: true });
    }
  }

  /** Small files of a tree many to a query (a CSV dataset's images), big ones streamed. */
  async downloadTree(prefix: string, objects: ObjectInfo[], dir: string): Promise<void> {
    const target = (key: string) => path.join(dir, ...key.slice(prefix.length + 1).split('/'));
    const small = objects.filter((o) => o.size <= SMALL);
    for (let i = 0; i < small.length; i += SMALL_BATCH) {
      const batch = small.slice(i, i + SMALL_BATCH);
      const r = await this.pool.query('SELECT o.key, lo_get(b.oid) AS data FROM "StorageObject" o JOIN "StorageBlob" b USING (sha256) WHERE o.key = ANY($1::text[])', [
        batch.map((o) => o.key),
      ]);
      if (r.rowCount !== batch.length) throw new StorageNotFound(`${prefix}/ (changed while being read)`);
      for (const row of r.rows) {
        const file = target(row.key as string);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, row.data as Buffer, { flag: 'wx' });
      }
    }
    for (const o of objects.filter((x) => x.size > SMALL)) {
      const file = target(o.key);
      await mkdir(path.dirname(file), { recursive: true });
      await pipeline(await this.get(o.key), createWriteStream(file, { flags: 'wx' }));
    }
  }

  materialise(key: string, kind: 'file' | 'tree'): Promise<LocalCopy> {
    return this.cache.materialise(this, checkKey(key), kind);
  }

  scratchDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
    return this.cache.uploadDir();
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Files under a folder as '/'-separated relative paths, sorted. */
export async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), r);
      else if (entry.isFile()) out.push(r);
    }
  };
  await walk(root, '');
  return out.sort();
}
