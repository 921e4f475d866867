/**
 * Pinned channels: a person marks a channel of an analysis worth coming back
 * to, with an optional note. A pin belongs to the person who set it (one per
 * person and channel); pinning again updates the note. Members and owners pin;
 * a pin is removed by its owner or by a lab owner.
 */
import { z } from 'zod';
import { db } from '../db/client';
import { parseWith } from './errors';
import { roleAtLeast, type LabContext } from './access';
import { authoredItemActions } from './authored-items';
import { analysisLayers, checkChannel, normalizeNewlines, type ChannelRef } from './comments';

export const PIN_NOTE_MAX = 500;

const note = z
  .preprocess(
    normalizeNewlines,
    z
      .string()
      .trim()
      .max(PIN_NOTE_MAX, `is longer than ${PIN_NOTE_MAX} characters`)
      .refine((s) => !s.includes('\u0000'), 'may not contain NUL characters')
      .nullable(),
  )
  .optional();

export const createPinSchema = z
  .object({
    layer: z.string({ error: 'is required' }).trim().min(1, 'is required').max(300, 'is longer than 300 characters'),
    channel: z.number({ error: 'is required and must be a number' }).int('must be an integer').min(0, 'must be 0 or more'),
    note,
  })
  .strict();

export const editPinSchema = z.object({ note }).strict();

const pinInclude = {
  user: { select: { id: true, name: true } },
  analysis: { select: { id: true, title: true } },
} as const;
type PinRow = {
  id: string;
  analysisId: string;
  layerName: string;
  channelIndex: number;
  note: string | null;
  createdAt: Date;
  userId: string;
  user: { id: string; name: string };
  analysis: { id: string; title: string | null };
};

export interface PinView {
  id: string;
  analysisId: string;
  analysisTitle: string | null;
  layer: string;
  channel: number;
  note: string | null;
  user: { id: string; name: string };
  createdAt: string;
  /** The caller's own pin. */
  mine: boolean;
  canDelete: boolean;
}

export function pinView(p: PinRow, ctx: Pick<LabContext, 'user' | 'role'>): PinView {
  const mine = p.userId === ctx.user.id;
  return {
    id: p.id,
    analysisId: p.analysisId,
    analysisTitle: p.analysis.title,
    layer: p.layerName,
    channel: p.channelIndex,
    note: p.note,
    user: p.user,
    createdAt: p.createdAt.toISOString(),
    mine,
    canDelete: roleAtLeast(ctx.role, 'member') && (mine || ctx.role === 'owner'),
  };
}

const blankToNull = (s: string | null | undefined) => (s ? s : null);

/** Pins of one analysis (optionally one channel), channel order then oldest first. */
export async function listPins(ctx: LabContext, analysisId: string, ref: ChannelRef | null = null): Promise<PinView[]> {
  const a = await analysisLayers(ctx.lab.id, analysisId);
  if (ref) checkChannel(a.layers, ref);
  const rows = await db.pin.findMany({
    where: { analysisId: a.id, labId: ctx.lab.id, ...(ref ? { layerName: ref.layer, channelIndex: ref.channel } : {}) },
    orderBy: [{ layerName: 'asc' }, { channelIndex: 'asc' }, { createdAt: 'asc' }],
    include: pinInclude,
    take: 1000,
  });
  return rows.map((p) => pinView(p, ctx));
}

/** The lab's most recent pins across analyses (the history page). */
export async function listLabPins(ctx: LabContext, opts: { take?: number; analysisIds?: string[] } = {}): Promise<PinView[]> {
  const rows = await db.pin.findMany({
    where: { labId: ctx.lab.id, ...(opts.analysisIds ? { analysisId: { in: opts.analysisIds } } : {}) },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    include: pinInclude,
    take: opts.take ?? 50,
  });
  return rows.map((p) => pinView(p, ctx));
}

/** The caller's pins in an analysis, keyed `layer#channel` (for PinButtons in channel tables). */
export async function myPins(ctx: LabContext, analysisId: string): Promise<Map<string, { id: string; note: string | null }>> {
  const rows = await db.pin.findMany({ where: { analysisId, labId: ctx.lab.id, userId: ctx.user.id }, select: { id: true, note: true, layerName: true, channelIndex: true } });
  return new Map(rows.map((p) => [pinKey(p.layerName, p.channelIndex), { id: p.id, note: p.note }]));
}

export const pinKey = (layer: string, channel: number) => `${layer}#${channel}`;

/** Pin a channel for the caller; pinning it again replaces the note. `created` tells which. */
export async function pinChannel(ctx: LabContext, analysisId: string, input: unknown): Promise<{ pin: PinView; created: boolean }> {
  const a = await analysisLayers(ctx.lab.id, analysisId);
  const { layer, channel, note } = parseWith(createPinSchema, input, 'pin');
  checkChannel(a.layers, { layer, channel });
  const key = { userId: ctx.user.id, analysisId: a.id, layerName: layer, channelIndex: channel };
  const existing = await db.pin.findUnique({ where: { userId_analysisId_layerName_channelIndex: key }, select: { id: true } });
  // upsert: two quick clicks must not fail on the unique key.
  const row = await db.pin.upsert({
    where: { userId_analysisId_layerName_channelIndex: key },
    create: { ...key, labId: ctx.lab.id, note: blankToNull(note) },
    update: note === undefined ? {} : { note: blankToNull(note) },
    include: pinInclude,
  });
  return { pin: pinView(row, ctx), created: !existing };
}

const pinActions = authoredItemActions({
  what: 'pin',
  find: (where) => db.pin.findFirst({ where, include: pinInclude }),
  authorOf: (p) => p.userId,
  view: pinView,
  edit: { schema: editPinSchema, denied: "only the person who pinned a channel can change the pin's note", apply: (p, { note }) => db.pin.update({ where: { id: p.id }, data: { note: blankToNull(note) }, include: pinInclude }) },
  remove: { denied: 'only the person who pinned a channel or a lab owner can unpin it', apply: (p) => db.pin.delete({ where: { id: p.id } }) },
});

export const editPin = pinActions.edit;
export const unpin = pinActions.remove;
