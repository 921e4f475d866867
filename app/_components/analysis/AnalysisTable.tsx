'use client';
/**
 * The lab's analyses as a run table: summary columns (model, dataset, target,
 * statistic, channels beating noise, top channel, median score, duration,
 * who), sortable by any column, with tick boxes that open the comparison the
 * ticked analyses make (compare-ticks.ts). Sorting and ticks stay in the URL
 * (?sort=&dir=&tick=), so a link reproduces the selection.
 */
import Link from 'next/link';
import { useEffect, useMemo, useState } from 'react';
import type { AnalysisRow } from '@/lib/server/shared/analysis-table';
import { formatDuration } from '@/app/_components/discussion/time';
import { layerSegment } from '@/app/_components/layer-path';
import { compareTicked } from './compare-ticks';

type SortKey = 'title' | 'model' | 'dataset' | 'target' | 'statistic' | 'beatNoise' | 'top' | 'median' | 'seconds' | 'who' | 'createdAt';

const COLUMNS: { key: SortKey; label: string; num?: boolean; title?: string }[] = [
  { key: 'title', label: 'Analysis' },
  { key: 'model', label: 'Model' },
  { key: 'dataset', label: 'Dataset' },
  { key: 'target', label: 'Target' },
  { key: 'statistic', label: 'Statistic', title: 'The statistic channels are ranked by' },
  { key: 'beatNoise', label: 'Beat noise', num: true, title: "Channels whose q-value is below α under their layer's rule, of those with a verdict" },
  { key: 'top', label: 'Top channel', title: 'The channel with the highest ranking statistic over all layers' },
  { key: 'median', label: 'Median score', num: true, title: 'Median of the ranking statistic over all channels' },
  { key: 'seconds', label: 'Duration', num: true },
  { key: 'who', label: 'Who' },
  { key: 'createdAt', label: 'Created' },
];

function sortValue(r: AnalysisRow, k: SortKey): string | number | null {
  switch (k) {
    case 'model':
      return r.model.label;
    case 'beatNoise':
      return r.beatNoise === null ? null : r.beatNoise / Math.max(1, r.withVerdict);
    case 'top':
      return r.top?.score ?? null;
    default:
      return r[k];
  }
}

function compare(a: string | number | null, b: string | number | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1; // empty cells last either way
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true });
}

function readUrl(): { sort: SortKey; dir: 'asc' | 'desc'; tick: string[] } {
  const p = new URLSearchParams(window.location.search);
  const sort = (COLUMNS.find((c) => c.key === p.get('sort'))?.key ?? 'createdAt') as SortKey;
  return { sort, dir: p.get('dir') === 'asc' ? 'asc' : 'desc', tick: (p.get('tick') ?? '').split(',').filter(Boolean) };
}

