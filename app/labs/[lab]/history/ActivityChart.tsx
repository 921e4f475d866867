'use client';

/**
 * The team's activity: analyses created per UTC day, stacked by status or by
 * person. D3 computes the stack and scales; React draws the bars and the
 * chart kit's axes.
 * One tab stop: ←/→ (Home/End) walk the days, the tooltip shows the exact
 * counts and a live region reads them out; Enter (or a click) narrows the
 * history to that day. The numbers are also in a data table under the chart.
 */
import * as d3 from 'd3';
import { useRouter } from 'next/navigation';
import { useId, useMemo, useState, type KeyboardEvent } from 'react';
import { AxisBottom, AxisLeft } from '@/app/_components/charts/axes';
import { cursorStep, type CursorPoint } from '@/app/_components/charts/cursor';
import { categorical } from '@/app/_components/charts/theme';
import type { Activity } from '@/lib/server/shared/payloads';

const W = 900;
const H = 260;
const M = { top: 12, right: 12, bottom: 28, left: 36 };

const STATUS_COLORS: Record<string, string> = {
  completed: '#1c7a43',
  running: '#2453c7',
  queued: '#8a94a6',
  failed: '#b3261e',
  cancelled: '#c9ccd2',
};

const dayDate = (day: string) => new Date(`${day}T00:00:00Z`);
const shortDay = d3.utcFormat('%b %-d');
const longDay = d3.utcFormat('%a %-d %b %Y');

