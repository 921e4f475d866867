/**
 * Discussion threads: comments on an analysis, or on one channel of it
 * (layer name + channel index). Bodies are plain text — stored verbatim and
 * only ever rendered as text — so there is nothing to sanitise, only limits.
 *
 * Rules: lab viewers read; members and owners write; only the author edits a
 * comment; the author or a lab owner deletes it. Objects of other labs are
 * 404 like missing ones (see access.ts).
 */
import { z } from 'zod';
import { db } from '../db/client';
import { badRequest, notFound, parseWith } from './errors';
import { roleAtLeast, type LabContext } from './access';
import { authoredItemActions } from './authored-items';
import type { StoredLayer } from './models';
import type { CommentView, ThreadView } from './shared/payloads';

export const COMMENT_MAX = 5000;

/** Browsers submit textarea line breaks as CRLF; store one kind of line break. */
export const normalizeNewlines = (v: unknown) => (typeof v === 'string' ? v.replace(/\r\n?/g, '\n') : v);

/** Plain text; NUL is refused because PostgreSQL text cannot hold it. */
export const commentBody = z.preprocess(
  normalizeNewlines,
  z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(COMMENT_MAX, `is longer than ${COMMENT_MAX} characters`)
    .refine((s) => !s.includes('\u0000'), 'may not contain NUL characters'),
);

const layerName = z.string().trim().min(1, 'is required').max(300, 'is longer than 300 characters');
const channelIndex = z.number({ error: 'must be a number' }).int('must be an integer').min(0, 'must be 0 or more');

export const createCommentSchema = z
  .object({ body: commentBody, layer: layerName.optional(), channel: channelIndex.optional() })
  .strict()
  .refine((v) => (v.layer === undefined) === (v.channel === undefined), { message: 'layer and channel go together: give both or neither', path: ['channel'] });

export const editCommentSchema = z.object({ body: commentBody }).strict();

/** A small JSON request body (comments, pins): 64 KiB at most. */
export { readJsonBody } from './uploads';

export interface ChannelRef {
  layer: string;
  channel: number;
}

/** The analysis (in this lab) with the conv layers it covers, for validating channel references. */
export async function analysisLayers(labId: string, analysisId: string): Promise<{ id: string; layers: { name: string; channels: number }[] }> {
  if (typeof analysisId !== 'string' || analysisId.length === 0 || analysisId.length > 64) throw notFound('analysis not found');
  const a = await db.analysis.findFirst({
    where: { id: analysisId, labId },
    select: { id: true, layers: true, modelVersion: { select: { layers: true } } },
  });
  if (!a) throw notFound('analysis not found');
  const stored = (a.modelVersion.layers as unknown as StoredLayer[] | null) ?? [];
  const chosen = Array.isArray(a.layers) ? stored.filter((l) => (a.layers as string[]).includes(l.name)) : stored;
  return { id: a.id, layers: chosen.map((l) => ({ name: l.name, channels: l.channels })) };
}

/** 400 unless the analysis covers this layer and the layer has this channel. */
export function checkChannel(layers: { name: string; channels: number }[], ref: ChannelRef): void {
  const layer = layers.find((l) => l.name === ref.layer);
  if (!layer) throw badRequest(`unknown layer '${ref.layer}'; this analysis covers: ${layers.map((l) => l.name).join(', ') || 'no layers'}`);
  if (ref.channel >= layer.channels) {
    throw badRequest(`channel ${ref.channel} is out of range: ${layer.name} has ${layer.channels} channels (0–${layer.channels - 1})`);
  }
}

/** `?layer=conv1&channel=3` → a channel reference; neither → null (the analysis-level thread). */
export function channelFromQuery(params: URLSearchParams): ChannelRef | null {
  const layer = params.get('layer');
  const channel = params.get('channel');
  if (layer === null && channel === null) return null;
  if (!layer || channel === null) throw badRequest('layer and channel go together: give both or neither');
  if (!/^\d{1,9}$/.test(channel)) throw badRequest(`channel must be a whole number, not '${channel.slice(0, 40)}'`);
  if (layer.length > 300) throw badRequest('layer is longer than 300 characters');
  return { layer, channel: Number(channel) };
}

const commentInclude = { author: { select: { id: true, name: true } } } as const;
type CommentRow = {
  id: string;
  analysisId: string;
  layerName: string | null;
  channelIndex: number | null;
  body: string;
  createdAt: Date;
  editedAt: Date | null;
  authorId: string;
  author: { id: string; name: string };
};

export function commentView(c: CommentRow, ctx: Pick<LabContext, 'user' | 'role'>): CommentView {
  const writer = roleAtLeast(ctx.role, 'member');
  const mine = c.authorId === ctx.user.id;
  return {
    id: c.id,
    analysisId: c.analysisId,
    layer: c.layerName,
    channel: c.channelIndex,
    body: c.body,
    author: c.author,
    createdAt: c.createdAt.toISOString(),
    editedAt: c.editedAt?.toISOString() ?? null,
    canEdit: writer && mine,
    canDelete: writer && (mine || ctx.role === 'owner'),
  };
}

/**
 * One thread, oldest first: the analysis-level comments (ref null), one
 * channel's comments, or with `all` every comment of the analysis.
 */
export async function listThread(ctx: LabContext, analysisId: string, ref: ChannelRef | null, opts: { all?: boolean } = {}): Promise<ThreadView> {
  const a = await analysisLayers(ctx.lab.id, analysisId);
  if (ref) checkChannel(a.layers, ref);
  const where = opts.all ? {} : ref ? { layerName: ref.layer, channelIndex: ref.channel } : { layerName: null };
  const rows = await db.comment.findMany({
    where: { analysisId: a.id, labId: ctx.lab.id, ...where },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    include: commentInclude,
    take: 1000,
  });
  return {
    analysisId: a.id,
    layer: ref?.layer ?? null,
    channel: ref?.channel ?? null,
    comments: rows.map((c) => commentView(c, ctx)),
    canWrite: roleAtLeast(ctx.role, 'member'),
  };
}

export async function createComment(ctx: LabContext, analysisId: string, input: unknown): Promise<CommentView> {
  // Look the analysis up first: another lab's id is a 404 whatever the body says.
  const a = await analysisLayers(ctx.lab.id, analysisId);
  const { body, layer, channel } = parseWith(createCommentSchema, input, 'comment');
  const ref = layer !== undefined && channel !== undefined ? { layer, channel } : null;
  if (ref) checkChannel(a.layers, ref);
  const row = await db.comment.create({
    data: { labId: ctx.lab.id, analysisId: a.id, layerName: ref?.layer ?? null, channelIndex: ref?.channel ?? null, authorId: ctx.user.id, body },
    include: commentInclude,
  });
  return commentView(row, ctx);
}

const commentActions = authoredItemActions({
  what: 'comment',
  find: (where) => db.comment.findFirst({ where, include: commentInclude }),
  authorOf: (c) => c.authorId,
  view: commentView,
  edit: { schema: editCommentSchema, denied: 'only the author can edit a comment', apply: (c, { body }) => db.comment.update({ where: { id: c.id }, data: { body, editedAt: new Date() }, include: commentInclude }) },
  remove: { denied: 'only the author or a lab owner can delete a comment', apply: (c) => db.comment.delete({ where: { id: c.id } }) },
});

export const editComment = commentActions.edit;
export const deleteComment = commentActions.remove;
