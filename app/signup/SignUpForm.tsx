'use client';

import { describedBy, ErrorAlert, FieldError } from '@/app/_components/FormMessages';
import { signIn } from 'next-auth/react';
import { useRouter } from 'next/navigation';
import { useEffect, useRef } from 'react';
import { useFormAction } from '@/app/_components/useFormAction';
import type { SignUpState } from '@/app/actions/auth';

export function SignUpForm({
  action,
  invite,
  email,
  callbackUrl,
}: {
  action: (prev: SignUpState, form: FormData) => Promise<SignUpState>;
  invite?: string;
  email?: string;
  callbackUrl?: string;
}) {
  // The password typed, for the sign-in that follows the account creation.
  const password = useRef('');
  const { state, formAction, pending, onSubmit } = useFormAction(action, (form) => {
    password.current = String(form.get('password') ?? '');
  });
  const router = useRouter();

  useEffect(() => {
    if (!state?.ok) return;
    // Joined through the invitation: straight to that lab.
    const target = state.data.joined ? `/labs/${state.data.labSlug}` : (callbackUrl ?? `/labs/${state.data.labSlug}`);
    void signIn('credentials', { email: state.data.email, password: password.current, redirect: false }).then((res) => {
      router.push(res?.error ? `/signin?email=${encodeURIComponent(state.data.email)}&callbackUrl=${encodeURIComponent(target)}` : target);
      router.refresh();
    });
  }, [state, callbackUrl, router]);

  // An error about one field is shown at that field (and announced there), others above the form.
  const fieldError = (name: string) => (state && !state.ok && state.field === name ? state.error : null);
  const emailError = fieldError('email');
  const passwordError = fieldError('password');

  return (
    <form
      action={formAction}
      className="panel"
      onSubmit={onSubmit}
    >
      <ErrorAlert message={state && !state.ok && !state.field ? state.error : null} />
      {state?.ok ? (
        <p className="alert ok" role="status">
          Account created{state.data.joined ? ' and invitation accepted' : ''}. Signing you in…
        </p>
      ) : null}
      {invite ? <input type="hidden" name="invite" value={invite} /> : null}
      <div className="field">
        <label htmlFor="name">Name</label>
        <input id="name" name="name" autoComplete="name" required maxLength={100} autoFocus />
      </div>
      <div className="field">
        <label htmlFor="email">Email</label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="email"
          required
          defaultValue={email}
          readOnly={!!invite && !!email}
          {...describedBy('email-error', emailError)}
        />
        <FieldError id="email-error" message={emailError} />
      </div>
      <div className="field">
        <label htmlFor="password">
          Password <span className="hint">at least 10 characters, hard to guess: a few uncommon words work well</span>
        </label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          {...describedBy('password-error', passwordError)}
        />
        <FieldError id="password-error" message={passwordError} />
      </div>
      <button type="submit" disabled={pending || !!state?.ok}>
        {pending ? 'Creating…' : 'Create account'}
      </button>
    </form>
  );
}
