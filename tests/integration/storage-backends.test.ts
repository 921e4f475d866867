/**
 * The storage backends against one contract (lib/storage/store.ts): the
 * directory, PostgreSQL large objects on the test database, and S3 through
 * the AWS SDK against s3rver, an S3-compatible server run here (not AWS S3,
 * which these machines cannot reach). Then what only PostgreSQL promises:
 * one large object per content, freed with its last key, and nothing left
 * by a writer that fails or is killed mid-upload. Then the local cache:
 * copies keyed by version, eviction under the cap, pinned copies kept.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db';
import { waitFor } from '../helpers/worker-process';
import { LocalCache } from '../../lib/storage/cache';
import { DirectoryStore } from '../../lib/storage/dir-store';
import { PostgresStore } from '../../lib/storage/pg-store';
import { S3Store } from '../../lib/storage/s3-store';
import { StorageNotFound, type ObjectStore } from '../../lib/storage/store';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const testDb = useTestDatabase();
const scratch = mkdtempSync(path.join(tmpdir(), 'pcace-stores-'));
let s3server: S3rver;
const stores: Record<string, ObjectStore> = {};

/** A stream of `bytes` bytes in odd-sized chunks (so writes straddle the backends' chunk boundaries). */
function chunked(bytes: Buffer, chunk = 300_007): Readable {
  let off = 0;
  return new Readable({
    read() {
      if (off >= bytes.length) return this.push(null);
      this.push(bytes.subarray(off, off + chunk));
      off += chunk;
    },
  });
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  stores.directory = new DirectoryStore(path.join(scratch, 'dir'));
  stores.postgres = new PostgresStore(testDb.current.url, new LocalCache(path.join(scratch, 'pg-cache')));
  s3server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(scratch, 's3rver'), configureBuckets: [{ name: 'pcace-test', configs: [] }] });
  const { port } = await s3server.run();
  stores.s3 = new S3Store(
    { bucket: 'pcace-test', prefix: 'lab/', endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true },
    new LocalCache(path.join(scratch, 's3-cache')),
    { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } },
  );
});

afterAll(async () => {
  for (const s of Object.values(stores)) await s.close();
  await s3server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe.each(['directory', 'postgres', 's3'])('%s store', (name) => {
  const store = () => stores[name];

  it('round-trips a multi-chunk stream, replaces it, and deletes it', async () => {
    const bytes = randomBytes(9 * 1024 * 1024 + 123);
    const info = await store().put('models/a.onnx', chunked(bytes));
    expect(info.size).toBe(bytes.length);
    expect(sha(await buffer(await store().get('models/a.onnx')))).toBe(sha(bytes));
    expect(await store().stat('models/a.onnx')).toMatchObject({ size: bytes.length, version: info.version });

    const other = Buffer.from('another content');
    const replaced = await store().put('models/a.onnx', other);
    expect(replaced.version).not.toBe(info.version);
    expect((await buffer(await store().get('models/a.onnx'))).equals(other)).toBe(true);

    expect(await store().delete('models/a.onnx')).toBe(true);
    expect(await store().stat('models/a.onnx')).toBeNull();
    expect(await store().exists('models/a.onnx')).toBe(false);
    await expect(store().get('models/a.onnx')).rejects.toBeInstanceOf(StorageNotFound);
    expect(await store().delete('models/a.onnx')).toBe(false);
  });

  it('stores a local folder as a tree, lists, materialises and deletes it whole', async () => {
    const folder = path.join(scratch, `${name}-tree`);
    mkdirSync(path.join(folder, 'images', 'cats'), { recursive: true });
    const files: Record<string, Buffer> = {
      'data.csv': Buffer.from('image,target\ncats/1.png,0.5\n'),
      'images/cats/1.png': randomBytes(2000),
      // Past the PostgreSQL store's batch size for small files and the S3 store's single-request size.
      'images/big.bin': randomBytes(9 * 1024 * 1024),
    };
    for (const [rel, b] of Object.entries(files)) writeFileSync(path.join(folder, rel), b);
    expect(await store().commitLocal(folder, 'datasets/t1')).toBe(true);
    expect(readdirSync(scratch)).not.toContain(`${name}-tree`);
    expect(await store().exists('datasets/t1')).toBe(true);
    expect((await store().list('datasets/t1')).map((o) => [o.key, o.size])).toEqual(
      Object.entries(files)
        .map(([rel, b]) => [`datasets/t1/${rel}`, b.length])
        .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1)),
    );
    // Stored again (same content-addressed key): nothing is written, the local copy is dropped.
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'data.csv'), 'x');
    expect(await store().commitLocal(folder, 'datasets/t1')).toBe(false);

    const copy = await store().materialise('datasets/t1', 'tree');
    for (const [rel, b] of Object.entries(files)) expect(readFileSync(path.join(copy.path, ...rel.split('/'))).equals(b)).toBe(true);
    await copy.release();

    expect(await store().deleteTree('datasets/t1')).toBe(3);
    expect(await store().exists('datasets/t1')).toBe(false);
    await expect(store().materialise('datasets/t1', 'tree')).rejects.toBeInstanceOf(StorageNotFound);
  });

  it('materialises a file under its own name and refuses keys that leave the store', async () => {
    const bytes = randomBytes(5000);
    const local = path.join(scratch, `${name}-file.npy`);
    writeFileSync(local, bytes);
    expect(await store().commitLocal(local, 'datasets/f1.npy', { sha256: sha(bytes) })).toBe(true);
    const copy = await store().materialise('datasets/f1.npy', 'file');
    expect(path.basename(copy.path)).toBe('f1.npy');
    expect(readFileSync(copy.path).equals(bytes)).toBe(true);
    await copy.release();
    for (const bad of ['../x', '/etc/passwd', 'a//b', 'a/./b', '']) await expect(store().put(bad, Buffer.from('x'))).rejects.toThrow(/bad storage key/);
    await store().deleteTree('datasets/f1.npy');
  });
});

