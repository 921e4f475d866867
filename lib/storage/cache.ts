/**
 * Local copies of stored objects for code that opens files by path (ONNX
 * Runtime, TF.js, zip and npy readers, the model processes). Used by the
 * backends that are not a directory: a worker on another machine downloads a
 * model or dataset once and reuses it for every layer task.
 *
 * Layout under the cache root (PCACE_STORAGE_CACHE_DIR, default
 * <os tmpdir>/pcace-storage-cache):
 *   entries/<id>/data/<name>   the copy (a file, or a tree as data/)
 *   entries/<id>/meta.json     key, size; its mtime is the last use
 *   entries/<id>/pins/<pid>-…  one per holder that has not released it
 *   tmp/<uuid>/                downloads in progress, renamed into entries/
 *   uploads/<uuid>/            uploads being received before they are stored
 * An entry's id hashes the backend, the key and the object's version, so a
 * replaced object gets a new entry and a stale copy is never served.
 * Downloads land under tmp/ and are renamed into place whole: a crash leaves
 * no half-written entry. When the entries pass the size cap
 * (PCACE_STORAGE_CACHE_MB), the least recently used ones go — except copies
 * pinned by a live process on this machine, or used in the last minute.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, statfs, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { StorageNotFound, type LocalCopy, type ObjectInfo } from './store';

/** What the cache needs from a backend. */
export interface CacheSource {
  /** Tells backends (and databases, buckets) apart, so they never share entries. */
  readonly cacheId: string;
  stat(key: string): Promise<ObjectInfo | null>;
  /** The objects of a complete tree, or null when there is none. */
  treeObjects(prefix: string): Promise<ObjectInfo[] | null>;
  get(key: string): Promise<Readable>;
  /** Downloads a whole tree at once when the backend can do better than one get per object. */
  downloadTree?(prefix: string, objects: ObjectInfo[], dir: string): Promise<void>;
}

const RECENT_MS = 60_000;
const STALE_TMP_MS = 3600_000;
const STALE_UPLOAD_MS = 24 * 3600_000;

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(/*turbopackIgnore: true*/ env.PCACE_STORAGE_CACHE_DIR || path.join(tmpdir(), 'pcace-storage-cache'));
}

