import type { Metadata } from 'next';
import { requireUser } from '@/lib/server/access';
import { hasPassword } from '@/lib/server/account';
import { changePasswordAction } from '@/app/actions/auth';
import { ActionForm } from '@/app/_components/ActionForm';

export const metadata: Metadata = { title: 'Password' };

export default async function PasswordPage() {
  const me = await requireUser('/settings/password');
  const existing = await hasPassword(me.user.id);
  return (
    <div className="narrow">
      <h1>{existing ? 'Change your password' : 'Set a password'}</h1>
      <p className="muted">
        This signs you out everywhere, here included: sign in again with the new password. Use at least 10 characters that are hard to
        guess; a few uncommon words work well.
      </p>
      <ActionForm
        action={changePasswordAction}
        className="panel"
        submitLabel={existing ? 'Change password' : 'Set password'}
        pendingLabel="Saving…"
        redirectTo="/signin?email={email}&callbackUrl=%2Fsettings%2Fpassword"
      >
        {existing ? (
          <div className="field">
            <label htmlFor="current">Current password</label>
            <input id="current" name="current" type="password" autoComplete="current-password" required />
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="password">New password</label>
          <input id="password" name="password" type="password" autoComplete="new-password" required minLength={10} />
        </div>
      </ActionForm>
    </div>
  );
}
