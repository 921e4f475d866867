/**
 * The S3 backend (PCACE_STORAGE=s3) for deployments with object storage:
 * AWS S3 or any S3-compatible service (MinIO, Ceph RGW, …), through the
 * official AWS SDK. Uploads stream through @aws-sdk/lib-storage's multipart
 * Upload (8 MiB parts, two in flight), so memory stays bounded whatever the
 * size; S3 shows an object only once its upload completes, and a failed
 * upload is aborted. Keys live under PCACE_S3_PREFIX in PCACE_S3_BUCKET.
 *
 * S3 has no transactions, so a tree (a folder's files) is complete when its
 * marker object '<key>/.pcace-tree' exists, written after every file: a tree
 * whose upload died part-way is invisible, and storing it again overwrites
 * the same keys. A process killed mid-upload leaves an incomplete multipart
 * upload behind, which S3 keeps (and bills) until it is aborted: give the
 * bucket a lifecycle rule AbortIncompleteMultipartUpload (e.g. after 1 day).
 *
 * Credentials come from the SDK's usual chain (AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, a profile, an instance or task role).
 */
import { createReadStream, statSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { LocalCache, type CacheSource } from './cache';
import { filesUnder } from './pg-store';
import type { S3Settings } from './s3-settings';
import { checkKey, StorageNotFound, type LocalCopy, type ObjectInfo, type ObjectStore } from './store';

const TREE_MARKER = '.pcace-tree';
const PART_BYTES = 8 * 1024 * 1024;

const isMissing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
};

export class S3Store implements ObjectStore, CacheSource {
  readonly backend = 's3' as const;
  readonly cacheId: string;
  readonly client: S3Client;

  constructor(
    private readonly settings: S3Settings,
    private readonly cache: LocalCache = new LocalCache(),
    extra: Partial<S3ClientConfig> = {},
  ) {
    this.cacheId = `s3:${settings.endpoint ?? 'aws'}/${settings.bucket}/${settings.prefix}`;
    this.client = new S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      // Other S3 implementations do not all know the SDK's default CRC checksums: send them only where S3 requires them.
      ...(settings.endpoint ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
      ...extra,
    });
  }

  private k(key: string): string {
    return this.settings.prefix + checkKey(key);
  }

  async put(key: string, source: Readable | Uint8Array): Promise<ObjectInfo> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.settings.bucket, Key: this.k(key), Body: source },
      partSize: PART_BYTES,
      queueSize: 2,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      if (source instanceof Readable) source.destroy();
      throw err;
    }
    const info = await this.stat(key);
    if (!info) throw new Error(`S3 did not keep ${key}`);
    return info;
  }

  async get(key: string): Promise<Readable> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.k(key) }));
      return res.Body as Readable;
    } catch (err) {
      if (isMissing(err)) throw new StorageNotFound(key);
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.k(key) }));
      return { key, size: Number(res.ContentLength ?? 0), version: res.ETag ?? `${res.ContentLength}-${res.LastModified?.getTime()}` };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<boolean> {
    const existed = (await this.stat(key)) !== null;
    if (existed) await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.k(key) }));
    return existed;
  }

  /** Every object under prefix/, tree markers included. */
  private async listRaw(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const full = `${this.k(prefix)}/`;
    let token: string | undefined;
    do {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: full, ContinuationToken: token }));
      for (const o of res.Contents ?? []) {
        if (!o.Key) continue;
        out.push({ key: o.Key.slice(this.settings.prefix.length), size: Number(o.Size ?? 0), version: o.ETag ?? '' });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    return (await this.listRaw(prefix)).filter((o) => path.posix.basename(o.key) !== TREE_MARKER);
  }

  async treeObjects(prefix: string): Promise<ObjectInfo[] | null> {
    if (!(await this.stat(`${prefix}/${TREE_MARKER}`))) return null;
    return this.list(prefix);
  }

  async deleteTree(key: string): Promise<number> {
    const objects = await this.listRaw(key);
    const single = await this.stat(key);
    const keys = [...objects.map((o) => o.key), ...(single ? [key] : [])];
    // The marker first: a tree being deleted stops being complete before its files go.
    const marker = `${key}/${TREE_MARKER}`;
    if (keys.includes(marker)) await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.k(marker) }));
    const rest = keys.filter((k) => k !== marker);
    for (let i = 0; i < rest.length; i += 1000) {
      await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.settings.bucket, Delete: { Objects: rest.slice(i, i + 1000).map((k) => ({ Key: this.k(k) })), Quiet: true } }),
      );
    }
    return keys.filter((k) => k !== marker).length;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null || (await this.stat(`${key}/${TREE_MARKER}`)) !== null;
  }

  async commitLocal(localPath: string, key: string): Promise<boolean> {
    try {
      if (await this.exists(key)) return false;
      if ((await stat(localPath)).isFile()) {
        await this.put(key, createReadStream(localPath));
      } else {
        const files = await filesUnder(localPath);
        for (const rel of files) {
          const file = path.join(localPath, ...rel.split('/'));
          // Small files in one request; lib-storage's multipart Upload for the rest.
          if (statSync(file).size <= PART_BYTES) {
            await this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.k(`${key}/${rel}`), Body: createReadStream(file), ContentLength: statSync(file).size }));
          } else {
            await this.put(`${key}/${rel}`, createReadStream(file));
          }
        }
        await this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.k(`${key}/${TREE_MARKER}`), Body: JSON.stringify(files) }));
      }
      return true;
    } finally {
      await rm(localPath, { recursive: true, force: true });
    }
  }

  materialise(key: string, kind: 'file' | 'tree'): Promise<LocalCopy> {
    return this.cache.materialise(this, checkKey(key), kind);
  }

  scratchDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
    return this.cache.uploadDir();
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
