/**
 * The directory backend: every key is a file under the storage dir
 * (STORAGE_DIR or .data/storage), a tree is a folder. Writes land in the
 * dir's tmp/ and are renamed into place, so a reader never sees half a file
 * and a crash leaves only a scratch file. Local copies are the stored files
 * themselves. Workers on other machines need the dir mounted (e.g. NFS).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { storageDir } from './dirs';
import { checkKey, StorageNotFound, type LocalCopy, type ObjectInfo, type ObjectStore } from './store';

export class DirectoryStore implements ObjectStore {
  readonly backend = 'directory' as const;

  constructor(readonly root: string = storageDir()) {}

  /** Absolute path of a key, refusing anything that leaves the root. */
  pathOf(key: string): string {
    const full = path.resolve(this.root, ...checkKey(key).split('/'));
    if (!full.startsWith(this.root + path.sep)) throw new Error(`storage key escapes the storage dir: ${key}`);
    return full;
  }

  private info(key: string, size: number, mtimeMs: number): ObjectInfo {
    return { key, size, version: `${size}-${Math.round(mtimeMs)}` };
  }

  async put(key: string, source: Readable | Uint8Array): Promise<ObjectInfo> {
    const target = this.pathOf(key);
    const { dir, cleanup } = await this.scratchDir();
    try {
      const temp = path.join(dir, 'object');
      await pipeline(source instanceof Readable ? source : Readable.from([source]), createWriteStream(temp, { flags: 'wx' }));
      await mkdir(path.dirname(target), { recursive: true });
      await rename(temp, target);
      const st = await stat(target);
      return this.info(key, st.size, st.mtimeMs);
    } finally {
      await cleanup();
    }
  }

  async get(key: string): Promise<Readable> {
    try {
      const handle = await open(this.pathOf(key), 'r');
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        throw new StorageNotFound(key);
      }
      return handle.createReadStream();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') throw new StorageNotFound(key);
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const st = await stat(this.pathOf(key));
      return st.isFile() ? this.info(key, st.size, st.mtimeMs) : null;
    } catch {
      return null;
    }
  }

  async delete(key: string): Promise<boolean> {
    const info = await this.stat(key);
    if (!info) return false;
    await rm(this.pathOf(key), { force: true });
    return true;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const walk = async (dir: string, keyPrefix: string) => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return;
      }
      for (const name of names.sort()) {
        const full = path.join(dir, name);
        const st = await stat(full).catch(() => null);
        if (!st) continue;
        if (st.isDirectory()) await walk(full, `${keyPrefix}${name}/`);
        else if (st.isFile()) out.push(this.info(`${keyPrefix}${name}`, st.size, st.mtimeMs));
      }
    };
    await walk(this.pathOf(prefix), `${prefix}/`);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deleteTree(key: string): Promise<number> {
    const full = this.pathOf(key);
    const st = await stat(full).catch(() => null);
    if (!st) return 0;
    const count = st.isDirectory() ? (await this.list(key)).length : 1;
    await rm(full, { recursive: true, force: true });
    return count;
  }

  async commitLocal(localPath: string, key: string): Promise<boolean> {
    const target = this.pathOf(key);
    if (existsSync(target)) {
      await rm(localPath, { recursive: true, force: true });
      return false;
    }
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await rename(localPath, target);
      return true;
    } catch (err) {
      // A concurrent upload of the same bytes won the rename.
      if (existsSync(target)) {
        await rm(localPath, { recursive: true, force: true });
        return false;
      }
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    return existsSync(this.pathOf(key));
  }

  async materialise(key: string, kind: 'file' | 'tree'): Promise<LocalCopy> {
    const full = this.pathOf(key);
    const st = await stat(full).catch(() => null);
    if (!st || (kind === 'file' ? !st.isFile() : !st.isDirectory())) throw new StorageNotFound(key);
    return { path: full, release: async () => {} };
  }

  async scratchDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
    const dir = path.join(this.root, 'tmp', randomUUID());
    await mkdir(dir, { recursive: true });
    return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }

  async close(): Promise<void> {}
}
