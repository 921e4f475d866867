/**
 * Streaming multipart/form-data parser. File parts go straight into files in
 * a scratch directory, hashed (sha256) and counted on the way; text fields
 * are kept as strings under a small limit. No part of an upload is held in
 * memory beyond the chunk being written, and a body that crosses its limit is
 * refused (413) the moment it does, without reading the rest.
 *
 * Written for the web ReadableStream of a Request (route handlers), following
 * RFC 7578: "--boundary" lines separate parts, each with its own headers.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { badRequest, tooLarge } from './errors';

export interface ReceivedFile {
  /** Form field name. */
  field: string;
  /** File name as the client sent it (may be ''). */
  name: string;
  /** Where the bytes are, inside the scratch directory. */
  path: string;
  size: number;
  sha256: string;
}

export interface ReceivedForm {
  fields: Map<string, string>;
  files: ReceivedFile[];
}

export interface MultipartLimits {
  /** Whole body, boundaries included. */
  maxBytes: number;
  /** Each text field (they are held in memory). */
  maxFieldBytes: number;
  /** Parts of any kind. */
  maxParts: number;
}

const MB = 1024 * 1024;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16 * 1024;
const WRITE_BYTES = 256 * 1024;

/** The boundary parameter of a multipart/form-data content type; 400 when missing or malformed. */
export function boundaryOf(contentType: string): string {
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary || boundary.length > 200) throw badRequest('multipart upload without a valid boundary');
  return boundary;
}

