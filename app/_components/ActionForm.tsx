'use client';

import { useRouter } from 'next/navigation';
import { useEffect, type ReactNode } from 'react';
import { useFormAction } from './useFormAction';

type State<T> = { ok: true; data: T; message?: string } | { ok: false; status: number; error: string } | null;

/**
 * A form bound to a server action returning ActionResult: shows the error
 * (with its status) or a success message, then optionally navigates.
 * `redirectTo` may contain `{slug}` / `{id}`, filled from the action's data.
 */
export function ActionForm<T>({
  action,
  children,
  submitLabel,
  pendingLabel = 'Working…',
  successMessage,
  redirectTo,
  className,
  buttonClass,
  confirm,
  inline = false,
  hidden,
}: {
  action: (prev: State<T>, form: FormData) => Promise<State<T>>;
  children?: ReactNode;
  submitLabel: string;
  pendingLabel?: string;
  successMessage?: string;
  redirectTo?: string;
  className?: string;
  buttonClass?: string;
  confirm?: string;
  inline?: boolean;
  /** Fields sent along unseen (which record the button acts on). */
  hidden?: Record<string, string>;
}) {
  const { state, formAction, pending, onSubmit } = useFormAction<NonNullable<State<T>>>(action);
  const router = useRouter();
  useEffect(() => {
    if (state?.ok && redirectTo) {
      const data = (state.data ?? {}) as Record<string, string>;
      router.push(redirectTo.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(data[k] ?? '')));
    }
  }, [state, redirectTo, router]);
  return (
    <form
      action={formAction}
      className={className}
      style={inline ? { display: 'inline' } : undefined}
      onSubmit={(e) => {
        if (confirm && !window.confirm(confirm)) {
          e.preventDefault();
          return;
        }
        onSubmit(e);
      }}
    >
      {state && !state.ok ? (
        <p className="alert error" role="alert">
          {state.error}
          {state.status !== 400 ? <span className="small muted"> ({state.status})</span> : null}
        </p>
      ) : null}
      {state?.ok && successMessage ? (
        <p className="alert ok" role="status">
          {successMessage}
        </p>
      ) : null}
      {hidden ? Object.entries(hidden).map(([name, value]) => <input key={name} type="hidden" name={name} value={value} />) : null}
      {children}
      <button type="submit" className={buttonClass} disabled={pending}>
        {pending ? pendingLabel : submitLabel}
      </button>
    </form>
  );
}
