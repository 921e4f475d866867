/** Request bodies under a byte limit, and multipart uploads streamed to disk. */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { badRequest, fieldError, tooLarge } from './errors';
import { boundaryOf, parseMultipart, type ReceivedFile } from './multipart';
import { tempDir } from '../storage/files';

const MB = 1024 * 1024;

/** A JSON request body under `maxBytes` (413 past it); 400 when it is not JSON. */
export async function readJsonBody(req: Request, maxBytes = 64 * 1024): Promise<unknown> {
  const bytes = await readBodyLimited(req, maxBytes);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw badRequest('body is not valid JSON');
  }
}

/** Read the body, refusing (413) past `maxBytes` — checked on Content-Length and while streaming. */
export async function readBodyLimited(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw tooLarge(`upload of ${(declared / MB).toFixed(1)} MB exceeds the limit of ${(maxBytes / MB).toFixed(0)} MB`);
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(`upload exceeds the limit of ${(maxBytes / MB).toFixed(0)} MB`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/** A file of an upload, already on local disk in the upload's scratch folder. */
export type UploadedFile = ReceivedFile;

export interface Multipart {
  fields: Map<string, string>;
  files: UploadedFile[];
  /** Removes whatever of the upload was not moved into storage; call it in a finally. */
  cleanup(): Promise<void>;
}

/** Text fields are small (names, JSON options); anything bigger belongs in a file part. */
const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_PARTS = 1000;

/**
 * Stream a multipart/form-data upload to disk: files land in the store's
 * scratch folder (under the storage dir for the directory store, so callers
 * move them into content-addressed storage with a rename; on local disk for
 * the others, which stream them on), hashed while they arrive.
 * Refuses with 413 as soon as the body crosses `maxBytes` (declared
 * Content-Length first); every error path removes the partial files. Form
 * fields with an empty file are ignored.
 */
export async function readMultipart(req: Request, maxBytes: number): Promise<Multipart> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data/i.test(type)) throw badRequest('expected a multipart/form-data upload');
  const boundary = boundaryOf(type);
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw tooLarge(`upload of ${(declared / MB).toFixed(1)} MB exceeds the limit of ${(maxBytes / MB).toFixed(0)} MB`);
  }
  if (!req.body) throw badRequest('malformed multipart body (empty)');
  const tmp = await tempDir();
  try {
    const form = await parseMultipart(req.body, boundary, tmp.dir, { maxBytes, maxFieldBytes: MAX_FIELD_BYTES, maxParts: MAX_PARTS });
    return { ...form, cleanup: tmp.cleanup };
  } catch (err) {
    await tmp.cleanup().catch(() => {});
    throw err;
  }
}

/**
 * Server-side files (e.g. the demo models) staged like an upload: copied into
 * a scratch directory with their digests, so the create paths treat both alike.
 */
export async function stageFiles(files: { field: string; name: string; from: string }[]): Promise<Multipart> {
  const tmp = await tempDir();
  try {
    const staged: UploadedFile[] = [];
    for (const [i, f] of files.entries()) {
      const to = path.join(tmp.dir, `part-${i + 1}${path.extname(f.name).toLowerCase()}`);
      const hash = createHash('sha256');
      let size = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          size += chunk.length;
          cb(null, chunk);
        },
      });
      await pipeline(createReadStream(f.from), count, createWriteStream(to, { flags: 'wx' }));
      staged.push({ field: f.field, name: f.name, path: to, size, sha256: hash.digest('hex') });
    }
    return { fields: new Map(), files: staged, cleanup: tmp.cleanup };
  } catch (err) {
    await tmp.cleanup().catch(() => {});
    throw err;
  }
}

/** A JSON form field ('' / missing → undefined); 400 when it does not parse. */
export function jsonField(fields: Map<string, string>, name: string): unknown {
  const raw = fields.get(name);
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw fieldError(name, `field '${name}' is not valid JSON (${(err as Error).message})`);
  }
}
