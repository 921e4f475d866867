/**
 * One interface for where stored bytes live, with three backends chosen by
 * PCACE_STORAGE:
 *   directory (default) — files under STORAGE_DIR (lib/storage/dir-store.ts);
 *                workers on other machines need that directory shared;
 *   postgres   — large objects in the portal's own database
 *                (lib/storage/pg-store.ts): workers need only DATABASE_URL;
 *   s3         — an S3-compatible bucket through the AWS SDK
 *                (lib/storage/s3-store.ts).
 *
 * Keys are relative, '/'-separated paths ('models/<sha256>.onnx',
 * 'artifacts/<analysis>/<attempt>/maps.png'). A *tree* is every key under
 * 'prefix/' — a TF.js model folder, a CSV dataset with its images — and is
 * stored and materialised as a whole. Engines that open files by path get a
 * local copy from materialise(): the directory backend hands out its own
 * path; the others keep a capped, evicting cache on local disk
 * (lib/storage/cache.ts).
 */
import type { Readable } from 'node:stream';

export type BackendName = 'directory' | 'postgres' | 's3';

/** What a backend knows about one stored object. */
export interface ObjectInfo {
  key: string;
  size: number;
  /**
   * Changes whenever the bytes under the key change (sha256 of the content
   * in PostgreSQL, the ETag in S3, size and mtime in the directory): local
   * copies are keyed by it, so a replaced object is never served stale.
   */
  version: string;
}

export interface PutOptions {
  /**
   * The content's sha256 when the caller has it already (uploads are hashed
   * while they arrive): a backend that deduplicates by content can then skip
   * sending bytes it holds.
   */
  sha256?: string;
}

export interface ObjectStore {
  readonly backend: BackendName;
  /** Stores `source` under `key`, replacing what was there; streamed, and visible only once complete. */
  put(key: string, source: Readable | Uint8Array, opts?: PutOptions): Promise<ObjectInfo>;
  /** The bytes under `key` as a stream; StorageNotFound when there are none. */
  get(key: string): Promise<Readable>;
  /** Size and version, or null when the key holds nothing. */
  stat(key: string): Promise<ObjectInfo | null>;
  /** Removes the key; whether it existed. */
  delete(key: string): Promise<boolean>;
  /** Every object under `prefix/`, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Removes `key` itself and every object under `key/`; how many objects went. */
  deleteTree(key: string): Promise<number>;
  /**
   * Stores a local file (as `key`) or folder (as the tree `key/…`) that
   * nobody else writes to, unless `key` holds something already (stored
   * content is addressed by its hash, so equal keys mean equal bytes). The
   * local copy is consumed: moved, or removed after its upload. Returns
   * whether this call stored it.
   */
  commitLocal(localPath: string, key: string, opts?: PutOptions): Promise<boolean>;
  /** Whether `key` holds a file or a complete tree. */
  exists(key: string): Promise<boolean>;
  /**
   * A local path for `key` (a file, or a tree as a folder) that stays valid
   * until release() — the cache never evicts a copy in use.
   */
  materialise(key: string, kind: 'file' | 'tree'): Promise<LocalCopy>;
  /**
   * A scratch folder on local disk for an upload in progress: on the same
   * filesystem as the store when it is a directory, so commitLocal can rename.
   */
  scratchDir(): Promise<{ dir: string; cleanup: () => Promise<void> }>;
  /** Closes connections (tests, scripts). */
  close(): Promise<void>;
}

export interface LocalCopy {
  path: string;
  release(): Promise<void>;
}

export class StorageNotFound extends Error {
  constructor(readonly key: string) {
    super(`not in storage: ${key}`);
    this.name = 'StorageNotFound';
  }
}

/** Checks a key: relative, '/'-separated, no '.' or '..' segments, no empty segments. */
export function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) throw new Error(`bad storage key ${JSON.stringify(key)}`);
  const parts = key.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) {
    throw new Error(`bad storage key ${JSON.stringify(key)}`);
  }
  return key;
}

/** Joins key segments with '/', whatever the platform's separator. */
export function joinKey(...parts: string[]): string {
  return checkKey(parts.flatMap((p) => p.split(/[\\/]+/)).filter((p) => p !== '').join('/'));
}

/** The backend PCACE_STORAGE names (directory when unset); anything else is a configuration error. */
export function backendName(env: Record<string, string | undefined> = process.env): BackendName {
  const raw = (env.PCACE_STORAGE ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'directory' || raw === 'dir') return 'directory';
  if (raw === 'postgres' || raw === 'postgresql' || raw === 'pg') return 'postgres';
  if (raw === 's3') return 's3';
  throw new Error(`PCACE_STORAGE=${env.PCACE_STORAGE} is not a storage backend: use directory, postgres or s3`);
}
