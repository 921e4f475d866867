'use client';

import type { ReactNode } from 'react';
import { useFormAction } from './useFormAction';

type Result<T> = { ok: true; data: T } | { ok: false; status: number; error: string } | null;

/** Create-an-API-token form: the token is shown once, here, and never again. */
export function TokenForm({ action }: { action: (p: Result<{ token: string; name: string }>, f: FormData) => Promise<Result<{ token: string; name: string }>> }) {
  const { state, formAction, pending, onSubmit } = useFormAction(action);
  return (
    <form action={formAction} onSubmit={onSubmit} className="panel">
      {state && !state.ok ? (
        <p className="alert error" role="alert">
          {state.error}
        </p>
      ) : null}
      {state?.ok ? (
        <div className="alert ok" role="status">
          <p style={{ margin: '0 0 0.5rem' }}>
            Token <strong>{state.data.name}</strong> created. Copy it now: it will not be shown again.
          </p>
          <code className="token" aria-label="New API token">
            {state.data.token}
          </code>
        </div>
      ) : null}
      <div className="field">
        <label htmlFor="token-name">Token name</label>
        <input id="token-name" name="name" required maxLength={100} placeholder="e.g. laptop scripts" />
      </div>
      <button type="submit" disabled={pending}>
        {pending ? 'Creating…' : 'Create token'}
      </button>
    </form>
  );
}

/** Invite form (owners): returns the invitation link to send to the invitee. */
export function InviteForm({
  action,
  lab,
  children,
}: {
  action: (p: Result<{ link: string; email: string }>, f: FormData) => Promise<Result<{ link: string; email: string }>>;
  lab: string;
  children?: ReactNode;
}) {
  const { state, formAction, pending, onSubmit } = useFormAction(action);
  const origin = typeof window === 'undefined' ? '' : window.location.origin;
  return (
    <form action={formAction} onSubmit={onSubmit} className="panel">
      {state && !state.ok ? (
        <p className="alert error" role="alert">
          {state.error}
        </p>
      ) : null}
      {state?.ok ? (
        <div className="alert ok" role="status">
          <p style={{ margin: '0 0 0.5rem' }}>
            Invitation for <strong>{state.data.email}</strong> created. Send them this link (valid 7 days, shown once):
          </p>
          <code className="token" aria-label="Invitation link">
            {origin}
            {state.data.link}
          </code>
        </div>
      ) : null}
      <input type="hidden" name="lab" value={lab} />
      {children}
      <button type="submit" disabled={pending}>
        {pending ? 'Creating…' : 'Create invitation'}
      </button>
    </form>
  );
}
