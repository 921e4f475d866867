'use client';

import { useFormAction } from '@/app/_components/useFormAction';
import { unpinAction, type PinState } from './actions';

/** Remove a pin from a list of pins (its owner, or a lab owner for anyone's). */
export function UnpinButton({ lab, analysisId, pinId, label }: { lab: string; analysisId: string; pinId: string; label: string }) {
  const { state, formAction, pending, onSubmit } = useFormAction<NonNullable<PinState>>(unpinAction);
  return (
    <form action={formAction} onSubmit={onSubmit} className="disc-inline">
      <input type="hidden" name="lab" value={lab} />
      <input type="hidden" name="analysisId" value={analysisId} />
      <input type="hidden" name="pinId" value={pinId} />
      <button type="submit" className="linkish" disabled={pending || state?.ok} aria-label={label}>
        {pending ? 'Unpinning…' : state?.ok ? 'Unpinned' : 'Unpin'}
      </button>
      {state && !state.ok ? (
        <span className="alert error disc-inline-error small" role="alert">
          {state.error}
        </span>
      ) : null}
    </form>
  );
}
