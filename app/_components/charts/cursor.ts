/**
 * The keyboard and mouse cursor of the charts. Points carry their pixel
 * position (viewBox units) and a group (a curve, a network, a matrix row):
 * ←/→ move along the group, ↑/↓ jump to the nearest point of the previous or
 * next group (with several), Home/End to its ends, PageUp/PageDown by a tenth, Escape leaves.
 * The mouse takes the nearest point within a radius (Delaunay).
 */
import * as d3 from 'd3';
import { useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type PointerEvent, type RefObject } from 'react';

/** A point the cursor can stop at: pixel position and its group (series). */
export interface CursorPoint {
  px: number;
  py: number;
  g: number;
}

/** Indices of `points` per group, in the order the groups first appear. */
export function cursorGroups(points: readonly CursorPoint[]): number[][] {
  const out = new Map<number, number[]>();
  points.forEach((p, i) => {
    const g = out.get(p.g);
    if (g) g.push(i);
    else out.set(p.g, [i]);
  });
  return [...out.values()];
}

/**
 * Where `key` takes the cursor from `current`: an index, null (the cursor
 * leaves), or undefined when the key is not a cursor key.
 */
export function cursorStep(key: string, points: readonly CursorPoint[], groups: number[][], current: number | null): number | null | undefined {
  if (points.length === 0) return undefined;
  const i = current ?? 0;
  const group = groups.findIndex((g) => g.includes(i));
  const members = groups[group];
  const pos = members.indexOf(i);
  const last = members.length - 1;
  const jump = Math.max(1, Math.round(members.length / 10));
  const toGroup = (k: number) => {
    const other = groups[k];
    if (!other) return i;
    return other.reduce((best, j) => (Math.abs(points[j].px - points[i].px) < Math.abs(points[best].px - points[i].px) ? j : best), other[0]);
  };
  switch (key) {
    case 'ArrowRight':
      return current === null ? members[0] : members[Math.min(last, pos + 1)];
    case 'ArrowLeft':
      return members[Math.max(0, pos - 1)];
    case 'Home':
      return members[0];
    case 'End':
      return members[last];
    case 'PageDown':
      return members[Math.min(last, pos + jump)];
    case 'PageUp':
      return members[Math.max(0, pos - jump)];
    // With one group, ↑/↓ are left to the page (scrolling).
    case 'ArrowDown':
      return groups.length > 1 ? toGroup(group + 1) : undefined;
    case 'ArrowUp':
      return groups.length > 1 ? toGroup(group - 1) : undefined;
    case 'Escape':
      return null;
    default:
      return undefined;
  }
}

/**
 * The index of the point nearest the pointer within `radius` (viewBox units),
 * or null. The Delaunay triangulation is built on the first pointer move, not
 * with the chart: ~9,000 points would delay the first paint.
 */
export function useNearest(points: readonly CursorPoint[], svgRef: RefObject<SVGSVGElement | null>, radius: number) {
  const cache = useRef<{ of: readonly CursorPoint[]; d: d3.Delaunay<CursorPoint> } | null>(null);
  return (e: { clientX: number; clientY: number }): number | null => {
    const ctm = svgRef.current?.getScreenCTM();
    if (!ctm || points.length === 0) return null;
    if (cache.current?.of !== points) cache.current = { of: points, d: d3.Delaunay.from(points, (p) => p.px, (p) => p.py) };
    const pt = new DOMPoint(e.clientX, e.clientY).matrixTransform(ctm.inverse());
    const i = cache.current.d.find(pt.x, pt.y);
    return Math.hypot(points[i].px - pt.x, points[i].py - pt.y) < radius ? i : null;
  };
}

/**
 * Enter on the mark under the keyboard cursor opens what the mark shows (its
 * channel, bin, pair): true when it did. Every chart whose marks lead
 * somewhere opens them this way, and on click.
 */
export function openOnEnter(e: KeyboardEvent<Element>, open: (() => void) | undefined): boolean {
  if (e.key !== 'Enter' || !open) return false;
  e.preventDefault();
  open();
  return true;
}

/**
 * One cursor for mouse and keyboard with one tab stop per chart (the SVG
 * itself), not one per point: a full-network curve has ~9,000 points and a
 * focusable element each would cost more than drawing them. With `onOpen`,
 * a click on a point, or Enter at the cursor, opens that point.
 */
export function useCursor(points: CursorPoint[], svgRef: RefObject<SVGSVGElement | null>, radius = 36, onOpen?: (index: number) => void) {
  const [index, setIndex] = useState<number | null>(null);
  const nearest = useNearest(points, svgRef, radius);
  const groups = useMemo(() => cursorGroups(points), [points]);
  const current = index !== null && index < points.length ? index : null;
  const onKeyDown = (e: KeyboardEvent<SVGSVGElement>) => {
    if (current !== null && openOnEnter(e, onOpen && (() => onOpen(current)))) return;
    const next = cursorStep(e.key, points, groups, current);
    if (next === undefined) return;
    e.preventDefault();
    setIndex(next);
  };
  return {
    index: current,
    setIndex,
    handlers: {
      onPointerMove: (e: PointerEvent<SVGSVGElement>) => setIndex(nearest(e)),
      onPointerLeave: () => setIndex(null),
      onKeyDown,
      onFocus: () => setIndex((i) => i ?? (points.length ? 0 : null)),
      onBlur: () => setIndex(null),
      ...(onOpen
        ? {
            onClick: (e: MouseEvent<SVGSVGElement>) => {
              const k = nearest(e);
              if (k !== null) onOpen(k);
            },
            style: current !== null ? { cursor: 'pointer' } : undefined,
          }
        : {}),
    },
  };
}
