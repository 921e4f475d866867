'use server';

/**
 * Server actions behind CommentThread and PinButton. They run the same checks
 * as the API (labAction: 401 signed out, 404 other labs' objects, 403 viewers,
 * 400 bad input) and the same lib/server functions, and return what the
 * component needs to redraw without another request.
 */
import { revalidatePath } from 'next/cache';
import { labAction, type ActionResult } from '@/lib/server/access';
import { createComment, deleteComment, editComment, listThread, type ChannelRef } from '@/lib/server/comments';
import type { ThreadView } from '@/lib/server/shared/payloads';
import { pinChannel, unpin, type PinView } from '@/lib/server/pins';

export type ThreadState = ActionResult<ThreadView> | null;
export type PinState = ActionResult<{ pin: PinView | null }> | null;

const str = (form: FormData, key: string) => String(form.get(key) ?? '');

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
  try {
    revalidatePath(`/labs/${slug}`, 'layout');
  } catch {
    // outside a request (tests)
  }
}

export async function postCommentAction(_prev: ThreadState, form: FormData): Promise<ThreadState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'member', async (ctx) => {
    const analysisId = str(form, 'analysisId');
    const layer = str(form, 'layer');
    await createComment(ctx, analysisId, { body: str(form, 'body'), ...(layer ? { layer, channel: channelField(form) } : {}) });
    refresh(slug);
    return listThread(ctx, analysisId, threadRef(form));
  });
}

export async function editCommentAction(_prev: ThreadState, form: FormData): Promise<ThreadState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'member', async (ctx) => {
    const analysisId = str(form, 'analysisId');
    await editComment(ctx, analysisId, str(form, 'commentId'), { body: str(form, 'body') });
    return listThread(ctx, analysisId, threadRef(form));
  });
}

export async function deleteCommentAction(_prev: ThreadState, form: FormData): Promise<ThreadState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'member', async (ctx) => {
    const analysisId = str(form, 'analysisId');
    await deleteComment(ctx, analysisId, str(form, 'commentId'));
    refresh(slug);
    return listThread(ctx, analysisId, threadRef(form));
  });
}

/** Pin a channel for the signed-in person (or update the note of their pin). */
export async function pinAction(_prev: PinState, form: FormData): Promise<PinState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'member', async (ctx) => {
    const note = str(form, 'note');
    const { pin } = await pinChannel(ctx, str(form, 'analysisId'), { layer: str(form, 'layer'), channel: channelField(form), note });
    refresh(slug);
    return { pin };
  });
}

export async function unpinAction(_prev: PinState, form: FormData): Promise<PinState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'member', async (ctx) => {
    await unpin(ctx, str(form, 'analysisId'), str(form, 'pinId'));
    refresh(slug);
    return { pin: null };
  });
}
