/**
 * Artifact queue: one "ChannelArtifact" row per (analysis, layer, channel,
 * kind, variant), with the lease semantics of lib/queue/layer-tasks.ts — claimed
 * with FOR UPDATE SKIP LOCKED, the lease renewed by heartbeats, taken over by
 * any worker once it lapses, and completed only by the worker that still holds
 * it (so an artifact completes exactly once). Requests NOTIFY the same channel
 * as layer tasks, so idle workers wake for either. Status changes are made
 * by analysis-status.ts (its ARTIFACT_TRANSITIONS), this file only picks rows.
 * Rows are what pages ask for (pictures, strips, groups of channels) and an
 * analysis' network-wide deletion curves (network-curves.ts), which the
 * transaction completing the analysis queues.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../db/generated/client';
import type { ArtifactKind } from '../analysis/artifacts/types';
import type { QueueConfig } from './config';
import { ARTIFACT_TRANSITIONS, exhaustArtifacts, notifyWorkers, sqlStatus, sqlStatuses, targetOf, type Db } from './analysis-status';
import { NETWORK_CURVES, storeNetworkCurves } from './network-curves';

/** What an artifact row can hold: a channel or layer artifact, or an analysis' network-wide curves (network-curves.ts). */
export type QueuedKind = ArtifactKind | typeof NETWORK_CURVES;

export interface ArtifactKey {
  analysisId: string;
  layerName: string;
  channel: number;
  kind: QueuedKind;
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
export async function requestArtifacts(db: Db, keys: ArtifactKey[]): Promise<number> {
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

/**
 * Fails the artifacts whose workers died maxAttempts times; network-wide
 * curves among them store that reason in the analysis' summary in the same
 * transaction, as their holder would have.
 */
async function failExhausted(db: PrismaClient, cfg: QueueConfig): Promise<void> {
  await db.$transaction(async (tx) => {
    for (const a of await exhaustArtifacts(tx, cfg)) if (a.kind === NETWORK_CURVES) await storeNetworkCurves(tx, a.analysisId, { error: a.error });
  });
}

/** Claims the oldest runnable artifact (queued, or running with a lapsed lease), or null. */
export async function claimArtifact(db: PrismaClient, workerId: string, cfg: QueueConfig): Promise<ClaimedArtifact | null> {
  await failExhausted(db, cfg);
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
