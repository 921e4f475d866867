'use server';

import { revalidatePath } from 'next/cache';
import { labAction, userAction, type ActionResult } from '@/lib/server/access';
import {
  changeMemberRole,
  createApiToken,
  createInvitation,
  createLab,
  removeMember,
  revokeApiToken,
  revokeInvitation,
} from '@/lib/server/labs';

export type FormState<T = undefined> = ActionResult<T> | null;

const str = (form: FormData, key: string) => String(form.get(key) ?? '');

function refresh(path: string) {
  try {
    revalidatePath(path);
  } catch {
    // Outside a Next.js request (tests) there is nothing to revalidate.
  }
}

export async function createLabAction(_prev: FormState<{ slug: string }>, form: FormData): Promise<FormState<{ slug: string }>> {
  return userAction(async (me) => {
    const lab = await createLab(me.user.id, { name: str(form, 'name'), slug: str(form, 'slug') });
    refresh('/labs');
    return { slug: lab.slug };
  });
}

export async function inviteAction(_prev: FormState<{ link: string; email: string }>, form: FormData): Promise<FormState<{ link: string; email: string }>> {
  const slug = str(form, 'lab');
  return labAction(slug, 'owner', async (ctx) => {
    const { path, invitation } = await createInvitation(ctx, { email: str(form, 'email'), role: str(form, 'role') });
    refresh(`/labs/${slug}/members`);
    return { link: path, email: invitation.email };
  });
}

export async function revokeInvitationAction(_prev: FormState, form: FormData): Promise<FormState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'owner', async (ctx) => {
    await revokeInvitation(ctx, str(form, 'invitationId'));
    refresh(`/labs/${slug}/members`);
    return undefined;
  });
}

export async function changeRoleAction(_prev: FormState, form: FormData): Promise<FormState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'owner', async (ctx) => {
    await changeMemberRole(ctx, str(form, 'membershipId'), str(form, 'role'));
    refresh(`/labs/${slug}/members`);
    return undefined;
  });
}

export async function removeMemberAction(_prev: FormState, form: FormData): Promise<FormState> {
  const slug = str(form, 'lab');
  return labAction(slug, 'owner', async (ctx) => {
    await removeMember(ctx, str(form, 'membershipId'));
    refresh(`/labs/${slug}/members`);
    return undefined;
  });
}

export type NewToken = { token: string; name: string; expiresAt: string | null; lab: string | null; readOnly: boolean };

export async function createTokenAction(_prev: FormState<NewToken>, form: FormData): Promise<FormState<NewToken>> {
  return userAction(async (me) => {
    const { token, row } = await createApiToken(me.user.id, {
      name: str(form, 'name'),
      ...(form.has('expires') ? { expires: str(form, 'expires') } : {}),
      lab: str(form, 'lab') || undefined,
      readOnly: str(form, 'access') === 'read',
    });
    refresh('/settings/tokens');
    return { token, name: row.name, expiresAt: row.expiresAt?.toISOString() ?? null, lab: str(form, 'lab') || null, readOnly: row.readOnly };
  });
}

export async function revokeTokenAction(_prev: FormState, form: FormData): Promise<FormState> {
  return userAction(async (me) => {
    await revokeApiToken(me.user.id, str(form, 'tokenId'));
    refresh('/settings/tokens');
    return undefined;
  });
}
