/**
 * Group PCACE of channels a person picks on a layer page: the joint
 * cross-fitted maximal correlation of the set with the score, computed by a
 * worker as a layer artifact (kind 'group', the set in its variant, ascending,
 * so one set is computed once whatever order it was typed in). A pick is
 * checked here against the same rule the worker applies
 * (lib/analysis/importance/groups.ts groupPickProblem): 2 to the most members
 * the analysis' images allow, channels of the layer, none twice; anything
 * else is refused with 400 before a row is queued.
 */
import { z } from 'zod';
import { groupVariant, type ArtifactKind } from '../analysis/artifacts/types';
import { groupPickProblem, maxGroupMembers, memberComponents } from '../analysis/importance/groups';
import { withDefaults } from '../analysis/options';
import { requestArtifacts } from '../queue/artifact-tasks';
import { layerImportanceRecord } from '../queue/result-rows';
import { db } from '../db/client';
import { findLayer, keyFor, lookup, type LayerRef } from './artifacts';
import { badRequest, fieldError, parseWith } from './errors';
import type { ArtifactJson, GroupLimits } from './shared/payloads';

const GROUP: ArtifactKind = 'group';
/** Earlier groups a layer page lists (newest first). */
const LISTED = 20;

/** The layer (404 when it is not in this lab's analysis) and what a group of it may hold. */
async function groupLayer(labId: string, ref: LayerRef) {
  const { analysis, layerResult } = await findLayer(labId, ref.analysisId, ref.layer);
  const [images, channels] = layerResult.shape as number[];
  const spec = withDefaults(analysis.options as Record<string, unknown> | null);
  const limits: GroupLimits = { channels, images, componentsPerMember: memberComponents(spec), maxMembers: maxGroupMembers(images, spec) };
  return { limits, spec, layerResult };
}

/**
 * "3, 17, 42" or [3, 17, 42] as the checked, ascending set; a 400 naming the
 * problem otherwise (a token that is no channel number, a channel outside the
 * layer, one picked twice, too few or too many).
 */
function checkedPick(value: string | unknown[], g: Awaited<ReturnType<typeof groupLayer>>): number[] {
  const list = typeof value === 'string' ? value.split(/[\s,;]+/).filter(Boolean).map((t) => (/^\d{1,7}$/.test(t) ? Number(t) : t)) : value;
  const problem = groupPickProblem(list, g.limits.channels, g.limits.images, g.spec);
  if (problem) throw fieldError('channels', problem);
  return [...(list as number[])].sort((a, b) => a - b);
}

const keyOf = (ref: LayerRef, channels: number[]) => keyFor(ref.analysisId, ref.layer, GROUP, -1, groupVariant(channels));

/** A group of the layer: its state and, once computed, its scores (`?channels=3,17,42`). */
export async function groupArtifact(labId: string, ref: LayerRef, channels: string | null): Promise<ArtifactJson> {
  if (channels === null || channels.trim() === '') throw badRequest('name the group: ?channels=3,17,42');
  const pick = checkedPick(channels, await groupLayer(labId, ref));
  return (await lookup(ref, [keyOf(ref, pick)]))[0];
}

/** What a group of the layer may hold, the layer's own top-k groups and the groups scored so far (newest first). */
export async function layerGroups(labId: string, ref: LayerRef) {
  const g = await groupLayer(labId, ref);
  const rows = await db.channelArtifact.findMany({
    where: { analysisId: ref.analysisId, layerName: ref.layer, kind: GROUP },
    orderBy: { createdAt: 'desc' },
    take: LISTED,
    select: { variant: true },
  });
  const groups = await lookup(ref, rows.map((r) => keyFor(ref.analysisId, ref.layer, GROUP, -1, r.variant)));
  return { limits: g.limits, stored: layerImportanceRecord(g.layerResult.extra).importance?.groups ?? [], groups };
}

const requestSchema = z.object({ channels: z.union([z.array(z.unknown()).max(1000), z.string().max(10_000)]) }).strict();

/** Queues the group (a failed one again); a computed or pending one is left as it is. */
export async function requestGroup(labId: string, ref: LayerRef, body: unknown): Promise<ArtifactJson> {
  const input = parseWith(requestSchema, body ?? {}, 'group request', 'channels');
  const pick = checkedPick(input.channels, await groupLayer(labId, ref));
  await requestArtifacts(db, [keyOf(ref, pick)]);
  return (await lookup(ref, [keyOf(ref, pick)]))[0];
}
