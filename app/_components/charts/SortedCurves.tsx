'use client';
/**
 * Sorted curves (the PCACE paper's Fig. 6): each series' values sorted best
 * first and drawn against their rank normalised to 0..1, so layers with 32 and
 * 512 channels share one x axis. Points are keyboard-focusable (one tab stop;
 * arrows move along a curve, up/down switch curves), the nearest point follows
 * the mouse, legend entries toggle curves, and a data table is one click away.
 */
import * as d3 from 'd3';
import { useId, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';
import { AxisBottom, AxisLeft, ChartFrame, ChartTooltip, FONT, INK, MUTED, palette, type Tip } from './parts';

export interface CurvePoint {
  /** What the point is (channel index): shown in the tooltip and the table. */
  id: string | number;
  value: number;
  /** Extra tooltip line (e.g. "does not beat the permutation null"). */
  note?: string;
}

export interface CurveSeries {
  key: string;
  label: string;
  points: CurvePoint[];
  color?: string;
}

export interface SortedCurvesProps {
  series: CurveSeries[];
  title: string;
  yLabel: string;
  xLabel?: string;
  /** Name of a point's id in tooltips and the table. */
  idLabel?: string;
  /** 'desc': largest value ranks first (scores); 'asc': smallest first (p-values). */
  order?: 'desc' | 'asc';
  /** A horizontal reference line, e.g. the noise level. */
  reference?: { value: number; label: string };
  yDomain?: [number, number];
  format?: (v: number) => string;
  width?: number;
  height?: number;
  filename?: string;
  caption?: ReactNode;
}

interface Placed {
  s: number;
  i: number;
  id: string | number;
  value: number;
  note?: string;
  x: number;
  px: number;
  py: number;
}

const exact = d3.format('.6~g');

export function SortedCurves({
  series,
  title,
  yLabel,
  xLabel = 'Rank, normalised (0 = first, 1 = last)',
  idLabel = 'channel',
  order = 'desc',
  reference,
  yDomain,
  format,
  width = 880,
  height = 380,
  filename,
  caption,
}: SortedCurvesProps) {
  const uid = useId();
  const svgRef = useRef<SVGSVGElement>(null);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [focus, setFocus] = useState<{ s: number; i: number } | null>(null);
  const [hover, setHover] = useState<{ s: number; i: number } | null>(null);
  const [showTable, setShowTable] = useState(false);

  const legendW = series.length > 1 ? 170 : 0;
  const m = { top: 16, right: 16 + legendW, bottom: 50, left: 62 };
  const H = Math.max(height, m.top + 18 * series.length + 24);
  const colors = palette(series.length);

  // Sort once per data change: best first, non-finite values left out.
  const sorted = useMemo(
    () =>
      series.map((s) => {
        const pts = s.points.filter((p) => Number.isFinite(p.value));
        pts.sort((a, b) => (order === 'desc' ? b.value - a.value : a.value - b.value) || String(a.id).localeCompare(String(b.id), undefined, { numeric: true }));
        return pts;
      }),
    [series, order],
  );

  // Scales and pixel positions change with the data and size only, not with hover/focus.
  const { x, y, placed } = useMemo(() => {
    const x = d3.scaleLinear().domain([0, 1]).range([m.left, width - m.right]);
    const all = sorted.flat().map((p) => p.value);
    const [lo, hi] = yDomain ?? [Math.min(0, d3.min(all) ?? 0, reference?.value ?? 0), Math.max(d3.max(all) ?? 1, reference?.value ?? 0)];
    const y = d3
      .scaleLinear()
      .domain(lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi])
      .nice()
      .range([H - m.bottom, m.top]);
    const placed: Placed[][] = sorted.map((pts, s) =>
      pts.map((p, i) => {
        const xn = pts.length === 1 ? 0 : i / (pts.length - 1);
        return { s, i, id: p.id, value: p.value, note: p.note, x: xn, px: x(xn), py: y(p.value) };
      }),
    );
    return { x, y, placed };
  }, [sorted, width, H, legendW, yDomain?.[0], yDomain?.[1], reference?.value]);
  const flat = useMemo(() => placed.filter((_, s) => !hidden.has(series[s].key)).flat(), [placed, hidden, series]);
  const delaunay = useMemo(() => d3.Delaunay.from(flat, (p) => p.px, (p) => p.py), [flat]);
  const line = d3
    .line<Placed>()
    .x((p) => p.px)
    .y((p) => p.py);

  const active = hover ?? focus;
  const activePoint = active ? placed[active.s]?.[active.i] : undefined;
  const tip: Tip | null = activePoint
    ? {
        x: activePoint.px,
        y: activePoint.py,
        lines: [
          series[activePoint.s].label,
          `${idLabel} ${activePoint.id}`,
          `rank ${activePoint.i + 1} of ${placed[activePoint.s].length} (x = ${activePoint.x.toFixed(3)})`,
          `${yLabel}: ${exact(activePoint.value)}`,
          ...(activePoint.note ? [activePoint.note] : []),
        ],
      }
    : null;

  // The one tab stop: the focused point, else the first point of the first visible curve.
  const firstVisible = series.findIndex((s, i) => !hidden.has(s.key) && placed[i].length > 0);
  const tabStop = focus && !hidden.has(series[focus.s]?.key) ? focus : firstVisible >= 0 ? { s: firstVisible, i: 0 } : null;

  const moveTo = (s: number, i: number) => {
    setFocus({ s, i });
    setHover(null);
    svgRef.current?.querySelector<SVGElement>(`[data-point="${s}-${i}"]`)?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<SVGSVGElement>) => {
    const target = e.target as Element;
    if (!target.hasAttribute('data-point') || !focus) return;
    const { s, i } = focus;
    const n = placed[s].length;
    const visibleIdx = series.map((_, k) => k).filter((k) => !hidden.has(series[k].key) && placed[k].length > 0);
    const pos = visibleIdx.indexOf(s);
    const nearest = (k: number) => Math.round(placed[s][i].x * (placed[k].length - 1));
    const keys: Record<string, () => void> = {
      ArrowRight: () => moveTo(s, Math.min(n - 1, i + 1)),
      ArrowLeft: () => moveTo(s, Math.max(0, i - 1)),
      Home: () => moveTo(s, 0),
      End: () => moveTo(s, n - 1),
      PageDown: () => moveTo(s, Math.min(n - 1, i + Math.max(1, Math.round(n / 10)))),
      PageUp: () => moveTo(s, Math.max(0, i - Math.max(1, Math.round(n / 10)))),
      ArrowDown: () => pos < visibleIdx.length - 1 && moveTo(visibleIdx[pos + 1], nearest(visibleIdx[pos + 1])),
      ArrowUp: () => pos > 0 && moveTo(visibleIdx[pos - 1], nearest(visibleIdx[pos - 1])),
      Escape: () => {
        setFocus(null);
        (target as SVGElement).blur();
      },
    };
    if (keys[e.key]) {
      e.preventDefault();
      keys[e.key]();
    }
  };

  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    const svg = svgRef.current;
    const ctm = svg?.getScreenCTM();
    if (!svg || !ctm || flat.length === 0) return;
    const pt = new DOMPoint(e.clientX, e.clientY).matrixTransform(ctm.inverse());
    const p = flat[delaunay.find(pt.x, pt.y)];
    setHover(p && Math.hypot(p.px - pt.x, p.py - pt.y) < 40 ? { s: p.s, i: p.i } : null);
  };

  const toggle = (key: string) =>
    setHidden((h) => {
      const next = new Set(h);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  const fmt = format ?? ((v: number) => d3.format('.2~f')(v));
  const total = placed.reduce((a, p) => a + p.length, 0);

  return (
    <ChartFrame
      title={title}
      filename={filename}
      svgRef={svgRef}
      caption={caption}
      data={() => placed.flatMap((pts, s) => pts.map((p) => ({ series: series[s].label, rank: p.i + 1, x: p.x, [idLabel]: p.id, value: p.value })))}
    >
      <div className="pc-chart-plot">
        <svg
          ref={svgRef}
          viewBox={`0 0 ${width} ${H}`}
          className="pc-chart-svg"
          role="group"
          aria-labelledby={`${uid}-desc`}
          fontFamily={FONT}
          onKeyDown={onKeyDown}
          onPointerMove={onPointerMove}
          onPointerLeave={() => setHover(null)}
          data-chart="sorted-curves"
        >
          <desc id={`${uid}-desc`}>
            {`${title}: ${series.length} curve${series.length === 1 ? '' : 's'}, ${total} points; ${yLabel} against ${xLabel}. Tab to the points, then use the arrow keys.`}
          </desc>
          <AxisLeft scale={y} x={m.left} label={yLabel} grid={width - m.left - m.right} format={fmt} />
          <AxisBottom scale={x} y={H - m.bottom} label={xLabel} />
          {reference ? (
            <g data-reference="">
              <line x1={m.left} x2={width - m.right} y1={y(reference.value)} y2={y(reference.value)} stroke={MUTED} strokeDasharray="5 4" />
              <text x={width - m.right - 4} y={y(reference.value) - 5} textAnchor="end" fontSize={11} fill={MUTED}>
                {reference.label}
              </text>
            </g>
          ) : null}
          {placed.map((pts, s) =>
            hidden.has(series[s].key) ? null : (
              <g key={series[s].key} data-series={series[s].key} data-count={pts.length} role="list" aria-label={`${series[s].label}: ${pts.length} points`}>
                <path d={line(pts) ?? ''} fill="none" stroke={series[s].color ?? colors[s]} strokeWidth={1.75} aria-hidden="true" />
                {pts.map((p) => (
                  <circle
                    key={p.i}
                    data-point={`${s}-${p.i}`}
                    role="listitem"
                    aria-label={`${series[s].label}, ${idLabel} ${p.id}, rank ${p.i + 1} of ${pts.length}, ${yLabel} ${exact(p.value)}${p.note ? `, ${p.note}` : ''}`}
                    tabIndex={tabStop && tabStop.s === s && tabStop.i === p.i ? 0 : -1}
                    cx={p.px}
                    cy={p.py}
                    r={pts.length > 150 ? 1.8 : 2.8}
                    fill={series[s].color ?? colors[s]}
                    onFocus={() => setFocus({ s, i: p.i })}
                    onBlur={() => setFocus((f) => (f && f.s === s && f.i === p.i ? null : f))}
                  />
                ))}
              </g>
            ),
          )}
          {activePoint ? (
            <circle cx={activePoint.px} cy={activePoint.py} r={6} fill="none" stroke={INK} strokeWidth={2} data-export="skip" pointerEvents="none" />
          ) : null}
          {legendW > 0 ? (
            <g transform={`translate(${width - legendW + 12},${m.top})`} fontSize={12} data-legend="">
              {series.map((s, k) => (
                <g
                  key={s.key}
                  transform={`translate(0,${k * 18})`}
                  role="button"
                  tabIndex={0}
                  aria-pressed={!hidden.has(s.key)}
                  aria-label={`Show ${s.label}`}
                  style={{ cursor: 'pointer' }}
                  opacity={hidden.has(s.key) ? 0.35 : 1}
                  onClick={() => toggle(s.key)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' || e.key === ' ') {
                      e.preventDefault();
                      toggle(s.key);
                    }
                  }}
                >
                  <title>{s.label}</title>
                  <rect width={22} height={12} y={-1} fill="transparent" />
                  <line x1={0} x2={18} y1={5} y2={5} stroke={s.color ?? colors[k]} strokeWidth={3} />
                  <text x={24} y={9} fill={INK}>
                    {s.label.length > 20 ? `${s.label.slice(0, 19)}…` : s.label}
                  </text>
                </g>
              ))}
            </g>
          ) : null}
        </svg>
        <ChartTooltip tip={tip} width={width} height={H} />
      </div>
      <details className="pc-chart-table" onToggle={(e) => setShowTable((e.target as HTMLDetailsElement).open)}>
        <summary>Data table ({total} points)</summary>
        {showTable ? (
          <div className="pc-chart-table-scroll">
            <table className="small">
              <caption className="sr-only">{title}</caption>
              <thead>
                <tr>
                  <th scope="col">Curve</th>
                  <th scope="col" className="num">
                    Rank
                  </th>
                  <th scope="col" className="num">
                    x
                  </th>
                  <th scope="col" className="num">
                    {idLabel}
                  </th>
                  <th scope="col" className="num">
                    {yLabel}
                  </th>
                </tr>
              </thead>
              <tbody>
                {placed.flatMap((pts, s) =>
                  pts.map((p) => (
                    <tr key={`${s}-${p.i}`}>
                      <td className="mono">{series[s].label}</td>
                      <td className="num">{p.i + 1}</td>
                      <td className="num">{p.x.toFixed(3)}</td>
                      <td className="num">{p.id}</td>
                      <td className="num">{exact(p.value)}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </div>
        ) : null}
      </details>
    </ChartFrame>
  );
}