/** Parameters of a Content-Disposition header value: form-data; name="x"; filename="y". */
function dispositionParams(value: string): Map<string, string> | null {
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (type !== 'form-data') return null;
  const params = new Map<string, string>();
  const re = /;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const key = m[1].toLowerCase();
    let v = m[2].trim();
    if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    if (key === 'filename*') {
      // RFC 5987: charset'lang'percent-encoded
      const ext = /^([^']*)'[^']*'(.*)$/.exec(v);
      if (ext && /^utf-8$/i.test(ext[1])) {
        try {
          params.set('filename', decodeURIComponent(ext[2]));
          continue;
        } catch {
          throw badRequest('malformed multipart body (bad filename*)');
        }
      }
    }
    if (!params.has(key)) params.set(key, v);
  }
  return params;
}

interface FilePart {
  kind: 'file';
  field: string;
  name: string;
  path: string;
  handle: FileHandle;
  hash: Hash;
  size: number;
  /** Bytes not yet written: small network chunks are gathered into larger writes. */
  pending: Buffer[];
  pendingBytes: number;
}

interface FieldPart {
  kind: 'field';
  field: string;
  chunks: Buffer[];
  size: number;
}

type State = 'preamble' | 'boundary' | 'headers' | 'body' | 'done';

/** Incremental parser: push() chunks in order, then finish(); abort() on any failure. */
class MultipartParser {
  private buf: Buffer;
  private state: State = 'preamble';
  private readonly delimiter: Buffer;
  private part: FilePart | FieldPart | null = null;
  private parts = 0;
  readonly fields = new Map<string, string>();
  readonly files: ReceivedFile[] = [];

  constructor(
    boundary: string,
    private readonly dir: string,
    private readonly limits: MultipartLimits,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
    // The first boundary has no CRLF before it: pretend it had, so one delimiter fits all.
    this.buf = Buffer.from(CRLF);
  }

  async push(chunk: Uint8Array): Promise<void> {
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.buf = this.buf.length === 0 ? view : Buffer.concat([this.buf, view]);
    await this.drain();
  }

  finish(): ReceivedForm {
    if (this.state !== 'done') throw badRequest('malformed multipart body (it ends before the closing boundary)');
    return { fields: this.fields, files: this.files };
  }

  /** Close an open file (the caller removes the directory). */
  async abort(): Promise<void> {
    if (this.part?.kind === 'file') await this.part.handle.close().catch(() => {});
    this.part = null;
  }

  private async drain(): Promise<void> {
    const delim = this.delimiter;
    for (;;) {
      switch (this.state) {
        case 'preamble': {
          const i = this.buf.indexOf(delim);
          if (i < 0) {
            this.buf = this.buf.subarray(Math.max(0, this.buf.length - (delim.length - 1)));
            return;
          }
          this.buf = this.buf.subarray(i + delim.length);
          this.state = 'boundary';
          break;
        }
        case 'boundary': {
          // After a delimiter: "--" closes the body; otherwise optional whitespace and CRLF.
          if (this.buf.length < 2) return;
          if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
            this.state = 'done';
            this.buf = Buffer.alloc(0);
            return;
          }
          const eol = this.buf.indexOf(CRLF);
          if (eol < 0) {
            if (this.buf.length > 256) throw badRequest('malformed multipart body (bad boundary line)');
            return;
          }
          if (!/^[ \t]*$/.test(this.buf.subarray(0, eol).toString('latin1'))) throw badRequest('malformed multipart body (bad boundary line)');
          this.buf = this.buf.subarray(eol + 2);
          this.state = 'headers';
          break;
        }
        case 'headers': {
          let end: number;
          let next: number;
          if (this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a) {
            end = 0; // a part without headers
            next = 2;
          } else {
            end = this.buf.indexOf(HEADER_END);
            if (end < 0) {
              if (this.buf.length > MAX_HEADER_BYTES) throw badRequest('malformed multipart body (part headers too long)');
              return;
            }
            next = end + 4;
          }
          const headers = this.buf.subarray(0, end).toString('utf8');
          this.buf = this.buf.subarray(next);
          await this.startPart(headers);
          this.state = 'body';
          break;
        }
        case 'body': {
          const i = this.buf.indexOf(delim);
          if (i < 0) {
            // Keep what could be the start of a delimiter split across chunks.
            const safe = this.buf.length - (delim.length - 1);
            if (safe > 0) {
              await this.write(this.buf.subarray(0, safe));
              this.buf = this.buf.subarray(safe);
            }
            return;
          }
          await this.write(this.buf.subarray(0, i));
          this.buf = this.buf.subarray(i + delim.length);
          await this.endPart();
          this.state = 'boundary';
          break;
        }
        case 'done':
          // The epilogue is ignored.
          this.buf = Buffer.alloc(0);
          return;
      }
    }
  }

  private async startPart(headerText: string): Promise<void> {
    if (++this.parts > this.limits.maxParts) throw badRequest(`too many parts in the upload (limit ${this.limits.maxParts})`);
    let disposition: Map<string, string> | null = null;
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'content-disposition') disposition = dispositionParams(line.slice(colon + 1));
    }
    const field = disposition?.get('name');
    if (!disposition || field === undefined) throw badRequest('malformed multipart body (a part without a form-data name)');
    const name = disposition.get('filename');
    if (name === undefined) {
      this.part = { kind: 'field', field, chunks: [], size: 0 };
      return;
    }
    // Keep a harmless extension: some readers look at it.
    const ext = path.extname(name);
    const file = path.join(this.dir, `part-${this.parts}${/^\.[A-Za-z0-9]{1,10}$/.test(ext) ? ext.toLowerCase() : ''}`);
    const handle = await open(file, 'wx', 0o600);
    this.part = { kind: 'file', field, name, path: file, handle, hash: createHash('sha256'), size: 0, pending: [], pendingBytes: 0 };
  }

  private async write(bytes: Buffer): Promise<void> {
    const part = this.part;
    if (!part || bytes.length === 0) return;
    part.size += bytes.length;
    if (part.kind === 'field') {
      if (part.size > this.limits.maxFieldBytes) {
        throw tooLarge(`form field '${part.field}' exceeds the limit of ${Math.round(this.limits.maxFieldBytes / 1024)} KB`);
      }
      part.chunks.push(Buffer.from(bytes)); // a copy, so a small field does not keep a whole network chunk alive
      return;
    }
    part.hash.update(bytes);
    part.pending.push(bytes);
    part.pendingBytes += bytes.length;
    if (part.pendingBytes >= WRITE_BYTES) await this.flush(part);
  }

  private async flush(part: FilePart): Promise<void> {
    const bytes = part.pending.length === 1 ? part.pending[0] : Buffer.concat(part.pending);
    part.pending = [];
    part.pendingBytes = 0;
    let off = 0;
    while (off < bytes.length) off += (await part.handle.write(bytes, off, bytes.length - off)).bytesWritten;
  }

  private async endPart(): Promise<void> {
    const part = this.part;
    this.part = null;
    if (!part) return;
    if (part.kind === 'field') {
      this.fields.set(part.field, Buffer.concat(part.chunks).toString('utf8'));
      return;
    }
    await this.flush(part);
    await part.handle.close();
    // An empty file input of a browser form: no file at all.
    if (part.name === '' && part.size === 0) {
      await rm(part.path, { force: true });
      return;
    }
    this.files.push({ field: part.field, name: part.name, path: part.path, size: part.size, sha256: part.hash.digest('hex') });
  }
}

/**
 * Parse `body` into `dir` (which must exist and belong to this upload; the
 * caller removes it, also after an error). Throws 413 past limits.maxBytes,
 * 400 for malformed bodies and interrupted uploads; a failing disk is a 500.
 */
export async function parseMultipart(body: ReadableStream<Uint8Array>, boundary: string, dir: string, limits: MultipartLimits): Promise<ReceivedForm> {
  const parser = new MultipartParser(boundary, dir, limits);
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        throw badRequest('the upload was interrupted');
      }
      if (chunk.done) break;
      total += chunk.value.byteLength;
      if (total > limits.maxBytes) {
        throw tooLarge(`upload exceeds the limit of ${(limits.maxBytes / MB).toFixed(0)} MB`);
      }
      await parser.push(chunk.value);
    }
    return parser.finish();
  } catch (err) {
    await reader.cancel().catch(() => {});
    await parser.abort();
    throw err;
  } finally {
    reader.releaseLock();
  }
}