describe('PostgreSQL large objects', () => {
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>) => {
    const c = new pg.Client({ connectionString: testDb.current.url });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  const largeObjects = () => admin(async (c) => Number((await c.query('SELECT count(*) AS n FROM pg_largeobject_metadata')).rows[0].n));
  const rows = () => admin(async (c) => (await c.query('SELECT key, sha256 FROM "StorageObject" ORDER BY key')).rows);

  it('keeps one large object per content, frees it with its last key', async () => {
    const store = stores.postgres;
    const before = await largeObjects();
    const bytes = randomBytes(3 * 1024 * 1024);
    await store.put('models/x.onnx', chunked(bytes));
    await store.put('models/copy-of-x.onnx', chunked(bytes));
    expect(await largeObjects()).toBe(before + 1);
    // With the hash known, bytes already stored are not read again: this source fails if read.
    const unread = new Readable({
      read() {
        this.destroy(new Error('the source was read'));
      },
    });
    expect(await store.put('models/third.onnx', unread, { sha256: sha(bytes) })).toMatchObject({ size: bytes.length, version: sha(bytes) });
    expect(await largeObjects()).toBe(before + 1);

    await store.delete('models/x.onnx');
    await store.delete('models/copy-of-x.onnx');
    expect(await largeObjects()).toBe(before + 1);
    expect(sha(await buffer(await store.get('models/third.onnx')))).toBe(sha(bytes));
    await store.delete('models/third.onnx');
    expect(await largeObjects()).toBe(before);
    expect(await admin(async (c) => (await c.query('SELECT count(*) AS n FROM "StorageBlob"')).rows[0].n)).toBe('0');
  });

  it('leaves nothing when the source fails mid-upload', async () => {
    const before = await largeObjects();
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent > 4 * 1024 * 1024) return this.destroy(new Error('connection reset by the client'));
        sent += 512 * 1024;
        this.push(randomBytes(512 * 1024));
      },
    });
    await expect(stores.postgres.put('datasets/broken.npy', failing)).rejects.toThrow(/connection reset/);
    expect(await largeObjects()).toBe(before);
    expect(await rows()).toEqual([]);
  });

  it('leaves nothing when the writing process is killed mid-upload', async () => {
    const before = await largeObjects();
    // A process that streams an endless upload into the store, reporting each chunk written.
    const script = `
      import { Readable } from 'node:stream';
      import { PostgresStore } from ${JSON.stringify(path.join(ROOT, 'lib/storage/pg-store.ts'))};
      const store = new PostgresStore(process.env.URL);
      let n = 0;
      const endless = new Readable({ read() { n++; if (n % 4 === 0) console.log('sent', n); this.push(Buffer.alloc(256 * 1024, n)); } });
      await store.put('datasets/killed.npy', endless);
    `;
    const file = path.join(scratch, 'killed-writer.mts');
    writeFileSync(file, script);
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env: { ...process.env, URL: testDb.current.url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise((r) => child.on('exit', r));
    // Killed once several MB sit in the uncommitted large object.
    await waitFor('the writer to send 8 MB', async () => (out.match(/sent/g)?.length ?? 0) >= 8, 60_000, 50);
    child.kill('SIGKILL');
    await exited;
    // The server notices the dropped connection and rolls its transaction back.
    await waitFor('the killed writer to be rolled back', async () => (await largeObjects()) === before, 20_000);
    expect(await rows()).toEqual([]);
  });
});

describe('local cache', () => {
  it('serves a replaced object from a new copy, evicts unused copies past the cap and keeps pinned ones', async () => {
    const root = path.join(scratch, 'capped');
    const cache = new LocalCache(root, 3 * 1024 * 1024, 0);
    const store = new PostgresStore(testDb.current.url, cache);
    try {
      const a = randomBytes(2 * 1024 * 1024);
      const b = randomBytes(2 * 1024 * 1024);
      await store.put('c/a.bin', a);
      await store.put('c/b.bin', b);
      const entries = () => readdirSync(path.join(root, 'entries')).length;

      const copyA = await store.materialise('c/a.bin', 'file');
      expect(readFileSync(copyA.path).equals(a)).toBe(true);
      // a is pinned: b is copied beside it although the two pass the cap.
      const copyB = await store.materialise('c/b.bin', 'file');
      expect(entries()).toBe(2);
      expect(readFileSync(copyA.path).equals(a)).toBe(true);
      await copyA.release();
      await copyB.release();

      // Replaced: a new copy under a new version; the unpinned old ones make room for it.
      const a2 = randomBytes(2 * 1024 * 1024);
      await store.put('c/a.bin', a2);
      const copyA2 = await store.materialise('c/a.bin', 'file');
      expect(readFileSync(copyA2.path).equals(a2)).toBe(true);
      expect(copyA2.path).not.toBe(copyA.path);
      expect(entries()).toBe(1);
      await copyA2.release();
      // No download leaves anything in tmp/.
      expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
