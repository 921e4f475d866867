'use client';
/**
 * Live status of an analysis: polls GET .../progress about once a second
 * while it is queued or running (a few hundred bytes, one indexed query;
 * paused while the tab is hidden, backing off on errors) and refreshes the
 * server-rendered results whenever a layer lands or the run ends.
 */
import { TableHead } from '@/app/_components/TableHead';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import type { AnalysisProgressView } from '@/lib/server/shared/payloads';

const ACTIVE = new Set(['queued', 'running']);
const POLL_MS = 1000;

export function formatEta(seconds: number | null): string | null {
  if (seconds === null || !Number.isFinite(seconds)) return null;
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min left`;
  return `about ${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min left`;
}

function elapsed(from: string | null, to: string | null): string | null {
  if (!from || !to) return null;
  const s = (new Date(to).getTime() - new Date(from).getTime()) / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${Math.round(s / 60)} min`;
}

export function AnalysisLive({
  lab,
  analysisId,
  initial,
  resultLayers,
  canCancel,
}: {
  lab: string;
  analysisId: string;
  initial: AnalysisProgressView;
  /** How many layers' results the server rendered (to know when to refresh). */
  resultLayers: number;
  canCancel: boolean;
}) {
  const router = useRouter();
  const [view, setView] = useState(initial);
  const [trouble, setTrouble] = useState<string | null>(null);
  const [cancelState, setCancelState] = useState<{ pending: boolean; error: string | null }>({ pending: false, error: null });
  const base = `/api/v1/labs/${encodeURIComponent(lab)}/analyses/${encodeURIComponent(analysisId)}`;
  const refreshedFor = useRef(`${initial.status}:${resultLayers}`);

  // A newer server render (after router.refresh) may be ahead of our last poll.
  useEffect(() => setView((v) => (initial.status !== v.status && !ACTIVE.has(initial.status) ? initial : v)), [initial]);

  const active = ACTIVE.has(view.status);
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const controller = new AbortController();
    const tick = async () => {
      if (stopped) return;
      if (document.hidden) {
        // No polling in background tabs; visibilitychange resumes.
        return;
      }
      try {
        const res = await fetch(`${base}/progress`, { cache: 'no-store', signal: controller.signal, headers: { accept: 'application/json' } });
        if (res.status === 401 || res.status === 403 || res.status === 404) {
          setTrouble(res.status === 401 ? 'You were signed out: reload the page after signing in.' : 'This analysis is no longer available to you.');
          return;
        }
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const next = ((await res.json()) as { progress: AnalysisProgressView }).progress;
        failures = 0;
        setTrouble(null);
        setView(next);
        if (!ACTIVE.has(next.status)) return;
      } catch (err) {
        if (stopped || (err as Error).name === 'AbortError') return;
        failures++;
        setTrouble('Lost contact with the server; retrying…');
      }
      timer = setTimeout(tick, Math.min(10_000, POLL_MS * 2 ** Math.min(failures, 4)));
    };
    const onVisible = () => {
      if (!document.hidden) {
        clearTimeout(timer);
        void tick();
      }
    };
    document.addEventListener('visibilitychange', onVisible);
    timer = setTimeout(tick, POLL_MS);
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [active, base]);

  // Results are server-rendered: refresh them when a layer lands or the run ends.
  const done = view.layers.filter((l) => l.status === 'completed').length;
  useEffect(() => {
    const key = `${view.status}:${done}`;
    if (key !== refreshedFor.current && (done > resultLayers || !ACTIVE.has(view.status))) {
      refreshedFor.current = key;
      router.refresh();
    }
  }, [view.status, done, resultLayers, router]);

  const cancel = async () => {
    if (!window.confirm('Cancel this analysis? Finished layers are kept.')) return;
    setCancelState({ pending: true, error: null });
    try {
      const res = await fetch(`${base}/cancel`, { method: 'POST' });
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      if (!res.ok) throw new Error(`${body.error ?? 'could not cancel'} (${res.status})`);
      setView((v) => ({ ...v, cancelRequested: true, status: v.status === 'queued' ? 'cancelled' : v.status }));
      setCancelState({ pending: false, error: null });
    } catch (err) {
      setCancelState({ pending: false, error: (err as Error).message });
    }
  };

  const resume = async () => {
    setCancelState({ pending: true, error: null });
    try {
      const res = await fetch(`${base}/resume`, { method: 'POST' });
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      if (!res.ok) throw new Error(`${body.error ?? 'could not resume'} (${res.status})`);
      setView((v) => ({ ...v, status: 'queued', cancelRequested: false, layers: v.layers.map((l) => (l.status === 'cancelled' ? { ...l, status: 'queued', progress: 0 } : l)) }));
      setCancelState({ pending: false, error: null });
    } catch (err) {
      setCancelState({ pending: false, error: (err as Error).message });
    }
  };

  // Never "completed" while the page still lacks some layers' results: those arrive with the refresh.
  const total = view.layers.length;
  const loadingLast = view.status === 'completed' && resultLayers < total;
  const pct = Math.round((view.status === 'completed' ? 1 : view.progress) * 100);
  const eta = view.status === 'running' ? formatEta(view.etaSeconds) : null;
  const statusText = loadingLast ? 'finishing' : view.status;
  const valueText = `${pct}%${view.currentLayer ? `, layer ${view.currentLayer}` : ''}${eta ? `, ${eta}` : ''}`;

  return (
    <section className="panel pa-live" aria-labelledby="pa-live-h">
      <div className="spread">
        <h2 id="pa-live-h" className="pa-live-title">
          Status <span className={`badge ${loadingLast ? 'running' : view.status}`}>{statusText}</span>
          {view.cancelRequested && view.status === 'running' ? <span className="small muted"> cancelling at the next check…</span> : null}
        </h2>
        {canCancel && view.status === 'cancelled' ? (
          <button type="button" className="secondary" onClick={resume} disabled={cancelState.pending}>
            {cancelState.pending ? 'Resuming…' : `Resume${done ? ` (keeps the ${done} finished layer${done === 1 ? '' : 's'})` : ''}`}
          </button>
        ) : null}
        {canCancel && active ? (
          <button type="button" className="danger" onClick={cancel} disabled={cancelState.pending || view.cancelRequested}>
            {cancelState.pending ? 'Cancelling…' : 'Cancel analysis'}
          </button>
        ) : null}
      </div>
      {cancelState.error ? (
        <p className="alert error" role="alert">
          {cancelState.error}
        </p>
      ) : null}
      <div
        className="pa-bar"
        role="progressbar"
        aria-label="Analysis progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-valuetext={valueText}
        data-status={view.status}
      >
        <div className={`pa-bar-fill pa-bar-${view.status}`} style={{ width: `${pct}%` }} />
      </div>
      <p className="pa-live-line" aria-live="polite">
        <strong>{pct}%</strong>
        {view.status === 'queued' ? ' · waiting for a worker' : null}
        {view.currentLayer ? (
          <>
            {' '}
            · layer <span className="mono">{view.currentLayer}</span>
          </>
        ) : null}
        {eta ? ` · ${eta}` : null}
        {total ? ` · ${done} of ${total} layers done` : null}
        {view.status === 'completed' && !loadingLast ? ` · finished in ${elapsed(view.startedAt, view.finishedAt) ?? '—'}` : null}
        {loadingLast ? ' · loading the last results…' : null}
      </p>
      {trouble ? (
        <p className="small pa-trouble" role="status">
          {trouble}
        </p>
      ) : null}
      {view.status === 'failed' ? (
        <p className="alert error" role="alert">
          <strong>The analysis failed:</strong> {view.error ?? 'no reason was recorded'}
          {done ? ` — the ${done} layer${done === 1 ? '' : 's'} finished before are shown below.` : ''}
        </p>
      ) : null}
      {view.status === 'cancelled' ? <p className="small muted">Cancelled{done ? `; the ${done} finished layer${done === 1 ? ' is' : 's are'} shown below` : ''}.</p> : null}
      {total ? (
        <table className="pa-tasks small">
          <caption className="sr-only">Layer tasks</caption>
          <TableHead columns={['Layer', { label: 'Channels', num: true }, 'Status', 'Progress']} />
          <tbody>
            {view.layers.map((l) => (
              <tr key={l.name} data-layer={l.name}>
                <td className="mono">{l.name}</td>
                <td className="num">{l.channels}</td>
                <td>
                  <span className={`pa-task-status pa-task-${l.status}`}>{l.status}</span>
                  {l.error ? <div className={l.status === 'failed' ? 'pa-task-error' : 'small muted'}>{l.status === 'failed' ? l.error : `retrying after: ${l.error}`}</div> : null}
                </td>
                <td>
                  <span className="pa-mini" aria-hidden="true">
                    <span style={{ width: `${Math.round(l.progress * 100)}%` }} />
                  </span>{' '}
                  {Math.round(l.progress * 100)}%
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
