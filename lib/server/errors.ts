/** Errors with an HTTP status and a message meant for the caller; everything else is a 500. */
import { z } from 'zod';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const unauthorized = (message = 'sign in or send an API token (Authorization: Bearer pcl_...)') => new ApiError(401, message);
export const forbidden = (message: string) => new ApiError(403, message);
/** Objects of other labs are "not found" too: never reveal that they exist. */
export const notFound = (what = 'not found') => new ApiError(404, what);
export const conflict = (message: string) => new ApiError(409, message);
export const tooLarge = (message: string) => new ApiError(413, message);

/** "name: too short; layers.0: expected string" — one line naming each bad field. */
export function describeZodError(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      return i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message;
    })
    .join('; ');
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.output<S> {
  const res = schema.safeParse(value);
  if (!res.success) throw badRequest(`invalid ${what}: ${describeZodError(res.error)}`);
  return res.data;
}

function isPrismaError(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** Prisma's unique-constraint violation. */
export const isUniqueViolation = (err: unknown) => isPrismaError(err, 'P2002');
/** Prisma's "record to update/delete not found". */
export const isRecordNotFound = (err: unknown) => isPrismaError(err, 'P2025');

export function errorResponse(err: unknown): Response {
  if (err instanceof ApiError) {
    return Response.json({ error: err.message }, { status: err.status, headers: err.headers });
  }
  if (err instanceof z.ZodError) {
    return Response.json({ error: `invalid request: ${describeZodError(err)}` }, { status: 400 });
  }
  if (isRecordNotFound(err)) return Response.json({ error: 'not found' }, { status: 404 });
  console.error('[api] unexpected error', err);
  return Response.json({ error: 'internal error' }, { status: 500 });
}
