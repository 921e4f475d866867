'use client';
/**
 * What the charts drawn as curves of focusable points (sorted curves, deletion
 * curves) share: their scales, one cursor over the curves (curves hidden from
 * the legend, the focused and hovered point, one tab stop that the arrow keys
 * move from circle to circle, the nearest point following the mouse) and the
 * legend entry that toggles a curve.
 */
import * as d3 from 'd3';
import { useMemo, useState, type KeyboardEvent, type PointerEvent, type RefObject } from 'react';
import { cursorGroups, cursorStep, openOnEnter, useNearest, type CursorPoint } from './cursor';
import { ToggleLegendEntry } from './frame';
import { INK } from './theme';

/**
 * The scales of a curve chart of `width` × `height` with margins `m`: x maps 0..1
 * across the plot, y maps [lo, hi] (widened by ±0.5 when flat, then made nice) from the bottom up.
 */
export function curveScales(width: number, height: number, m: { top: number; right: number; bottom: number; left: number }, lo: number, hi: number) {
  const x = d3.scaleLinear().domain([0, 1]).range([m.left, width - m.right]);
  const y = d3
    .scaleLinear()
    .domain(lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi])
    .nice()
    .range([height - m.bottom, m.top]);
  return { x, y };
}

/** A point of a curve: its curve and its index along it. */
export interface CurveAt {
  s: number;
  i: number;
}

/** A point placed on curve `s` at index `i` along it. */
export interface CurvePlaced extends CursorPoint, CurveAt {}

/**
 * The cursor over `placed` (one array of points per curve of `series`): the
 * hidden curves and `toggle`, the active (hovered, else focused) point, each
 * circle's attributes with the one tab stop (the focused point, else the first
 * point of the first visible curve) and the SVG's key and pointer handlers.
 * `onEnter`, when given, takes Enter on the focused point.
 */
export function useCurveCursor<P extends CurvePlaced>(placed: P[][], series: readonly { key: string }[], svgRef: RefObject<SVGSVGElement | null>, onEnter?: (at: CurveAt) => void) {
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [focus, setFocus] = useState<CurveAt | null>(null);
  const [hover, setHover] = useState<CurveAt | null>(null);
  const flat = useMemo(() => placed.filter((_, s) => !hidden.has(series[s].key)).flat(), [placed, hidden, series]);
  const groups = useMemo(() => cursorGroups(flat), [flat]);
  const nearest = useNearest(flat, svgRef, 40);

  const active = hover ?? focus;
  const activePoint: P | undefined = active ? placed[active.s]?.[active.i] : undefined;
  const firstVisible = series.findIndex((s, i) => !hidden.has(s.key) && placed[i].length > 0);
  const tabStop = focus && !hidden.has(series[focus.s]?.key) ? focus : firstVisible >= 0 ? { s: firstVisible, i: 0 } : null;

  // Roving tab stop: the cursor moves the focus from circle to circle.
  const onKeyDown = (e: KeyboardEvent<SVGSVGElement>) => {
    const target = e.target as Element;
    if (!target.hasAttribute('data-point') || !focus) return;
    if (openOnEnter(e, onEnter && (() => onEnter(focus)))) return;
    const at = flat.findIndex((p) => p.s === focus.s && p.i === focus.i);
    const next = cursorStep(e.key, flat, groups, at < 0 ? null : at);
    if (next === undefined) return;
    e.preventDefault();
    if (next === null) {
      setFocus(null);
      (target as SVGElement).blur();
    } else {
      setFocus({ s: flat[next].s, i: flat[next].i });
      setHover(null);
      svgRef.current?.querySelector<SVGElement>(`[data-point="${flat[next].s}-${flat[next].i}"]`)?.focus();
    }
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    const k = nearest(e);
    setHover(k === null ? null : { s: flat[k].s, i: flat[k].i });
  };
  const toggle = (key: string) =>
    setHidden((h) => {
      const next = new Set(h);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  /** The attributes of point `p`'s circle: its place, its name for screen readers (`label`), the tab stop and the focus handlers. */
  const pointProps = (p: P, label: string) => ({
    'data-point': `${p.s}-${p.i}`,
    role: 'listitem',
    'aria-label': label,
    tabIndex: tabStop && tabStop.s === p.s && tabStop.i === p.i ? 0 : -1,
    cx: p.px,
    cy: p.py,
    onFocus: () => setFocus({ s: p.s, i: p.i }),
    onBlur: () => setFocus((f) => (f && f.s === p.s && f.i === p.i ? null : f)),
  });

  return {
    hidden,
    toggle,
    flat,
    nearest,
    activePoint,
    pointProps,
    svgHandlers: { onKeyDown, onPointerMove, onPointerLeave: () => setHover(null) },
  };
}

/** A curve's legend entry: its colour as a line and its label cut to `maxChars`; a click, Enter or Space hides or shows the curve. */
export function CurveLegendEntry({ index, label, title, color, hidden, onToggle, maxChars }: { index: number; label: string; title: string; color: string; hidden: boolean; onToggle: () => void; maxChars: number }) {
  return (
    <ToggleLegendEntry index={index} label={label} hidden={hidden} onToggle={onToggle}>
      <title>{title}</title>
      <rect width={22} height={12} y={-1} fill="transparent" />
      <line x1={0} x2={18} y1={5} y2={5} stroke={color} strokeWidth={3} />
      <text x={24} y={9} fill={INK}>
        {label.length > maxChars ? `${label.slice(0, maxChars - 1)}…` : label}
      </text>
    </ToggleLegendEntry>
  );
}
