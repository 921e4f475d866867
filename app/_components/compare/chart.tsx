'use client';
/**
 * What every compare chart shares: axes drawn by React from d3 scales (so
 * exports contain them), a figure with its download buttons, and one cursor
 * for mouse and keyboard. Charts draw with inline attributes only: the SVG
 * and PNG exports (./export) must look like the page.
 *
 * The keyboard cursor is one tab stop per chart (the SVG itself), not one per
 * point: a full-network curve has ~9,000 points and a focusable element each
 * would cost more than drawing them.
 */
import * as d3 from 'd3';
import { useMemo, useRef, useState, type KeyboardEvent, type PointerEvent, type ReactNode, type RefObject } from 'react';
import { exportCsv, exportJson, exportPng, exportSvg, fileSlug } from './export';

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
export const INK = '#1d1f23';
export const MUTED = '#5c6370';
export const GRID = '#e6e8ec';
/** Network / run A and B: blue and orange stay apart for the common colour-vision deficiencies. */
export const SIDE_COLORS = ['#2453c7', '#d9730d'] as const;
// ASCII minus in the numbers people copy out of tooltips and tables (d3's default is U+2212).
const numbers = d3.formatLocale({ decimal: '.', thousands: ',', grouping: [3], currency: ['', ''], minus: '-' });
export const exact = numbers.format('.6~g');
export const fmt3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : numbers.format('.3~f')(v));
export const fmtP = (p: number | null | undefined) => (p === null || p === undefined ? '—' : p < 1e-4 ? numbers.format('.2~e')(p) : numbers.format('.4~f')(p));
export const stars = (p: number | null | undefined) => (p === null || p === undefined ? '' : p < 0.001 ? '***' : p < 0.01 ? '**' : p < 0.05 ? '*' : '');

type Linear = d3.ScaleLinear<number, number>;

export function AxisBottom({ scale, y, label, ticks = 6, format }: { scale: Linear; y: number; label: string; ticks?: number; format?: (v: number) => string }) {
  const [x0, x1] = scale.range();
  const f = format ?? scale.tickFormat(ticks);
  return (
    <g transform={`translate(0,${y})`} fontFamily={FONT} fontSize={11} fill={MUTED} data-axis="x">
      <line x1={x0} x2={x1} stroke={MUTED} />
      {scale.ticks(ticks).map((t) => (
        <g key={t} transform={`translate(${scale(t)},0)`}>
          <line y2={5} stroke={MUTED} />
          <text y={17} textAnchor="middle">
            {f(t)}
          </text>
        </g>
      ))}
      <text x={(x0 + x1) / 2} y={36} textAnchor="middle" fill={INK} fontSize={12} data-axis-label="x">
        {label}
      </text>
    </g>
  );
}

export function AxisLeft({ scale, x, label, ticks = 5, format, grid }: { scale: Linear; x: number; label: string; ticks?: number; format?: (v: number) => string; grid?: number }) {
  const [y0, y1] = scale.range();
  const f = format ?? scale.tickFormat(ticks);
  return (
    <g transform={`translate(${x},0)`} fontFamily={FONT} fontSize={11} fill={MUTED} data-axis="y">
      <line y1={y0} y2={y1} stroke={MUTED} />
      {scale.ticks(ticks).map((t) => (
        <g key={t} transform={`translate(0,${scale(t)})`}>
          {grid ? <line x2={grid} stroke={GRID} /> : null}
          <line x2={-5} stroke={MUTED} />
          <text x={-8} dy="0.32em" textAnchor="end">
            {f(t)}
          </text>
        </g>
      ))}
      <text transform={`translate(${-x + 14},${(y0 + y1) / 2}) rotate(-90)`} textAnchor="middle" fill={INK} fontSize={12} data-axis-label="y">
        {label}
      </text>
    </g>
  );
}

export interface Tip {
  x: number;
  y: number;
  lines: string[];
}

/** A point the cursor can stop at: pixel position (viewBox units) and its group (series). */
export interface CursorPoint {
  px: number;
  py: number;
  g: number;
}

/**
 * Nearest point under the mouse (Delaunay), and the keyboard: ←/→ along the
 * group, ↑/↓ to the nearest point of the previous/next group, Home/End,
 * PageUp/PageDown by a tenth, Escape to leave.
 */
