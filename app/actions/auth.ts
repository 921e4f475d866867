'use server';

import { headers } from 'next/headers';
import { actionError, currentIdentity, userAction, type ActionResult } from '@/lib/server/access';
import { changePassword } from '@/lib/server/account';
import { unauthorized } from '@/lib/server/errors';
import { acceptInvitation } from '@/lib/server/labs';
import { signUp } from '@/lib/server/signup';

export type SignUpState = ActionResult<{ email: string; labSlug: string; joined: boolean }> | null;

/** Create an account; the form then signs in with the same credentials. */
export async function signUpAction(_prev: SignUpState, form: FormData): Promise<SignUpState> {
  try {
    const invite = String(form.get('invite') ?? '') || undefined;
    const { user, lab, joined } = await signUp(
      { name: form.get('name'), email: form.get('email'), password: form.get('password'), invite },
      await headers(),
    );
    return { ok: true, data: { email: user.email, labSlug: lab.slug, joined } };
  } catch (err) {
    return actionError(err);
  }
}

export type AcceptState = ActionResult<{ labSlug: string }> | null;

export async function acceptInvitationAction(_prev: AcceptState, form: FormData): Promise<AcceptState> {
  try {
    const me = await currentIdentity();
    if (!me) throw unauthorized('sign in first');
    const lab = await acceptInvitation(me.user, String(form.get('token') ?? ''));
    return { ok: true, data: { labSlug: lab.slug } };
  } catch (err) {
    return actionError(err);
  }
}

export type ChangePasswordState = ActionResult<{ email: string }> | null;

/** Change the password; every session ends (this one too), so the form sends the user to sign in again. */
export async function changePasswordAction(_prev: ChangePasswordState, form: FormData): Promise<ChangePasswordState> {
  return userAction((me) => changePassword(me.user.id, { current: form.get('current') ?? undefined, password: form.get('password') }));
}
