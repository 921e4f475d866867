'use server';

import { userAction, type ActionResult, type LabContext } from '@/lib/server/access';
import { labFormAction, refresh, str } from './formAction';
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

/** An owner's change on the members page, which then shows it. */
function membersAction<T>(form: FormData, run: (ctx: LabContext, field: (key: string) => string) => Promise<T>): Promise<ActionResult<T>> {
  return labFormAction(form, 'owner', async (ctx, field, slug) => {
    const data = await run(ctx, field);
    refresh(`/labs/${slug}/members`);
    return data;
  });
}

export async function createLabAction(_prev: FormState<{ slug: string }>, form: FormData): Promise<FormState<{ slug: string }>> {
  return userAction(async (me) => {
    const lab = await createLab(me.user.id, { name: str(form, 'name'), slug: str(form, 'slug') });
    refresh('/labs');
    return { slug: lab.slug };
  });
}

export async function inviteAction(_prev: FormState<{ link: string; email: string }>, form: FormData): Promise<FormState<{ link: string; email: string }>> {
  return membersAction(form, async (ctx, field) => {
    const { path, invitation } = await createInvitation(ctx, { email: field('email'), role: field('role') });
    return { link: path, email: invitation.email };
  });
}

export async function revokeInvitationAction(_prev: FormState, form: FormData): Promise<FormState> {
  return membersAction(form, async (ctx, field) => {
    await revokeInvitation(ctx, field('invitationId'));
    return undefined;
  });
}

export async function changeRoleAction(_prev: FormState, form: FormData): Promise<FormState> {
  return membersAction(form, async (ctx, field) => {
    await changeMemberRole(ctx, field('membershipId'), field('role'));
    return undefined;
  });
}

export async function removeMemberAction(_prev: FormState, form: FormData): Promise<FormState> {
  return membersAction(form, async (ctx, field) => {
    await removeMember(ctx, field('membershipId'));
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