export function ActivityChart({ activity, dayHref }: { activity: Activity; /** The history URL for one day, with `{day}` where the date goes. */ dayHref: string }) {
  const { days, series, group } = activity;
  const router = useRouter();
  const openDay = (day: string) => router.push(dayHref.replaceAll('{day}', day), { scroll: false });
  const uid = useId();
  const [active, setActive] = useState<number | null>(null);

  const color = useMemo(() => {
    const people = categorical(series.map((s) => s.key));
    return (key: string) => (group === 'status' ? (STATUS_COLORS[key] ?? '#999') : people(key));
  }, [series, group]);

  const { x, y, stacked } = useMemo(() => {
    const x = d3
      .scaleBand<string>()
      .domain(days.map((d) => d.day))
      .range([M.left, W - M.right])
      .paddingInner(days.length > 60 ? 0.1 : 0.2);
    const max = d3.max(days, (d) => d.total) ?? 0;
    const y = d3
      .scaleLinear()
      .domain([0, Math.max(1, max)])
      .nice()
      .range([H - M.bottom, M.top]);
    const stacked = d3
      .stack<Activity['days'][number], string>()
      .keys(series.map((s) => s.key))
      .value((d, key) => d.counts[key] ?? 0)(days);
    return { x, y, stacked };
  }, [days, series]);

  // A tick every tenth of the range; integer counts only.
  const step = Math.max(1, Math.ceil(days.length / 10));
  const xTicks = days.filter((_, i) => i % step === 0).map((d) => d.day);
  const yTicks = y.ticks(Math.min(5, y.domain()[1])).filter(Number.isInteger);
  // The days as cursor points: one group, walked left to right.
  const cursor = useMemo<CursorPoint[]>(() => days.map((d) => ({ px: x(d.day) ?? 0, py: 0, g: 0 })), [days, x]);

  const total = d3.sum(days, (d) => d.total);
  const focus = active === null ? null : days[active];
  const describe = (d: Activity['days'][number]) =>
    `${longDay(dayDate(d.day))}: ${d.total} ${d.total === 1 ? 'analysis' : 'analyses'}` +
    (d.total ? ` — ${series.filter((s) => d.counts[s.key]).map((s) => `${d.counts[s.key]} ${s.label}`).join(', ')}` : '');

  const onKey = (e: KeyboardEvent<SVGSVGElement>) => {
    if (e.key === 'Enter') {
      if (!focus) return;
      e.preventDefault();
      openDay(focus.day);
      return;
    }
    const last = days.length - 1;
    const next = cursorStep(e.key, cursor, [cursor.map((_, i) => i)], active ?? last);
    if (next === undefined) return;
    e.preventDefault();
    // The cursor starts at the latest day.
    setActive(active === null && next !== null ? last : next);
  };

  const tipLeft = focus ? ((x(focus.day)! + x.bandwidth() / 2) / W) * 100 : 0;
  return (
    <figure className="hist-chart" aria-labelledby={`${uid}-cap`}>
      <figcaption id={`${uid}-cap`} className="spread">
        <span>
          <strong>Analyses per day</strong>, by {group} · {activity.from} to {activity.to} (UTC) · {total} in all
          {activity.clipped ? <span className="muted"> · the chart shows the last {days.length} days of the range</span> : null}
        </span>
        <ul className="hist-legend" aria-label="Legend">
          {series.map((s) => (
            <li key={s.key}>
              <span className="hist-swatch" style={{ background: color(s.key) }} aria-hidden="true" />
              {s.label} <span className="muted">{d3.sum(days, (d) => d.counts[s.key] ?? 0)}</span>
            </li>
          ))}
        </ul>
      </figcaption>
      <div className="hist-chart-box">
        <svg
          viewBox={`0 0 ${W} ${H}`}
          className="hist-svg"
          role="group"
          aria-roledescription="bar chart"
          tabIndex={0}
          aria-label={`Bar chart of analyses per day. ${total} analyses from ${activity.from} to ${activity.to}. Use the left and right arrow keys to read each day, Enter to show that day's analyses.`}
          aria-describedby={`${uid}-live`}
          onKeyDown={onKey}
          onFocus={() => setActive((a) => a ?? days.length - 1)}
          onBlur={() => setActive(null)}
          onMouseLeave={() => setActive(null)}
        >
          <AxisLeft scale={y} at={M.left} tickValues={yTicks} format={d3.format('d')} tickSize={6} />
          <AxisBottom scale={x} at={H - M.bottom} tickValues={xTicks} format={(d) => shortDay(dayDate(d))} tickSize={6} />
          {stacked.map((layer) => (
            <g key={layer.key} fill={color(layer.key)}>
              {layer.map((seg, i) =>
                seg[1] > seg[0] ? (
                  <rect
                    key={days[i].day}
                    className="hist-bar"
                    data-day={days[i].day}
                    data-key={layer.key}
                    data-count={seg[1] - seg[0]}
                    x={x(days[i].day)}
                    width={x.bandwidth()}
                    y={y(seg[1])}
                    height={Math.max(0, y(seg[0]) - y(seg[1]))}
                    opacity={active === null || active === i ? 1 : 0.45}
                  />
                ) : null,
              )}
            </g>
          ))}
          {/* Full-height hit areas: thin or empty days are as easy to point at as tall ones. */}
          {days.map((d, i) => (
            <rect
              key={d.day}
              className="hist-hit"
              data-day={d.day}
              x={(x(d.day) ?? 0) - (x.step() - x.bandwidth()) / 2}
              width={x.step()}
              y={M.top}
              height={H - M.top - M.bottom}
              fill="transparent"
              onMouseEnter={() => setActive(i)}
              onClick={() => openDay(d.day)}
            />
          ))}
          {total === 0 ? (
            <text x={W / 2} y={H / 2} textAnchor="middle" className="hist-empty-text">
              No analyses in this range
            </text>
          ) : null}
        </svg>
        {focus ? (
          <div className="hist-tip" role="presentation" style={{ left: `${tipLeft}%` }} data-day={focus.day}>
            <strong>{longDay(dayDate(focus.day))}</strong>
            <table>
              <tbody>
                {series.map((s) => (
                  <tr key={s.key} className={focus.counts[s.key] ? undefined : 'muted'}>
                    <td>
                      <span className="hist-swatch" style={{ background: color(s.key) }} aria-hidden="true" /> {s.label}
                    </td>
                    <td className="num">{focus.counts[s.key] ?? 0}</td>
                  </tr>
                ))}
                <tr>
                  <td>total</td>
                  <td className="num">{focus.total}</td>
                </tr>
              </tbody>
            </table>
          </div>
        ) : null}
      </div>
      <p id={`${uid}-live`} className="sr-only" aria-live="polite">
        {focus ? describe(focus) : ''}
      </p>
      <details className="hist-data small">
        <summary>Data table</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              {series.map((s) => (
                <th key={s.key} scope="col" className="num">
                  {s.label}
                </th>
              ))}
              <th scope="col" className="num">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {days
              .filter((d) => d.total > 0)
              .map((d) => (
                <tr key={d.day}>
                  <th scope="row">{d.day}</th>
                  {series.map((s) => (
                    <td key={s.key} className="num">
                      {d.counts[s.key] ?? 0}
                    </td>
                  ))}
                  <td className="num">{d.total}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
