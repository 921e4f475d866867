/**
 * Errors with an HTTP status and a message meant for the caller; everything
 * else is a 500 with a generic message and a request id, the detail logged on
 * the server only. Messages that do reach the caller (including engine
 * messages forwarded in 400s) never show file-system paths or runtime
 * internals: publicMessage() strips them. API routes (errorResponse) and
 * server actions (access.ts actionError) both go through publicError().
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';

export class ApiError extends Error {
  /** The form field the message is about (server actions show it at that field). */
  field?: string;

  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A 400 about one form field, e.g. fieldError('password', 'is too easy to guess'). */
export function fieldError(field: string, message: string, status = 400): ApiError {
  const err = new ApiError(status, message);
  err.field = field;
  return err;
}

export const badRequest = (message: string) => new ApiError(400, message);
export const unauthorized = (message = 'sign in or send an API token (Authorization: Bearer pcl_...)') => new ApiError(401, message);
export const forbidden = (message: string) => new ApiError(403, message);
/** Objects of other labs are "not found" too: never reveal that they exist. */
export const notFound = (what = 'not found') => new ApiError(404, what);
export const conflict = (message: string) => new ApiError(409, message);

/**
 * A row named by an id from the URL: an id that cannot be one (not a short,
 * non-empty string) is a 404 without a query, as is one the lookup does not find.
 */
export async function findById<T>(id: unknown, what: string, lookup: (id: string) => PromiseLike<T | null>): Promise<T> {
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) throw notFound(`${what} not found`);
  const row = await lookup(id);
  if (!row) throw notFound(`${what} not found`);
  return row;
}
export const tooLarge = (message: string) => new ApiError(413, message);

/** "name: too short; layers.0: expected string" — one line naming each bad field. */
export function describeZodError(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      return i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message;
    })
    .join('; ');
}

/** `field`: the form field `value` came from, named in the 400 so that forms show it there. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'request', field?: string): z.output<S> {
  const res = schema.safeParse(value);
  if (!res.success) {
    const message = `invalid ${what}: ${describeZodError(res.error)}`;
    throw field ? fieldError(field, message) : badRequest(message);
  }
  return res.data;
}

function isPrismaError(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** Prisma's unique-constraint violation. */
export const isUniqueViolation = (err: unknown) => isPrismaError(err, 'P2002');
/** Prisma's "record to update/delete not found". */
export const isRecordNotFound = (err: unknown) => isPrismaError(err, 'P2025');

// ---------------------------------------------------------------- what the caller may see

// Top-level directories a server path starts with. Only these are stripped, so
// that slash-separated names that are not paths (ONNX tensor names such as
// /conv1/Conv_output_0, URLs' paths) stay readable.
const PATH_ROOTS = new Set([
  'bin', 'boot', 'data', 'dev', 'etc', 'home', 'lib', 'lib64', 'media', 'mnt', 'opt', 'private', 'proc', 'root',
  'run', 'sbin', 'srv', 'sys', 'tmp', 'usr', 'var', 'work', 'app', 'Users', 'Volumes', 'builds', 'workspace', 'onnxruntime_src',
]);
for (const dir of [process.cwd(), process.env.STORAGE_DIR, process.env.PCACE_DATA_DIR, process.env.TMPDIR, process.env.PCACE_STORAGE_CACHE_DIR]) {
  const first = dir && path.isAbsolute(dir) ? dir.split('/')[1] : undefined;
  if (first) PATH_ROOTS.add(first);
}

// An absolute path (optionally file://), up to whitespace, quotes, brackets, commas or a colon.
const ABSOLUTE_PATH = /(?:file:\/\/)?\/([^\s/'"`()[\]<>,;:]+)(?:\/[^\s/'"`()[\]<>,;:]*)*/g;
// A relative path into the data directory, node_modules or a source tree.
const RELATIVE_PATH = /(?:\.{1,2}\/)*(?:[\w.-]+\/)*(?:\.data|node_modules|onnxruntime_src|storage\/tmp)\/[^\s'"`()[\]<>,;:]*/g;
// C++ frames ONNX Runtime appends: `onnxruntime::InferenceSession::Load(...)`, `graph.cc:123`.
const NATIVE_FRAME = /\b(?:onnxruntime|std|google::protobuf|Ort)::[\w:~<>]+(?:\([^)]*\))?/g;
const SOURCE_LOCATION = /\b[\w-]+\.(?:cc|cpp|cxx|h|hpp):\d+\b/g;

const baseName = (p: string) => {
  const trimmed = p.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || 'file';
};

/**
 * A message fit for the caller: server paths become their file names
 * (`/srv/.data/storage/tmp/<uuid>/model.onnx` → `model.onnx`), native
 * runtime frames and source locations are dropped.
 */
export function publicMessage(message: string): string {
  return message
    .replace(ABSOLUTE_PATH, (whole, first: string) => (PATH_ROOTS.has(first) || whole.startsWith('file:') ? baseName(whole) : whole))
    .replace(RELATIVE_PATH, (whole) => baseName(whole))
    .replace(NATIVE_FRAME, '')
    .replace(SOURCE_LOCATION, '')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

export interface PublicError {
  status: number;
  message: string;
  headers: Record<string, string>;
  field?: string;
  /** Set for unexpected (500) errors: quoted to the caller, logged with the detail. */
  requestId?: string;
}

/** The one mapping from a thrown value to what the caller sees; unexpected errors are logged here. */
export function publicError(err: unknown, where = 'api'): PublicError {
  if (err instanceof ApiError) {
    return { status: err.status, message: publicMessage(err.message), headers: err.headers, ...(err.field ? { field: err.field } : {}) };
  }
  if (err instanceof z.ZodError) return { status: 400, message: publicMessage(`invalid request: ${describeZodError(err)}`), headers: {} };
  if (isRecordNotFound(err)) return { status: 404, message: 'not found', headers: {} };
  const requestId = randomUUID();
  console.error(`[${where}] unexpected error, request id ${requestId}:`, err);
  return {
    status: 500,
    message: `internal error (request id ${requestId}); the server log has the details`,
    headers: { 'X-Request-Id': requestId },
    requestId,
  };
}

export function errorResponse(err: unknown): Response {
  const e = publicError(err);
  const body = { error: e.message, ...(e.field ? { field: e.field } : {}), ...(e.requestId ? { requestId: e.requestId } : {}) };
  return Response.json(body, { status: e.status, headers: e.headers });
}
