import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { currentIdentity } from '@/lib/server/access';
import { oauthProviders } from '@/lib/server/auth';
import { safeCallbackUrl } from '@/app/_components/safe-url';
import { SignInForm } from './SignInForm';

export const metadata: Metadata = { title: 'Sign in' };

type Search = Promise<Record<string, string | string[] | undefined>>;

export default async function SignInPage({ searchParams }: { searchParams: Search }) {
  const sp = await searchParams;
  const callbackUrl = safeCallbackUrl(sp.callbackUrl);
  if (await currentIdentity()) redirect(callbackUrl);
  const error = typeof sp.error === 'string' ? sp.error : undefined;
  const email = typeof sp.email === 'string' ? sp.email : undefined;
  return (
    <div className="narrow">
      <h1>Sign in</h1>
      <SignInForm callbackUrl={callbackUrl} providers={oauthProviders()} initialError={error} initialEmail={email} />
      <p className="small muted">
        No account yet? <Link href={`/signup?callbackUrl=${encodeURIComponent(callbackUrl)}`}>Create one</Link>.
      </p>
    </div>
  );
}
