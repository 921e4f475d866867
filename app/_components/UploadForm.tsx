'use client';

import { describedBy, ErrorAlert, FieldError } from '@/app/_components/FormMessages';
import { useClientSubmit } from '@/app/_components/useClientSubmit';
import { Field } from '@/app/_components/Field';
import { createContext, useCallback, useContext, useEffect, useRef, type ReactNode } from 'react';

/** The refusal a form shows, and the fields that show a refusal naming them in place. */
interface UploadErrors {
  field: string | null;
  message: string | null;
  claim(name: string): () => void;
}

const UploadErrorsContext = createContext<UploadErrors>({ field: null, message: null, claim: () => () => {} });

/**
 * A form sent with fetch to a /api/v1 route (multipart, or JSON when
 * `asJson`), so large files stream to the same code the API uses. Shows the
 * API's error message under the field it names (an UploadField of that name),
 * else above the form; on success navigates to `redirectTo(json)`.
 */
export function UploadForm({
  endpoint,
  children,
  submitLabel,
  redirectTo,
  asJson,
}: {
  endpoint: string;
  children: ReactNode;
  submitLabel: string;
  redirectTo: string;
  asJson?: (form: FormData) => Record<string, unknown> | null;
}) {
  const { error, errorField, pending, onSubmit } = useClientSubmit(async (form) => {
    try {
      const json = asJson?.(form) ?? null;
      const res = await fetch(endpoint, json ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) } : { method: 'POST', body: form });
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (!res.ok) return { error: `${String(body.error ?? res.statusText)} (${res.status})`, field: typeof body.field === 'string' ? body.field : undefined };
      return { goTo: redirectTo.replace(/\{([\w.]+)\}/g, (_, path: string) => String(path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], body) ?? '')) };
    } catch (err) {
      return { error: `upload failed: ${(err as Error).message}` };
    }
  });
  // The names of the UploadFields now in the form (they mount before any submit).
  const claimed = useRef(new Map<string, number>());
  const claim = useCallback((name: string) => {
    claimed.current.set(name, (claimed.current.get(name) ?? 0) + 1);
    return () => void claimed.current.set(name, (claimed.current.get(name) ?? 1) - 1);
  }, []);
  const atField = errorField !== null && (claimed.current.get(errorField) ?? 0) > 0;

  return (
    <form onSubmit={onSubmit} className="panel" encType="multipart/form-data">
      <ErrorAlert message={atField ? null : error} />
      <UploadErrorsContext.Provider value={{ field: atField ? errorField : null, message: error, claim }}>{children}</UploadErrorsContext.Provider>
      <button type="submit" disabled={pending}>
        {pending ? 'Uploading and checking…' : submitLabel}
      </button>
    </form>
  );
}

/**
 * A labelled field of an UploadForm whose control is sent as `name`: a
 * refusal naming that field shows under it, linked to the control
 * (aria-invalid, aria-describedby), instead of above the form.
 */
export function UploadField({
  id,
  name,
  label,
  hint,
  children,
}: {
  id: string;
  name: string;
  label: ReactNode;
  hint?: ReactNode;
  children: (a11y: { id: string; name: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode;
}) {
  const { field, message, claim } = useContext(UploadErrorsContext);
  useEffect(() => claim(name), [claim, name]);
  const mine = field === name ? message : null;
  return (
    <Field id={id} label={label} hint={hint}>
      {children({ id, name, ...describedBy(`${id}-err`, mine) })}
      <FieldError id={`${id}-err`} message={mine} />
    </Field>
  );
}
