/** Request bodies under a byte limit, and multipart parsing on top. */
import { badRequest, tooLarge } from './errors';

const MB = 1024 * 1024;

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

export interface UploadedFile {
  field: string;
  name: string;
  bytes: Uint8Array;
}

export interface Multipart {
  fields: Map<string, string>;
  files: UploadedFile[];
}

/** Parse multipart/form-data (after the size check). Form fields with an empty file are ignored. */
export async function readMultipart(req: Request, maxBytes: number): Promise<Multipart> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data/i.test(type)) throw badRequest('expected a multipart/form-data upload');
  const body = await readBodyLimited(req, maxBytes);
  let form: FormData;
  try {
    form = await new Response(body as BodyInit, { headers: { 'content-type': type } }).formData();
  } catch {
    throw badRequest('malformed multipart body');
  }
  const fields = new Map<string, string>();
  const files: UploadedFile[] = [];
  const pending: Promise<void>[] = [];
  form.forEach((value, field) => {
    if (typeof value === 'string') fields.set(field, value);
    else if (value.size > 0 || value.name) {
      pending.push(value.arrayBuffer().then((buf) => void files.push({ field, name: value.name, bytes: new Uint8Array(buf) })));
    }
  });
  await Promise.all(pending);
  return { fields, files: files.filter((f) => f.name !== '' || f.bytes.byteLength > 0) };
}

/** A JSON form field ('' / missing → undefined); 400 when it does not parse. */
export function jsonField(fields: Map<string, string>, name: string): unknown {
  const raw = fields.get(name);
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw badRequest(`field '${name}' is not valid JSON`);
  }
}