export function useCursor(points: CursorPoint[], svgRef: RefObject<SVGSVGElement | null>, radius = 36) {
  const [index, setIndex] = useState<number | null>(null);
  // Built on the first pointer move, not with the chart: ~9,000 points would delay the first paint.
  const delaunayRef = useRef<{ of: CursorPoint[]; d: d3.Delaunay<CursorPoint> } | null>(null);
  const delaunay = () => {
    if (delaunayRef.current?.of !== points) delaunayRef.current = { of: points, d: d3.Delaunay.from(points, (p) => p.px, (p) => p.py) };
    return delaunayRef.current.d;
  };
  const groups = useMemo(() => {
    const out = new Map<number, number[]>();
    points.forEach((p, i) => {
      const g = out.get(p.g);
      if (g) g.push(i);
      else out.set(p.g, [i]);
    });
    return [...out.values()];
  }, [points]);
  const current = index !== null && index < points.length ? index : null;

  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    const ctm = svgRef.current?.getScreenCTM();
    if (!ctm || points.length === 0) return;
    const pt = new DOMPoint(e.clientX, e.clientY).matrixTransform(ctm.inverse());
    const i = delaunay().find(pt.x, pt.y);
    setIndex(Math.hypot(points[i].px - pt.x, points[i].py - pt.y) < radius ? i : null);
  };
  const onKeyDown = (e: KeyboardEvent<SVGSVGElement>) => {
    if (points.length === 0) return;
    const i = current ?? 0;
    const group = groups.findIndex((g) => g.includes(i));
    const members = groups[group];
    const pos = members.indexOf(i);
    const jump = Math.max(1, Math.round(members.length / 10));
    const toGroup = (k: number) => {
      const other = groups[k];
      if (!other) return i;
      return other.reduce((best, j) => (Math.abs(points[j].px - points[i].px) < Math.abs(points[best].px - points[i].px) ? j : best), other[0]);
    };
    const moves: Record<string, () => number | null> = {
      ArrowRight: () => (current === null ? members[0] : members[Math.min(members.length - 1, pos + 1)]),
      ArrowLeft: () => members[Math.max(0, pos - 1)],
      Home: () => members[0],
      End: () => members[members.length - 1],
      PageDown: () => members[Math.min(members.length - 1, pos + jump)],
      PageUp: () => members[Math.max(0, pos - jump)],
      ArrowDown: () => toGroup(group + 1),
      ArrowUp: () => toGroup(group - 1),
      Escape: () => null,
    };
    if (!moves[e.key]) return;
    e.preventDefault();
    setIndex(moves[e.key]());
  };
  return {
    index: current,
    setIndex,
    handlers: {
      onPointerMove,
      onPointerLeave: () => setIndex(null),
      onKeyDown,
      onFocus: () => setIndex((i) => i ?? (points.length ? 0 : null)),
      onBlur: () => setIndex(null),
    },
  };
}

type Row = Record<string, string | number | boolean | null | undefined>;

/**
 * A chart's figure: heading, downloads (SVG, PNG, CSV of the plotted data,
 * JSON), the chart with its tooltip, and a caption saying how to read it.
 */
export function Figure({
  title,
  file,
  svgRef,
  rows,
  json,
  tip,
  width,
  height,
  caption,
  children,
  testId,
}: {
  title: string;
  file: string;
  svgRef: RefObject<SVGSVGElement | null>;
  rows: () => Row[];
  json?: () => unknown;
  tip: Tip | null;
  width: number;
  height: number;
  caption?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  const [error, setError] = useState<string | null>(null);
  const base = fileSlug(file);
  const run = (fn: () => void | Promise<void>) => async () => {
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const svgNow = () => {
    if (!svgRef.current) throw new Error('the chart is not drawn yet');
    return svgRef.current;
  };
  return (
    <figure className="cmp-figure" data-testid={testId}>
      <div className="cmp-figure-head">
        <h3>{title}</h3>
        <div className="cmp-tools" role="group" aria-label={`Download ${title}`}>
          <button type="button" className="secondary" onClick={run(() => exportSvg(svgNow(), `${base}.svg`))} aria-label={`${title}: download SVG`}>
            SVG
          </button>
          <button type="button" className="secondary" onClick={run(() => exportPng(svgNow(), `${base}.png`))} aria-label={`${title}: download PNG`}>
            PNG
          </button>
          <button type="button" className="secondary" onClick={run(() => exportCsv(rows(), `${base}.csv`))} aria-label={`${title}: download data as CSV`}>
            CSV
          </button>
          <button type="button" className="secondary" onClick={run(() => exportJson(json ? json() : rows(), `${base}.json`))} aria-label={`${title}: download data as JSON`}>
            JSON
          </button>
        </div>
      </div>
      {error ? (
        <p className="alert error small" role="alert">
          {error}
        </p>
      ) : null}
      <div className="cmp-plot" style={{ aspectRatio: `${width} / ${height}` }}>
        {children}
        {tip ? (
          <div
            className="cmp-tip"
            role="status"
            style={{ left: `${(tip.x / width) * 100}%`, top: `${(tip.y / height) * 100}%`, transform: `translate(${tip.x > width * 0.62 ? 'calc(-100% - 12px)' : '12px'}, -50%)` }}
          >
            {tip.lines.map((l, i) => (
              <div key={i} className={i === 0 ? 'cmp-tip-head' : undefined}>
                {l}
              </div>
            ))}
          </div>
        ) : null}
      </div>
      {caption ? <figcaption className="small muted">{caption}</figcaption> : null}
    </figure>
  );
}

/** A legend entry drawn inside the SVG (kept in exports). */
export function LegendItem({ x, y, color, label, dashed }: { x: number; y: number; color: string; label: string; dashed?: boolean }) {
  return (
    <g transform={`translate(${x},${y})`} fontFamily={FONT} fontSize={12} fill={INK}>
      <line x1={0} x2={18} y1={0} y2={0} stroke={color} strokeWidth={2.5} strokeDasharray={dashed ? '4 3' : undefined} />
      <text x={24} dy="0.32em">
        {label}
      </text>
    </g>
  );
}
