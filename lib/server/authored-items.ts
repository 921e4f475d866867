/**
 * Comments and pins are both items of an analysis made by one person: only
 * that person edits one; that person or a lab owner removes it. The rule, the
 * edit and removal that apply it, and the PATCH/DELETE routes over them are
 * written once here.
 */
import type { z } from 'zod';
import { withLab, type LabContext } from './access';
import { findById, forbidden, parseWith } from './errors';
import { readJsonBody } from './uploads';

/** The author check of an edit: anyone else is refused with `message`. */
function requireAuthor(ctx: LabContext, authorId: string, message: string): void {
  if (authorId !== ctx.user.id) throw forbidden(message);
}

/** The check of a removal: the author or a lab owner. */
function requireAuthorOrOwner(ctx: LabContext, authorId: string, message: string): void {
  if (authorId !== ctx.user.id && ctx.role !== 'owner') throw forbidden(message);
}

/** How one kind of item is stored: enough for the edit and the removal below. */
export interface AuthoredStore<Row extends { id: string }, Schema extends z.ZodType, View> {
  /** 'comment': in "comment not found" and "invalid comment: …". */
  what: string;
  /** The row, only when it belongs to this analysis of this lab. */
  find(where: { id: string; analysisId: string; labId: string }): PromiseLike<Row | null>;
  authorOf(row: Row): string;
  view(row: Row, ctx: LabContext): View;
  /** An edit: the body's schema, the refusal to anyone but the author, and the update. */
  edit: { schema: Schema; denied: string; apply(row: Row, input: z.output<Schema>): PromiseLike<Row> };
  /** A removal: the refusal to anyone but the author or a lab owner, and the deletion. */
  remove: { denied: string; apply(row: Row): PromiseLike<unknown> };
}

/**
 * Edit and removal of an item named by a URL: found in this analysis of this
 * lab (else 404), the body validated after the lookup (so another lab's id is
 * a 404 whatever the body says), then the author rule.
 */
export function authoredItemActions<Row extends { id: string }, Schema extends z.ZodType, View>(store: AuthoredStore<Row, Schema, View>) {
  const find = (ctx: LabContext, analysisId: string, id: string) => findById(id, store.what, (id) => store.find({ id, analysisId, labId: ctx.lab.id }));
  return {
    async edit(ctx: LabContext, analysisId: string, id: string, input: unknown): Promise<View> {
      const row = await find(ctx, analysisId, id);
      const parsed = parseWith(store.edit.schema, input, store.what);
      requireAuthor(ctx, store.authorOf(row), store.edit.denied);
      return store.view(await store.edit.apply(row, parsed), ctx);
    },
    async remove(ctx: LabContext, analysisId: string, id: string): Promise<void> {
      const row = await find(ctx, analysisId, id);
      requireAuthorOrOwner(ctx, store.authorOf(row), store.remove.denied);
      await store.remove.apply(row);
    },
  };
}

interface AuthoredItem<View> {
  /** The route's id parameter ('commentId'). */
  param: string;
  /** The PATCH response key ('comment'). */
  key: string;
  edit(ctx: LabContext, analysisId: string, id: string, body: unknown): Promise<View>;
  remove(ctx: LabContext, analysisId: string, id: string): Promise<void>;
}

/** PATCH (JSON body, answered with the item) and DELETE (answered with its id) of …/analyses/:analysisId/<items>/:id, for members. */
export function authoredItemRoutes<View>(item: AuthoredItem<View>) {
  type P = { lab: string; analysisId: string } & Record<string, string>;
  return {
    PATCH: withLab<P>(
      async (req, ctx) => {
        const body = await readJsonBody(req);
        return Response.json({ [item.key]: await item.edit(ctx, ctx.params.analysisId, ctx.params[item.param], body) });
      },
      { role: 'member' },
    ),
    DELETE: withLab<P>(
      async (_req, ctx) => {
        await item.remove(ctx, ctx.params.analysisId, ctx.params[item.param]);
        return Response.json({ deleted: ctx.params[item.param] });
      },
      { role: 'member' },
    ),
  };
}
