'use client';

/**
 * Pin / unpin one channel of an analysis for the signed-in person:
 *
 *   const mine = await myPins(ctx, analysisId);              // lib/server/pins.ts, once per page
 *   <PinButton lab={slug} analysisId={a.id} layer="conv2" channel={7}
 *              pin={mine.get(pinKey('conv2', 7)) ?? null} canWrite={roleAtLeast(ctx.role, 'member')} />
 *
 * A toggle button (aria-pressed). With `withNote` (the default) pinning first
 * asks for an optional note; `withNote={false}` pins in one click, for tables.
 * The pin state comes in as a prop so a table of channels costs one query,
 * not one request per button; after a change the page is revalidated.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { useFormAction } from '@/app/_components/useFormAction';
import { pinAction, unpinAction, type PinState } from './actions';

export const PIN_NOTE_MAX = 500;

export interface PinButtonProps {
  /** The lab's slug (the [lab] segment of the URL). */
  lab: string;
  analysisId: string;
  layer: string;
  channel: number;
  /** The signed-in person's pin of this channel (myPins()), or null when not pinned. */
  pin: { id: string; note: string | null } | null;
  /** Members and owners can pin; viewers see the state only. */
  canWrite: boolean;
  /** Ask for a note when pinning (default true). */
  withNote?: boolean;
}

export function PinButton({ lab, analysisId, layer, channel, pin: initialPin, canWrite, withNote = true }: PinButtonProps) {
  const [pin, setPin] = useState(initialPin);
  const [asking, setAsking] = useState(false);
  const pinForm = useFormAction<NonNullable<PinState>>(pinAction);
  const unpinForm = useFormAction<NonNullable<PinState>>(unpinAction);
  const toggle = useRef<HTMLButtonElement>(null);
  const uid = useId();
  const name = `${layer} channel ${channel}`;

  // The page's data wins when it changes (e.g. unpinned from the pinned list).
  useEffect(() => setPin(initialPin), [initialPin?.id, initialPin?.note]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (pinForm.state?.ok) {
      const p = pinForm.state.data.pin;
      setPin(p ? { id: p.id, note: p.note } : null);
      setAsking(false);
      requestAnimationFrame(() => toggle.current?.focus());
    }
  }, [pinForm.state]);
  useEffect(() => {
    if (unpinForm.state?.ok) setPin(null);
  }, [unpinForm.state]);

  const error = [pinForm.state, unpinForm.state].find((s) => s && !s.ok) as { error: string; status: number } | undefined;
  const pending = pinForm.pending || unpinForm.pending;
  const hidden = (
    <>
      <input type="hidden" name="lab" value={lab} />
      <input type="hidden" name="analysisId" value={analysisId} />
      <input type="hidden" name="layer" value={layer} />
      <input type="hidden" name="channel" value={channel} />
    </>
  );

  if (!canWrite) {
    return pin ? (
      <span className="disc-pin-state small" title={pin.note ?? undefined}>
        ★ Pinned
      </span>
    ) : null;
  }

  return (
    <span className="disc-pin" data-pinned={pin ? 'true' : 'false'}>
      {pin ? (
        <form
          action={unpinForm.formAction}
          onSubmit={(e) => {
            if (pin.note && !window.confirm(`Unpin ${name}? Its note will be removed.`)) return e.preventDefault();
            unpinForm.onSubmit(e);
          }}
          className="disc-inline"
        >
          {hidden}
          <input type="hidden" name="pinId" value={pin.id} />
          <button ref={toggle} type="submit" className="secondary disc-pin-button" aria-pressed="true" aria-label={`Pin ${name}`} title="Pinned — press to unpin" disabled={pending}>
            ★ Pinned
          </button>
          {pin.note ? <span className="disc-pin-note small muted"> {pin.note}</span> : null}
        </form>
      ) : asking ? (
        <form action={pinForm.formAction} onSubmit={pinForm.onSubmit} className="disc-inline disc-pin-form" onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
          {hidden}
          <label htmlFor={`${uid}-note`} className="small">
            Note for {name} <span className="hint">(optional)</span>
          </label>
          <input id={`${uid}-note`} name="note" maxLength={PIN_NOTE_MAX} autoFocus placeholder="why this channel?" />
          <button type="submit" disabled={pending}>
            {pending ? 'Pinning…' : 'Pin'}
          </button>
          <button type="button" className="secondary" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <form
          action={pinForm.formAction}
          onSubmit={(e) => {
            if (withNote) {
              e.preventDefault();
              setAsking(true);
              return;
            }
            pinForm.onSubmit(e);
          }}
          className="disc-inline"
        >
          {hidden}
          <button ref={toggle} type="submit" className="secondary disc-pin-button" aria-pressed="false" aria-label={`Pin ${name}`} disabled={pending}>
            ☆ Pin
          </button>
        </form>
      )}
      {error ? (
        <span className="alert error disc-inline-error small" role="alert">
          {error.error}
          {error.status !== 400 ? ` (${error.status})` : ''}
        </span>
      ) : null}
    </span>
  );
}
