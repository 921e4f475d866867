'use server';

/**
 * Server actions behind CommentThread and PinButton. They run the same checks
 * as the API (labAction: 401 signed out, 404 other labs' objects, 403 viewers,
 * 400 bad input) and the same lib/server functions, and return what the
 * component needs to redraw without another request.
 */
import { type ActionResult, type LabContext } from '@/lib/server/access';
import { labFormAction, refresh as revalidate, str } from '@/app/actions/formAction';
import { createComment, deleteComment, editComment, listThread, type ChannelRef } from '@/lib/server/comments';
import type { ThreadView } from '@/lib/server/shared/payloads';
import { pinChannel, unpin, type PinView } from '@/lib/server/pins';

export type ThreadState = ActionResult<ThreadView> | null;
export type PinState = ActionResult<{ pin: PinView | null }> | null;

/** Digits become a number; anything else goes to zod as is, which names the field in its message. */
function channelField(form: FormData): number | string | undefined {
  const v = str(form, 'channel').trim();
  if (v === '') return undefined;
  return /^\d{1,9}$/.test(v) ? Number(v) : v;
}

/** The thread the form belongs to (hidden layer/channel fields), to send back after a change. */
function threadRef(form: FormData): ChannelRef | null {
  const layer = str(form, 'layer');
  const channel = channelField(form);
  return layer && typeof channel === 'number' ? { layer, channel } : null;
}

/** Server components showing counts and pin lists re-render after a change. */
function refresh(slug: string): void {
  revalidate(`/labs/${slug}`, 'layout');
}

/** A change to a thread, answered with the thread as it now stands. */
function threadAction(form: FormData, change: (ctx: LabContext, analysisId: string, field: (key: string) => string) => Promise<unknown>, changesCounts: boolean): Promise<ThreadState> {
  return labFormAction(form, 'member', async (ctx, field, slug) => {
    const analysisId = field('analysisId');
    await change(ctx, analysisId, field);
    if (changesCounts) refresh(slug);
    return listThread(ctx, analysisId, threadRef(form));
  });
}

export async function postCommentAction(_prev: ThreadState, form: FormData): Promise<ThreadState> {
  return threadAction(
    form,
    (ctx, analysisId, field) => {
      const layer = field('layer');
      return createComment(ctx, analysisId, { body: field('body'), ...(layer ? { layer, channel: channelField(form) } : {}) });
    },
    true,
  );
}

export async function editCommentAction(_prev: ThreadState, form: FormData): Promise<ThreadState> {
  // An edit changes no counts: nothing to re-render but the thread.
  return threadAction(form, (ctx, analysisId, field) => editComment(ctx, analysisId, field('commentId'), { body: field('body') }), false);
}

export async function deleteCommentAction(_prev: ThreadState, form: FormData): Promise<ThreadState> {
  return threadAction(form, (ctx, analysisId, field) => deleteComment(ctx, analysisId, field('commentId')), true);
}

/** Pin a channel for the signed-in person (or update the note of their pin). */
export async function pinAction(_prev: PinState, form: FormData): Promise<PinState> {
  return labFormAction(form, 'member', async (ctx, field, slug) => {
    const { pin } = await pinChannel(ctx, field('analysisId'), { layer: field('layer'), channel: channelField(form), note: field('note') });
    refresh(slug);
    return { pin };
  });
}

export async function unpinAction(_prev: PinState, form: FormData): Promise<PinState> {
  return labFormAction(form, 'member', async (ctx, field, slug) => {
    await unpin(ctx, field('analysisId'), field('pinId'));
    refresh(slug);
    return { pin: null };
  });
}
