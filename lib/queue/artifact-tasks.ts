/**
 * Artifact queue: one "ChannelArtifact" row per (analysis, layer, channel,
 * kind, variant), with the lease semantics of lib/queue/layer-tasks.ts — claimed
 * with FOR UPDATE SKIP LOCKED, the lease renewed by heartbeats, taken over by
 * any worker once it lapses, and completed only by the worker that still holds
 * it (so an artifact completes exactly once). Requests NOTIFY the same channel
 * as layer tasks, so idle workers wake for either. Status changes are made
 * by analysis-status.ts (its ARTIFACT_TRANSITIONS), this file only picks rows.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../db/generated/client';
import type { ArtifactKind } from '../analysis/artifacts/types';
import type { QueueConfig } from './config';
import { ARTIFACT_TRANSITIONS, exhaustArtifacts, notifyWorkers, sqlStatus, sqlStatuses, targetOf } from './analysis-status';

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
  const request = ARTIFACT_TRANSITIONS.request;
  let queued = 0;
  for (const k of keys) {
    queued += await db.$executeRaw`
      INSERT INTO "ChannelArtifact" (id, "analysisId", "layerName", channel, kind, variant, status, "updatedAt")
      VALUES (${newId()}, ${k.analysisId}, ${k.layerName}, ${k.channel}, ${k.kind}::"ArtifactKind", ${k.variant}, ${sqlStatus(targetOf(request))}, now())
      ON CONFLICT ("analysisId", "layerName", channel, kind, variant) DO UPDATE
        SET status = ${sqlStatus(targetOf(request))}, attempts = 0, progress = 0, error = NULL, "lockedBy" = NULL, "lockedAt" = NULL, "updatedAt" = now()
        WHERE "ChannelArtifact".status IN ${sqlStatuses(request.from)}`;
  }
  if (queued > 0) await notifyWorkers(db);
  return queued;
}

/** Claims the oldest runnable artifact (queued, or running with a lapsed lease), or null. */
export async function claimArtifact(db: PrismaClient, workerId: string, cfg: QueueConfig): Promise<ClaimedArtifact | null> {
  await exhaustArtifacts(db, cfg);
  const rows = await db.$queryRaw<ClaimedArtifact[]>`
    UPDATE "ChannelArtifact" SET status = ${sqlStatus(targetOf(ARTIFACT_TRANSITIONS.claim))}, "lockedBy" = ${workerId}, "lockedAt" = now(),
           attempts = attempts + 1, progress = 0, "updatedAt" = now()
    WHERE id = (
      SELECT id FROM "ChannelArtifact"
      WHERE attempts < ${cfg.maxAttempts}
        AND (status IN ${sqlStatuses(ARTIFACT_TRANSITIONS.claim.from)}
             OR (status IN ${sqlStatuses(ARTIFACT_TRANSITIONS.takeOver.from)} AND "lockedAt" < now() - make_interval(secs => ${cfg.leaseSeconds})))
      ORDER BY "createdAt", id
      FOR UPDATE SKIP LOCKED
      LIMIT 1)
    RETURNING id, "analysisId", "layerName", channel, kind::text AS kind, variant, attempts`;
  return rows[0] ?? null;
}

/** Renews the lease and records progress; false when another worker has taken the artifact over. */
export async function artifactHeartbeat(db: PrismaClient, id: string, workerId: string, progress: number): Promise<boolean> {
  const n = await db.$executeRaw`
    UPDATE "ChannelArtifact" SET "lockedAt" = now(), progress = ${progress}, "updatedAt" = now()
    WHERE id = ${id} AND "lockedBy" = ${workerId} AND status = ${sqlStatus('running')}`;
  return n === 1;
}

/** Ids for rows inserted with raw SQL (Prisma's cuid default only applies to its own inserts). */
function newId(): string {
  return `ca${randomUUID().replaceAll('-', '')}`;
}
