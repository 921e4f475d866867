'use client';
import { CopyButton } from './CopyButton';

import { useState, type ReactNode } from 'react';
import { useFormAction } from './useFormAction';
import { ErrorAlert } from './FormMessages';

type Result<T> = { ok: true; data: T } | { ok: false; status: number; error: string } | null;

type NewToken = { token: string; name: string; expiresAt: string | null; lab: string | null; readOnly: boolean };

/** What a token may do, in words (the list and the creation notice). */
function tokenScopeText(t: { lab: string | null; readOnly: boolean }): string {
  return `${t.readOnly ? 'read only' : 'read and write'}, ${t.lab ? `lab ${t.lab} only` : 'all your labs'}`;
}

/**
 * Create-an-API-token form: name, expiry (90 days unless chosen otherwise;
 * "never" only explicitly), an optional lab and read-only scope. The token is
 * shown once, here, with a copy button and a command line using it.
 */
export function TokenForm({
  action,
  labs,
  expiryDays,
  defaultDays,
}: {
  action: (p: Result<NewToken>, f: FormData) => Promise<Result<NewToken>>;
  labs: { slug: string; name: string }[];
  expiryDays: readonly number[];
  defaultDays: number;
}) {
  return (
    <SecretForm
      action={action}
      submitLabel="Create token"
      shown={(data, origin) => {
        const command = `npx pcace rank --server ${origin} --token ${data.token} --model model.onnx --data mnist:3 --out results.json`;
        return (
          <>
            <p style={{ margin: '0 0 0.5rem' }}>
              Token <strong>{data.name}</strong> created ({tokenScopeText(data)};{' '}
              {data.expiresAt ? `expires ${data.expiresAt.slice(0, 10)}` : 'never expires'}). Copy it now: it will not be shown again.
            </p>
            <p className="row" style={{ margin: '0 0 0.5rem' }}>
              <code className="token" aria-label="New API token">
                {data.token}
              </code>
              <CopyButton text={data.token} label="Copy token" />
            </p>
            <p className="small" style={{ margin: '0 0 0.25rem' }}>
              For example, rank a model on this portal from the command line:
            </p>
            <p className="row" style={{ margin: 0 }}>
              <code className="token" aria-label="Example command">
                {command}
              </code>
              <CopyButton text={command} label="Copy command" />
            </p>
          </>
        );
      }}
    >
      <div className="field">
        <label htmlFor="token-name">Token name</label>
        <input id="token-name" name="name" required maxLength={100} placeholder="e.g. laptop scripts" />
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor="token-expires">Expires after</label>
          <select id="token-expires" name="expires" defaultValue={String(defaultDays)}>
            {expiryDays.map((d) => (
              <option key={d} value={d}>
                {d} days
              </option>
            ))}
            <option value="never">never (not recommended)</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="token-lab">Labs</label>
          <select id="token-lab" name="lab" defaultValue="">
            <option value="">all my labs</option>
            {labs.map((l) => (
              <option key={l.slug} value={l.slug}>
                only {l.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="token-access">Access</label>
          <select id="token-access" name="access" defaultValue="write">
            <option value="write">read and write (my role)</option>
            <option value="read">read only</option>
          </select>
        </div>
      </div>
    </SecretForm>
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
  return (
    <SecretForm
      action={action}
      submitLabel="Create invitation"
      shown={(data, origin) => (
        <>
          <p style={{ margin: '0 0 0.5rem' }}>
            Invitation for <strong>{data.email}</strong> created. Send them this link (valid 7 days, shown once):
          </p>
          <code className="token" aria-label="Invitation link">
            {origin}
            {data.link}
          </code>
        </>
      )}
    >
      <input type="hidden" name="lab" value={lab} />
      {children}
    </SecretForm>
  );
}

/**
 * The frame both forms share: the error, or the just-created secret shown once
 * in a success box (`shown` gets the page origin for links and commands).
 */
function SecretForm<T>({
  action,
  submitLabel,
  shown,
  children,
}: {
  action: (p: Result<T>, f: FormData) => Promise<Result<T>>;
  submitLabel: string;
  shown: (data: T, origin: string) => ReactNode;
  children: ReactNode;
}) {
  const { state, formAction, pending, onSubmit } = useFormAction(action);
  const origin = typeof window === 'undefined' ? '' : window.location.origin;
  return (
    <form action={formAction} onSubmit={onSubmit} className="panel">
      <ErrorAlert message={state && !state.ok ? state.error : null} />
      {state?.ok ? (
        <div className="alert ok" role="status">
          {shown(state.data, origin)}
        </div>
      ) : null}
      {children}
      <button type="submit" disabled={pending}>
        {pending ? 'Creating…' : submitLabel}
      </button>
    </form>
  );
}
