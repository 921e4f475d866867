import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { currentIdentity } from '@/lib/server/access';
import { findInvitation } from '@/lib/server/labs';
import { signUpAction } from '@/app/actions/auth';
import { safeCallbackUrl } from '@/app/_components/safe-url';
import { SignUpForm } from './SignUpForm';

export const metadata: Metadata = { title: 'Create an account' };

type Search = Promise<Record<string, string | string[] | undefined>>;

export default async function SignUpPage({ searchParams }: { searchParams: Search }) {
  const sp = await searchParams;
  const invite = typeof sp.invite === 'string' ? sp.invite : undefined;
  const invitation = invite ? await findInvitation(invite).catch(() => null) : null;
  const callbackUrl = invite ? safeCallbackUrl(`/invite/${encodeURIComponent(invite)}`) : sp.callbackUrl ? safeCallbackUrl(sp.callbackUrl) : undefined;
  if (await currentIdentity()) redirect(callbackUrl ?? '/labs');
  return (
    <div className="narrow">
      <h1>Create an account</h1>
      {invitation && invitation.state === 'open' ? (
        <p>
          You were invited to <strong>{invitation.lab.name}</strong> as {invitation.role}.
        </p>
      ) : (
        <p className="muted small">You will get a lab of your own; others can invite you to theirs.</p>
      )}
      <SignUpForm action={signUpAction} invite={invitation?.state === 'open' ? invite : undefined} email={invitation?.email} callbackUrl={callbackUrl} />
      <p className="small muted">
        Have an account? <Link href={`/signin${callbackUrl ? `?callbackUrl=${encodeURIComponent(callbackUrl)}` : ''}`}>Sign in</Link>.
      </p>
    </div>
  );
}
