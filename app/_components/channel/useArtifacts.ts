'use client';
/**
 * Artifacts as the page sees them: the server's list, refreshed every second
 * while any is queued or running (so pictures appear without a reload), and a
 * request function (POST) for members.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ArtifactJson } from '@/lib/server/shared/payloads';

export const isPending = (a: ArtifactJson) => a.status === 'queued' || a.status === 'running';

export function useArtifacts(url: string, initial: ArtifactJson[], pick: (body: unknown) => ArtifactJson[]) {
  const [items, setItems] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const pending = items.some(isPending);

  useEffect(() => {
    if (!pending) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // One request at a time: the next poll is scheduled when the last one answered.
    const poll = async () => {
      try {
        const res = await fetch(url, { cache: 'no-store' });
        const body = await res.json();
        if (!res.ok) throw new Error(`${body.error ?? 'request failed'} (${res.status})`);
        if (!stopped) {
          setItems(pick(body));
          setError(null);
        }
      } catch (err) {
        if (!stopped) setError(`Could not refresh: ${(err as Error).message}`);
      }
      if (!stopped) timer = setTimeout(poll, 1000);
    };
    timer = setTimeout(poll, 1000);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [pending, url, pick]);

  const request = useCallback(
    async (body: unknown) => {
      setBusy(true);
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const json = await res.json();
        if (!res.ok) throw new Error(`${json.error ?? 'request failed'} (${res.status})`);
        setItems(pick(json));
        setError(null);
      } catch (err) {
        setError((err as Error).message);
      } finally {
        setBusy(false);
      }
    },
    [url, pick],
  );

  return { items, error, busy, request };
}