export function AnalysisTable({ lab, rows }: { lab: string; rows: AnalysisRow[] }) {
  const [sort, setSort] = useState<SortKey>('createdAt');
  const [dir, setDir] = useState<'asc' | 'desc'>('desc');
  const [ticked, setTicked] = useState<string[]>([]);
  useEffect(() => {
    const u = readUrl();
    setSort(u.sort);
    setDir(u.dir);
    setTicked(u.tick.filter((id) => rows.some((r) => r.id === id)));
  }, [rows]);
  const sync = (next: { sort: SortKey; dir: string; tick: string[] }) => {
    const p = new URLSearchParams(window.location.search);
    p.set('sort', next.sort);
    p.set('dir', next.dir);
    if (next.tick.length) p.set('tick', next.tick.join(','));
    else p.delete('tick');
    window.history.replaceState(null, '', `?${p}${window.location.hash}`);
  };

  const sorted = useMemo(() => {
    const out = [...rows];
    out.sort((a, b) => {
      const va = sortValue(a, sort);
      const vb = sortValue(b, sort);
      if (va === null || vb === null) return compare(va, vb);
      return (dir === 'asc' ? 1 : -1) * compare(va, vb);
    });
    return out;
  }, [rows, sort, dir]);

  const sortBy = (k: SortKey) => {
    const nextDir = k === sort ? (dir === 'asc' ? 'desc' : 'asc') : k === 'title' || k === 'model' || k === 'dataset' || k === 'who' || k === 'target' || k === 'statistic' ? 'asc' : 'desc';
    setSort(k);
    setDir(nextDir);
    sync({ sort: k, dir: nextDir, tick: ticked });
  };
  const toggle = (id: string) => {
    const next = ticked.includes(id) ? ticked.filter((t) => t !== id) : [...ticked, id];
    setTicked(next);
    sync({ sort, dir, tick: next });
  };

  const chosen = ticked.map((id) => rows.find((r) => r.id === id)).filter((r): r is AnalysisRow => !!r);
  const comparison = compareTicked(lab, chosen);
  const base = `/labs/${encodeURIComponent(lab)}/analyses`;

  return (
    <div className="at-wrap">
      <div className="at-bar row" role="group" aria-label="Compare ticked analyses">
        <span className="small" aria-live="polite">
          {ticked.length} ticked
        </span>
        {comparison.href !== null ? (
          <Link className="button" href={comparison.href} data-testid="compare-ticked">
            {comparison.label}
          </Link>
        ) : (
          <span className="small muted" data-testid="compare-ticked-reason">
            {comparison.reason}
          </span>
        )}
        {ticked.length ? (
          <button type="button" className="secondary" onClick={() => (setTicked([]), sync({ sort, dir, tick: [] }))}>
            Clear ticks
          </button>
        ) : null}
      </div>
      <div className="at-scroll" tabIndex={0} role="region" aria-label="Analyses (scrolls sideways on narrow screens)">
        <table className="at-table" data-testid="analysis-table">
          <caption className="sr-only">Analyses of this lab with a summary of each result; column headings sort.</caption>
          <thead>
            <tr>
              <th scope="col">
                <span className="sr-only">Tick to compare</span>
              </th>
              {COLUMNS.map((c) => (
                <th key={c.key} scope="col" className={c.num ? 'num' : undefined} title={c.title} aria-sort={sort === c.key ? (dir === 'asc' ? 'ascending' : 'descending') : undefined}>
                  <button type="button" className={`pa-sort${sort === c.key ? ' pa-sorted' : ''}`} onClick={() => sortBy(c.key)}>
                    {c.label}
                    {sort === c.key ? <span aria-hidden="true">{dir === 'asc' ? ' ▲' : ' ▼'}</span> : null}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => (
              <RunRow key={r.id} r={r} base={base} ticked={ticked.includes(r.id)} onToggle={() => toggle(r.id)} />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** One analysis' row: its tick box, its summary cells and the links to it and to its top channel (`base`: the lab's analyses path). */
function RunRow({ r, base, ticked, onToggle }: { r: AnalysisRow; base: string; ticked: boolean; onToggle: () => void }) {
  return (
    <tr data-analysis={r.id} className={ticked ? 'at-ticked' : undefined}>
      <td>
        <input type="checkbox" checked={ticked} onChange={onToggle} aria-label={`Tick ${r.title} to compare`} />
      </td>
      <td>
        <Link href={`${base}/${r.id}`}>{r.title}</Link>
        <div className="small">
          <span className={`badge ${r.status}`}>{r.status}</span>
          {r.status === 'running' ? <span className="muted"> {Math.round(r.progress * 100)}%</span> : null}
        </div>
      </td>
      <td>{r.model.label}</td>
      <td>{r.dataset}</td>
      <td>{r.target}</td>
      <td className="small">{r.statistic}</td>
      <td className="num" data-col="beat-noise">
        {r.channels === 0 ? '—' : r.beatNoise === null ? <span className="muted" title="Ran without a null of its ranking statistic: no beats-noise claim">not calibrated</span> : `${r.beatNoise} of ${r.withVerdict}`}
      </td>
      <td className="small" data-col="top">
        {r.top ? (
          <Link href={`${base}/${r.id}/layers/${layerSegment(r.top.layer)}/channels/${r.top.channel}`}>
            <span className="mono">{r.top.layer}</span> #{r.top.channel} ({r.top.score.toFixed(3)})
          </Link>
        ) : (
          '—'
        )}
      </td>
      <td className="num">{r.median === null ? '—' : r.median.toFixed(3)}</td>
      <td className="num">{formatDuration(r.seconds)}</td>
      <td>{r.who}</td>
      <td className="small">
        <time dateTime={r.createdAt}>{r.createdAt.slice(0, 16).replace('T', ' ')}</time>
      </td>
    </tr>
  );
}
