import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { currentIdentity } from '@/lib/server/access';
import { findInvitation } from '@/lib/server/labs';
import { acceptInvitationAction } from '@/app/actions/auth';
import { ActionForm } from '@/app/_components/ActionForm';

export const metadata: Metadata = { title: 'Invitation' };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const inv = await findInvitation(token).catch(() => null);
  if (!inv) notFound();
  const me = await currentIdentity();
  const here = `/invite/${token}`;
  return (
    <div className="narrow">
      <h1>Join {inv.lab.name}</h1>
      <p>
        {inv.invitedBy.name} invited <strong>{inv.email}</strong> to join <strong>{inv.lab.name}</strong> as <strong>{inv.role}</strong>.
      </p>
      {inv.state === 'accepted' && me && inv.acceptedById === me.user.id ? (
        <p>
          You have joined this lab. <Link href={`/labs/${inv.lab.slug}`}>Go to {inv.lab.name}</Link>
        </p>
      ) : inv.state !== 'open' ? (
        <p className="alert error" role="alert">
          This invitation is {inv.state}. Ask the lab owner for a new one.
        </p>
      ) : !me ? (
        <div className="row">
          <Link className="button" href={`/signup?invite=${encodeURIComponent(token)}`}>
            Create an account
          </Link>
          <Link className="button secondary" href={`/signin?callbackUrl=${encodeURIComponent(here)}&email=${encodeURIComponent(inv.email)}`}>
            Sign in to accept
          </Link>
        </div>
      ) : me.user.email !== inv.email ? (
        <p className="alert error" role="alert">
          This invitation is for {inv.email}, but you are signed in as {me.user.email}. <Link href="/signout">Sign out</Link> and sign in with the
          invited address.
        </p>
      ) : (
        <ActionForm action={acceptInvitationAction} submitLabel="Accept invitation" redirectTo="/labs/{labSlug}">
          <input type="hidden" name="token" value={token} />
        </ActionForm>
      )}
    </div>
  );
}
