'use client';
/**
 * State of a compare view: its query parameters live in the URL (a view is
 * shareable and the back button undoes a change), and its data comes from the
 * compare API with loading and error states the view shows in place.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { viewApiUrl, type Query, type View } from './defaults';

export type { Query } from './defaults';

const clean = (q: Query): Query => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== '' && v !== undefined));
const fromLocation = (): Query => Object.fromEntries(new URLSearchParams(window.location.search));

/** The view's query: changes push a history entry (or replace it, for filled-in defaults). */
export function useUrlQuery(initial: Query): [Query, (patch: Query, mode?: 'push' | 'replace') => void] {
  const [query, setQuery] = useState<Query>(() => clean(initial));
  useEffect(() => {
    // The page filled in defaults the address lacked: show them in the address too.
    const filled = new URLSearchParams(clean(initial)).toString();
    if (filled && filled !== new URLSearchParams(fromLocation()).toString()) window.history.replaceState(null, '', `${window.location.pathname}?${filled}`);
    const onPop = () => setQuery(fromLocation());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  // The latest query, so an update needs no state updater (those must stay free of side effects).
  const current = useRef(query);
  current.current = query;
  const update = useCallback((patch: Query, mode: 'push' | 'replace' = 'push') => {
    const next = clean({ ...current.current, ...patch });
    const url = `${window.location.pathname}?${new URLSearchParams(next)}`;
    if (mode === 'push') window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
    current.current = next;
    setQuery(next);
  }, []);
  return [query, update];
}

export type DataState<T> =
  | { status: 'idle' }
  | { status: 'loading'; previous?: T }
  | { status: 'ok'; data: T }
  | { status: 'error'; message: string; httpStatus: number };

/** GET `url` (null: nothing to load yet); a newer url aborts the older request. */
export function useCompareData<T>(url: string | null): [DataState<T>, () => void] {
  const [state, setState] = useState<DataState<T>>({ status: 'idle' });
  const [attempt, setAttempt] = useState(0);
  const last = useRef<T | undefined>(undefined);
  useEffect(() => {
    if (!url) {
      setState({ status: 'idle' });
      return;
    }
    const ctrl = new AbortController();
    setState({ status: 'loading', previous: last.current });
    performance.mark('cmp:fetch-start');
    // Default cache mode: the page preloaded this very URL, and the browser hands that response over.
    fetch(url, { signal: ctrl.signal, credentials: 'same-origin' })
      .then(async (res) => {
        const body = await res.json().catch(() => null);
        if (!res.ok) {
          const message = body && typeof body.error === 'string' ? body.error : `the server answered ${res.status}`;
          setState({ status: 'error', message, httpStatus: res.status });
          return;
        }
        if (body === null) {
          setState({ status: 'error', message: 'the server sent an answer that is not JSON', httpStatus: res.status });
          return;
        }
        performance.mark('cmp:data-loaded');
        last.current = body as T;
        setState({ status: 'ok', data: body as T });
      })
      .catch((err: Error) => {
        if (err.name !== 'AbortError') setState({ status: 'error', message: `the request failed: ${err.message}`, httpStatus: 0 });
      });
    return () => ctrl.abort();
  }, [url, attempt]);
  return [state, () => setAttempt((a) => a + 1)];
}

/** Loading and error lines, where the charts will be. */
export function DataStatus({ state, retry, idle }: { state: DataState<unknown>; retry: () => void; idle?: string }) {
  if (state.status === 'idle') return idle ? <p className="empty">{idle}</p> : null;
  if (state.status === 'loading') {
    return (
      <p className="cmp-status" role="status" aria-live="polite">
        <span className="cmp-spinner" aria-hidden="true" /> Loading the comparison…
      </p>
    );
  }
  if (state.status === 'error') {
    return (
      <div className="alert error cmp-error" role="alert">
        <p>
          {state.message}
          {state.httpStatus ? ` (${state.httpStatus})` : ''}
        </p>
        <button type="button" className="secondary" onClick={retry}>
          Try again
        </button>
      </div>
    );
  }
  return null;
}

/** Mark the moment a view's charts are on screen (after the browser painted them), for the render benchmark. */
export function useDrawnMark(ready: boolean, name: string): boolean {
  const [drawn, setDrawn] = useState(false);
  useEffect(() => {
    if (!ready) {
      setDrawn(false);
      return;
    }
    // The frame callback runs before the paint; the task after it runs once the frame is on screen.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const id = requestAnimationFrame(() => {
      timer = setTimeout(() => {
        performance.mark(name);
        setDrawn(true);
      }, 0);
    });
    return () => {
      cancelAnimationFrame(id);
      clearTimeout(timer);
    };
  }, [ready, name]);
  return drawn;
}

/**
 * Everything a compare view starts from: its URL query, the API address that
 * query gives (null until it is complete), the data's state, the payload to
 * draw (the previous one while the next loads) and whether the chart is drawn.
 */
export function useCompareView<T>(lab: string, view: View, initial: Query) {
  const [query, setQuery] = useUrlQuery(initial);
  const url = viewApiUrl(lab, view, query);
  const [state, retry] = useCompareData<T>(url);
  const payload = state.status === 'ok' ? state.data : state.status === 'loading' ? state.previous : undefined;
  const drawn = useDrawnMark(state.status === 'ok', 'cmp:chart-drawn');
  return { query, setQuery, url, state, retry, payload, drawn };
}
