/**
 * Artifact queue: one "ChannelArtifact" row per (analysis, layer, channel,
 * kind, variant), with the lease semantics of lib/queue/layer-tasks.ts — claimed
 * with FOR UPDATE SKIP LOCKED, the lease renewed by heartbeats, taken over by
 * any worker once it lapses, and completed only by the worker that still holds
 * it (so an artifact completes exactly once). Requests NOTIFY the same channel
 * as layer tasks, so idle workers wake for either.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../db/generated/client';
import type { ArtifactKind } from '../analysis/artifacts-types';
import type { QueueConfig } from './config';
import { LeaseLost, notifyWorkers } from './layer-tasks';

export interface ArtifactKey {
  analysisId: string;
  layerName: string;
  channel: number;
  kind: ArtifactKind;
  variant: string;
}

export interface ClaimedArtifact extends ArtifactKey {
  id: string;
  attempts: number;
}

/**
 * Queues the artifacts that are missing or failed (a new request retries a
 * failure); queued, running and completed ones are left alone, so repeated
 * and concurrent requests of one artifact create one row and one computation.
 */
export async function requestArtifacts(db: PrismaClient, keys: ArtifactKey[]): Promise<number> {
  let queued = 0;
  for (const k of keys) {
    queued += await db.$executeRaw`
      INSERT INTO "ChannelArtifact" (id, "analysisId", "layerName", channel, kind, variant, status, "updatedAt")
      VALUES (${newId()}, ${k.analysisId}, ${k.layerName}, ${k.channel}, ${k.kind}::"ArtifactKind", ${k.variant}, 'queued', now())
      ON CONFLICT ("analysisId", "layerName", channel, kind, variant) DO UPDATE
        SET status = 'queued', attempts = 0, progress = 0, error = NULL, "lockedBy" = NULL, "lockedAt" = NULL, "updatedAt" = now()
        WHERE "ChannelArtifact".status = 'failed'`;
  }
  if (queued > 0) await notifyWorkers(db);
  return queued;
}

/** Claims the oldest runnable artifact (queued, or running with a lapsed lease), or null. */
export async function claimArtifact(db: PrismaClient, workerId: string, cfg: QueueConfig): Promise<ClaimedArtifact | null> {
  await failExhausted(db, cfg);
  const rows = await db.$queryRaw<ClaimedArtifact[]>`
    UPDATE "ChannelArtifact" SET status = 'running', "lockedBy" = ${workerId}, "lockedAt" = now(),
           attempts = attempts + 1, progress = 0, "updatedAt" = now()
    WHERE id = (
      SELECT id FROM "ChannelArtifact"
      WHERE attempts < ${cfg.maxAttempts}
        AND (status = 'queued'
             OR (status = 'running' AND "lockedAt" < now() - make_interval(secs => ${cfg.leaseSeconds})))
      ORDER BY "createdAt", id
      FOR UPDATE SKIP LOCKED
      LIMIT 1)
    RETURNING id, "analysisId", "layerName", channel, kind::text AS kind, variant, attempts`;
  return rows[0] ?? null;
}

/** An artifact whose worker died `maxAttempts` times fails with that reason instead of looping. */
async function failExhausted(db: PrismaClient, cfg: QueueConfig): Promise<void> {
  await db.$executeRaw`
    UPDATE "ChannelArtifact" SET status = 'failed', "updatedAt" = now(),
           error = 'the worker computing this stopped ' || attempts || ' times (crash or out of memory)'
    WHERE status = 'running' AND attempts >= ${cfg.maxAttempts}
      AND "lockedAt" < now() - make_interval(secs => ${cfg.leaseSeconds})`;
}

/** Renews the lease and records progress; false when another worker has taken the artifact over. */
export async function artifactHeartbeat(db: PrismaClient, id: string, workerId: string, progress: number): Promise<boolean> {
  const n = await db.$executeRaw`
    UPDATE "ChannelArtifact" SET "lockedAt" = now(), progress = ${progress}, "updatedAt" = now()
    WHERE id = ${id} AND "lockedBy" = ${workerId} AND status = 'running'`;
  return n === 1;
}

/** Records the result; throws LeaseLost if the artifact is no longer ours (the caller removes its files). */
export async function completeArtifact(
  db: PrismaClient,
  id: string,
  workerId: string,
  result: { resultPath: string; values: unknown; seconds: number },
): Promise<void> {
  const n = await db.$executeRaw`
    UPDATE "ChannelArtifact" SET status = 'completed', progress = 1, error = NULL, "updatedAt" = now(),
           "resultPath" = ${result.resultPath}, "values" = ${JSON.stringify(result.values)}::jsonb, seconds = ${result.seconds}
    WHERE id = ${id} AND "lockedBy" = ${workerId} AND status = 'running'`;
  if (n !== 1) throw new LeaseLost(id);
}

/** Gives the artifact back to the queue after an error another attempt may not repeat. */
export async function releaseArtifact(db: PrismaClient, id: string, workerId: string, error: string): Promise<void> {
  await db.$executeRaw`
    UPDATE "ChannelArtifact" SET status = 'queued', "lockedBy" = NULL, "lockedAt" = NULL, error = ${error.slice(0, 2000)}, "updatedAt" = now()
    WHERE id = ${id} AND "lockedBy" = ${workerId} AND status = 'running'`;
  await notifyWorkers(db);
}

export async function failArtifact(db: PrismaClient, id: string, workerId: string, error: string): Promise<void> {
  await db.$executeRaw`
    UPDATE "ChannelArtifact" SET status = 'failed', error = ${error.slice(0, 2000)}, "updatedAt" = now()
    WHERE id = ${id} AND "lockedBy" = ${workerId} AND status = 'running'`;
}

/** Ids for rows inserted with raw SQL (Prisma's cuid default only applies to its own inserts). */
function newId(): string {
  return `ca${randomUUID().replaceAll('-', '')}`;
}
