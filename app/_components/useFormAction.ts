'use client';

import { startTransition, useActionState, type FormEvent } from 'react';

/**
 * useActionState, dispatched from onSubmit so that React does not reset the
 * form when the action completes: after an error the person's input stays.
 * `action` on the form keeps it working before hydration / without JS.
 */
export function useFormAction<S>(action: (prev: S | null, form: FormData) => Promise<S | null>, before?: (form: FormData) => void) {
  const [state, formAction, pending] = useActionState<S | null, FormData>(action, null);
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    before?.(form);
    startTransition(() => formAction(form));
  };
  return { state, formAction, pending, onSubmit };
}
