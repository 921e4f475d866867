'use client';

import { ErrorAlert } from '@/app/_components/FormMessages';
import { signIn } from 'next-auth/react';
import { useClientSubmit } from '@/app/_components/useClientSubmit';

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
  const { error, pending, onSubmit } = useClientSubmit(async (form) => {
    const res = await signIn('credentials', {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
      redirect: false,
      callbackUrl,
    });
    if (!res || res.error) return { error: res?.error === 'CredentialsSignin' || !res?.error ? 'Invalid email or password.' : res.error };
    return { goTo: callbackUrl };
  }, initialError ? (ERRORS[initialError] ?? initialError) : null);

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
