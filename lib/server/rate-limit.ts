/**
 * Rate limiting kept in PostgreSQL, so every process of the portal (several
 * Next.js workers, CLI, tests) sees the same counts. Events are rows
 * (bucket, key, time); a check counts the rows inside the window. The check
 * and the record run under a transaction-scoped advisory lock on the key, so
 * concurrent attempts cannot both slip under the limit.
 */
import { db } from '../db/client';

export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

export interface RateLimitState {
  allowed: boolean;
  count: number;
  /** Seconds until the oldest counted event leaves the window (0 when allowed). */
  retryAfterSeconds: number;
  /** The event consumeRateLimit recorded (to release it with releaseRateLimitEvent). */
  eventId?: bigint;
}

async function state(tx: Pick<typeof db, '$queryRaw'>, bucket: string, key: string, rule: RateLimitRule): Promise<RateLimitState> {
  const since = new Date(Date.now() - rule.windowMs);
  const rows = await tx.$queryRaw<{ count: bigint; oldest: Date | null }[]>`
    SELECT count(*)::bigint AS count, min("createdAt") AS oldest
    FROM "RateLimitEvent" WHERE bucket = ${bucket} AND key = ${key} AND "createdAt" > ${since}`;
  const count = Number(rows[0]?.count ?? 0);
  const oldest = rows[0]?.oldest ? new Date(rows[0].oldest).getTime() : Date.now();
  const allowed = count < rule.limit;
  return {
    allowed,
    count,
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((oldest + rule.windowMs - Date.now()) / 1000)),
  };
}

/** Is another attempt allowed? (Does not count one.) */
export function checkRateLimit(bucket: string, key: string, rule: RateLimitRule): Promise<RateLimitState> {
  return state(db, bucket, key, rule);
}

/** Count one event (e.g. a failed sign-in) and return the state after it. */
export async function recordRateLimitEvent(bucket: string, key: string, rule: RateLimitRule): Promise<RateLimitState> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${bucket}:${key}`}, 0))`;
    await tx.rateLimitEvent.create({ data: { bucket, key } });
    return state(tx, bucket, key, rule);
  });
}

/**
 * Atomically: refuse when over the limit, else count this event. For limits on
 * every attempt (sign-ups per IP; sign-in attempts, reserved before the
 * password is checked so that concurrent guesses cannot all pass a check made
 * before any of them was counted).
 */
export async function consumeRateLimit(bucket: string, key: string, rule: RateLimitRule): Promise<RateLimitState> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${bucket}:${key}`}, 0))`;
    const before = await state(tx, bucket, key, rule);
    if (!before.allowed) return before;
    const event = await tx.rateLimitEvent.create({ data: { bucket, key }, select: { id: true } });
    return { allowed: true, count: before.count + 1, retryAfterSeconds: 0, eventId: event.id };
  });
}

/** Un-count one event that consumeRateLimit recorded (e.g. the attempt turned out to be a success). */
export async function releaseRateLimitEvent(eventId: bigint | undefined): Promise<void> {
  if (eventId) await db.rateLimitEvent.deleteMany({ where: { id: eventId } });
}

export async function clearRateLimit(bucket: string, key: string): Promise<void> {
  await db.rateLimitEvent.deleteMany({ where: { bucket, key } });
}

/** Drop events older than a day (called opportunistically). */
export async function pruneRateLimitEvents(maxAgeMs = 24 * 3600 * 1000): Promise<number> {
  const { count } = await db.rateLimitEvent.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - maxAgeMs) } } });
  return count;
}
