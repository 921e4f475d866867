'use client';

/**
 * The timeline: analyses newest first, grouped by UTC day. Queued and running
 * ones poll GET /api/v1/labs/:lab/history/live every few seconds (only while
 * the tab is visible) so their progress moves; when one finishes the page is
 * refreshed so the chart and durations catch up.
 */
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import type { HistoryEntry, LiveState } from '@/lib/server/shared/payloads';
import { discussionHref } from '@/app/_components/discussion/links';
import { exactTime, formatDuration, relativeTime } from '@/app/_components/discussion/time';
import { useNow } from '@/app/_components/discussion/useNow';

const POLL_MS = 3000;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const ACTIVE = new Set(['queued', 'running']);

export function Timeline({ lab, entries }: { lab: string; entries: HistoryEntry[] }) {
  const router = useRouter();
  const now = useNow(POLL_MS);
  const [live, setLive] = useState<Record<string, LiveState>>({});
  const [pollError, setPollError] = useState<string | null>(null);
  // New server data replaces what polling learnt.
  useEffect(() => setLive({}), [entries]);

  const rows = useMemo(() => entries.map((e) => ({ ...e, ...(live[e.id] ?? {}) })), [entries, live]);
  const activeIds = rows.filter((r) => ACTIVE.has(r.status)).map((r) => r.id);
  const activeKey = activeIds.join(',');

  useEffect(() => {
    if (!activeKey) return;
    let stopped = false;
    const tick = async () => {
      if (document.hidden) return;
      try {
        const res = await fetch(`/api/v1/labs/${encodeURIComponent(lab)}/history/live?ids=${activeKey}`, { cache: 'no-store' });
        const body = await res.json();
        if (!res.ok) throw new Error(body?.error ?? `HTTP ${res.status}`);
        if (stopped) return;
        setPollError(null);
        const next: Record<string, LiveState> = {};
        for (const s of body.analyses as LiveState[]) next[s.id] = s;
        setLive((old) => ({ ...old, ...next }));
        if ((body.analyses as LiveState[]).some((s) => !ACTIVE.has(s.status))) router.refresh();
      } catch (err) {
        if (!stopped) setPollError(`Live progress paused: ${(err as Error).message}`);
      }
    };
    const t = setInterval(tick, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, [activeKey, lab, router]);

  const byDay = useMemo(() => {
    const groups: { day: string; rows: typeof rows }[] = [];
    for (const r of rows) {
      const day = r.createdAt.slice(0, 10);
      if (groups.at(-1)?.day !== day) groups.push({ day, rows: [] });
      groups.at(-1)!.rows.push(r);
    }
    return groups;
  }, [rows]);

  const base = `/labs/${encodeURIComponent(lab)}`;
  return (
    <>
      {pollError ? (
        <p className="alert error small" role="alert">
          {pollError}
        </p>
      ) : null}
      <ol className="hist-timeline" aria-label="Analyses, newest first">
        {byDay.map((g) => (
          <li key={g.day} className="hist-day">
            <h3 className="hist-day-h">
              <time dateTime={g.day}>{new Date(`${g.day}T00:00:00Z`).toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })}</time>
            </h3>
            <ol className="hist-day-list">
              {g.rows.map((a) => {
                // Clamped: a server clock slightly ahead of this browser's must not show negative times.
                const elapsed = a.startedAt && !a.finishedAt ? Math.max(0, (now - new Date(a.startedAt).getTime()) / 1000) : null;
                return (
                  <li key={a.id} className="hist-entry" data-analysis={a.id} data-status={a.status}>
                    <div className="hist-entry-head">
                      <Link href={`${base}/analyses/${encodeURIComponent(a.id)}`} className="hist-title">
                        {a.title ?? a.id}
                      </Link>
                      <span className={`badge ${a.status}`}>{a.status}</span>
                      {a.cancelRequested && a.status === 'running' ? <span className="small muted">cancel requested</span> : null}
                    </div>
                    {a.status === 'running' ? (
                      <div className="hist-progress small">
                        <progress value={a.progress} max={1} aria-label={`Progress of ${a.title ?? a.id}`} />
                        <span>
                          {Math.round(a.progress * 100)}%{a.currentLayer ? ` · ${a.currentLayer}` : ''}
                          {a.etaSeconds ? ` · about ${formatDuration(a.etaSeconds)} left` : ''}
                        </span>
                      </div>
                    ) : null}
                    <p className="hist-meta small">
                      <span title="model">
                        {a.model.name} v{a.model.version}
                      </span>
                      <span title="dataset">{a.dataset.name}</span>
                      <span title="target">{a.targetLabel}</span>
                      <span>
                        by <strong>{a.person.name}</strong>{' '}
                        <time dateTime={a.createdAt} title={exactTime(a.createdAt)} suppressHydrationWarning>
                          {relativeTime(a.createdAt, now)}
                        </time>
                      </span>
                      <span title="duration" suppressHydrationWarning>
                        {a.durationSeconds !== null
                          ? `took ${formatDuration(a.durationSeconds)}`
                          : elapsed !== null
                            ? `running for ${formatDuration(elapsed)}`
                            : a.status === 'queued'
                              ? 'waiting for a worker'
                              : '—'}
                      </span>
                      <Link href={discussionHref(lab, a.id)} className="hist-counts" title="Open the discussion">
                        {plural(a.comments, 'comment')} · {plural(a.pins, 'pin')}
                      </Link>
                    </p>
                    {a.error ? <p className="hist-error small">{a.error}</p> : null}
                  </li>
                );
              })}
            </ol>
          </li>
        ))}
      </ol>
    </>
  );
}
