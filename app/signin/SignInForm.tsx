'use client';

import { ErrorAlert } from '@/app/_components/FormMessages';
import { signIn } from 'next-auth/react';
import { useRouter } from 'next/navigation';
import { useState } from 'react';

const ERRORS: Record<string, string> = {
  OAuthEmail: 'Your account with that provider has no verified email address.',
  OAuthAccountNotLinked: 'This email is linked to another sign-in method.',
  AccessDenied: 'Sign-in was refused.',
};

export function SignInForm({
  callbackUrl,
  providers,
  initialError,
  initialEmail,
}: {
  callbackUrl: string;
  providers: { id: string; name: string }[];
  initialError?: string;
  initialEmail?: string;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(initialError ? (ERRORS[initialError] ?? initialError) : null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setPending(true);
    setError(null);
    const form = new FormData(e.currentTarget);
    const res = await signIn('credentials', {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
      redirect: false,
      callbackUrl,
    });
    setPending(false);
    if (!res || res.error) {
      setError(res?.error === 'CredentialsSignin' || !res?.error ? 'Invalid email or password.' : res.error);
      return;
    }
    router.push(callbackUrl);
    router.refresh();
  }

  return (
    <>
      <form onSubmit={onSubmit} className="panel" aria-describedby={error ? 'signin-error' : undefined}>
        <ErrorAlert id="signin-error" message={error} />
        <div className="field">
          <label htmlFor="email">Email</label>
          <input id="email" name="email" type="email" autoComplete="email" required defaultValue={initialEmail} autoFocus />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input id="password" name="password" type="password" autoComplete="current-password" required />
        </div>
        <button type="submit" disabled={pending}>
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {providers.length > 0 ? (
        <div className="panel" style={{ marginTop: '1rem' }}>
          <p className="muted small" style={{ marginTop: 0 }}>
            Or continue with
          </p>
          <div className="row">
            {providers.map((p) => (
              <button key={p.id} type="button" className="secondary" onClick={() => signIn(p.id, { callbackUrl })}>
                {p.name}
              </button>
            ))}
          </div>
        </div>
      ) : null}
    </>
  );
}
