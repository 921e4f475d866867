'use client';

import { ErrorAlert } from '@/app/_components/FormMessages';
import { useClientSubmit } from '@/app/_components/useClientSubmit';
import { type ReactNode } from 'react';

/**
 * A form sent with fetch to a /api/v1 route (multipart, or JSON when
 * `asJson`), so large files stream to the same code the API uses. Shows the
 * API's error message; on success navigates to `redirectTo(json)`.
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
  const { error, pending, onSubmit } = useClientSubmit(async (form) => {
    try {
      const json = asJson?.(form) ?? null;
      const res = await fetch(endpoint, json ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) } : { method: 'POST', body: form });
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (!res.ok) return { error: `${String(body.error ?? res.statusText)} (${res.status})` };
      return { goTo: redirectTo.replace(/\{([\w.]+)\}/g, (_, path: string) => String(path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], body) ?? '')) };
    } catch (err) {
      return { error: `upload failed: ${(err as Error).message}` };
    }
  });

  return (
    <form onSubmit={onSubmit} className="panel" encType="multipart/form-data">
      <ErrorAlert message={error} />
      {children}
      <button type="submit" disabled={pending}>
        {pending ? 'Uploading and checking…' : submitLabel}
      </button>
    </form>
  );
}