export function cacheCapBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.PCACE_STORAGE_CACHE_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : 20480) * 2 ** 20;
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class LocalCache {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    readonly root: string = cacheRoot(),
    readonly capBytes: number = cacheCapBytes(),
    /** Copies used this recently are never evicted: another process may be about to pin one. */
    private readonly graceMs = RECENT_MS,
  ) {}

  private entryDir(id: string): string {
    return path.join(this.root, 'entries', id);
  }

  /** A local copy of `key` (a file, or a tree as a folder), downloaded when missing, pinned until release(). */
  async materialise(src: CacheSource, key: string, kind: 'file' | 'tree'): Promise<LocalCopy> {
    let objects: ObjectInfo[];
    if (kind === 'file') {
      const info = await src.stat(key);
      if (!info) throw new StorageNotFound(key);
      objects = [info];
    } else {
      const tree = await src.treeObjects(key);
      if (!tree || tree.length === 0) throw new StorageNotFound(key);
      objects = tree;
    }
    const version = createHash('sha256');
    version.update(`${src.cacheId}\n${kind}\n${key}\n`);
    for (const o of objects) version.update(`${o.key}\t${o.size}\t${o.version}\n`);
    const id = version.digest('hex').slice(0, 40);
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.fill(src, key, kind, id, objects).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    const entry = await pending;
    const pin = path.join(entry, 'pins', `${process.pid}-${randomUUID()}`);
    await mkdir(path.dirname(pin), { recursive: true });
    await writeFile(pin, '');
    const now = new Date();
    await utimes(path.join(entry, 'meta.json'), now, now).catch(() => {});
    const dataPath = kind === 'file' ? path.join(entry, 'data', path.posix.basename(key)) : path.join(entry, 'data');
    return { path: dataPath, release: () => rm(pin, { force: true }) };
  }

  private async fill(src: CacheSource, key: string, kind: 'file' | 'tree', id: string, objects: ObjectInfo[]): Promise<string> {
    const entry = this.entryDir(id);
    try {
      await stat(path.join(entry, 'meta.json'));
      return entry;
    } catch {
      // Not here yet: download it.
    }
    const size = objects.reduce((s, o) => s + o.size, 0);
    await mkdir(path.join(this.root, 'tmp'), { recursive: true });
    await this.evict(size);
    const fs = await statfs(this.root);
    const free = Number(fs.bavail) * Number(fs.bsize);
    if (free < size + 64 * 2 ** 20) {
      throw new Error(`not enough free disk for a local copy of ${key} (${(size / 2 ** 20).toFixed(1)} MB) in ${this.root}: ${(free / 2 ** 20).toFixed(0)} MB free`);
    }
    const work = path.join(this.root, 'tmp', randomUUID());
    const data = path.join(work, 'data');
    try {
      await mkdir(data, { recursive: true });
      if (kind === 'file') {
        await pipeline(await src.get(key), createWriteStream(path.join(data, path.posix.basename(key)), { flags: 'wx' }));
      } else if (src.downloadTree) {
        await src.downloadTree(key, objects, data);
      } else {
        for (const o of objects) {
          const target = path.join(data, ...o.key.slice(key.length + 1).split('/'));
          await mkdir(path.dirname(target), { recursive: true });
          await pipeline(await src.get(o.key), createWriteStream(target, { flags: 'wx' }));
        }
      }
      await writeFile(path.join(work, 'meta.json'), JSON.stringify({ key, kind, size }));
      await mkdir(path.dirname(entry), { recursive: true });
      try {
        await rename(work, entry);
      } catch (err) {
        // Another process on this machine finished the same copy first: use theirs.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        await rm(work, { recursive: true, force: true });
      }
      return entry;
    } catch (err) {
      await rm(work, { recursive: true, force: true }).catch(() => {});
      throw err;
    }
  }

  /** Removes least recently used, unpinned entries until `incoming` more bytes fit under the cap. */
  async evict(incoming = 0): Promise<{ removed: string[]; bytes: number }> {
    const entriesDir = path.join(this.root, 'entries');
    let names: string[];
    try {
      names = await readdir(entriesDir);
    } catch {
      names = [];
    }
    const entries: { id: string; size: number; used: number; pinned: boolean }[] = [];
    for (const id of names) {
      try {
        const metaFile = path.join(entriesDir, id, 'meta.json');
        const [meta, st] = await Promise.all([readFile(metaFile, 'utf8'), stat(metaFile)]);
        entries.push({ id, size: (JSON.parse(meta) as { size: number }).size, used: st.mtimeMs, pinned: await this.pinned(path.join(entriesDir, id)) });
      } catch {
        // Being renamed in or out right now.
      }
    }
    let total = entries.reduce((s, e) => s + e.size, 0);
    const removed: string[] = [];
    const now = Date.now();
    for (const e of entries.sort((a, b) => a.used - b.used)) {
      if (total + incoming <= this.capBytes) break;
      if (e.pinned || now - e.used < this.graceMs) continue;
      // Renamed out first: no reader ever finds a half-removed copy.
      const trash = path.join(this.root, 'tmp', `evict-${randomUUID()}`);
      try {
        await rename(path.join(entriesDir, e.id), trash);
      } catch {
        continue;
      }
      await rm(trash, { recursive: true, force: true });
      total -= e.size;
      removed.push(e.id);
    }
    await this.removeStale('tmp', STALE_TMP_MS);
    await this.removeStale('uploads', STALE_UPLOAD_MS);
    return { removed, bytes: total };
  }

  private async pinned(entry: string): Promise<boolean> {
    let pins: string[];
    try {
      pins = await readdir(path.join(entry, 'pins'));
    } catch {
      return false;
    }
    let live = false;
    for (const p of pins) {
      const pid = Number(p.split('-')[0]);
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) live = true;
      else await rm(path.join(entry, 'pins', p), { force: true });
    }
    return live;
  }

  /** Leftovers of processes killed mid-download or mid-upload. */
  private async removeStale(sub: string, olderThanMs: number): Promise<void> {
    const dir = path.join(this.root, sub);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    const now = Date.now();
    for (const n of names) {
      try {
        const st = await stat(path.join(dir, n));
        if (now - st.mtimeMs > olderThanMs) await rm(path.join(dir, n), { recursive: true, force: true });
      } catch {
        // Gone already.
      }
    }
  }

  /** A folder for an upload being received, on the cache's disk. */
  async uploadDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
    const dir = path.join(this.root, 'uploads', randomUUID());
    await mkdir(dir, { recursive: true });
    return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }
}
