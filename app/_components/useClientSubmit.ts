'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';

/** What a client-side submit ends in: an error to show (at `field` when it names one), or a page to go to. */
export type SubmitOutcome = { error: string; field?: string } | { goTo: string };

/**
 * A form submitted from the browser (fetch or sign-in) rather than by a server
 * action: one pending flag, one error message, and navigation on success, so
 * every such form disables its button and reports failure the same way.
 */
export function useClientSubmit(send: (form: FormData) => Promise<SubmitOutcome>, initialError: string | null = null) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(initialError);
  const [errorField, setErrorField] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setPending(true);
    setError(null);
    setErrorField(null);
    const form = new FormData(e.currentTarget);
    try {
      const outcome = await send(form);
      if ('error' in outcome) {
        setError(outcome.error);
        setErrorField(outcome.field ?? null);
        return;
      }
      router.push(outcome.goTo);
      router.refresh();
    } finally {
      setPending(false);
    }
  }

  return { error, errorField, pending, onSubmit };
}
