'use client';
/**
 * Copies a text (a link, a token, a command) to the clipboard and says so;
 * where the clipboard is refused (an insecure origin), selects the text to
 * copy by hand instead.
 */
import { useState } from 'react';

/** `absolute`: `text` is a path of this site, copied as a full address. */
export function CopyButton({ text, absolute = false, label = 'Copy', what, className = 'secondary' }: { text: string; absolute?: boolean; label?: string; what?: string; className?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    const value = absolute ? new URL(text, window.location.href).toString() : text;
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
    setTimeout(() => setState('idle'), 2500);
  };
  return (
    <>
      <button type="button" className={`${className} copy-button`} onClick={copy} aria-label={what ? `${label} ${what}` : undefined}>
        {state === 'copied' ? 'Copied' : label}
      </button>
      <span role="status" className="sr-only">
        {state === 'copied' ? 'Copied.' : state === 'failed' ? "The browser refused the clipboard: select the text and copy it by hand." : ''}
      </span>
      {state === 'failed' ? <span className="small muted"> copy by hand</span> : null}
    </>
  );
}
