/**
 * Comments and pins are both items of an analysis made by one person: only
 * that person edits one; that person or a lab owner removes it. The rule, and
 * the PATCH/DELETE routes over it, are written once here.
 */
import { withLab, type LabContext } from './access';
import { forbidden } from './errors';
import { readJsonBody } from './uploads';

/** The author check of an edit: anyone else is refused with `message`. */
export function requireAuthor(ctx: LabContext, authorId: string, message: string): void {
  if (authorId !== ctx.user.id) throw forbidden(message);
}

/** The check of a removal: the author or a lab owner. */
export function requireAuthorOrOwner(ctx: LabContext, authorId: string, message: string): void {
  if (authorId !== ctx.user.id && ctx.role !== 'owner') throw forbidden(message);
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
