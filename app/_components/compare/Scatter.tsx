'use client';
/** One point per channel, two measures against each other; pairs with a missing value are left out. */
import * as d3 from 'd3';
import { useMemo, useRef, type ReactNode } from 'react';
import { type Cell, AxisBottom, AxisLeft, ChartFrame, ChartSvg, exact, FONT, INK, MUTED, SIDE_COLORS, tipAt, useCursor, type CursorPoint } from '@/app/_components/charts';

type Row = Record<string, Cell>;

export interface ScatterProps {
  title: string;
  file: string;
  xLabel: string;
  yLabel: string;
  x: (number | null)[];
  y: (number | null)[];
  /** Channel index per position. */
  ids: number[];
  /** Draw y = x (rank against rank). */
  identity?: boolean;
  /** Positions drawn emphasised (e.g. the biggest movers). */
  highlight?: Set<number>;
  /** Each position's verdict: true beats noise (filled), false does not (hollow, grey), null none. */
  verdict?: (boolean | null)[];
  /** With `verdict`: the legend's rule in a few words, and in full (its title). */
  verdictLegend?: { rule: string; title: string };
  extraTip?: (i: number) => string[];
  rows: () => Row[];
  width?: number;
  height?: number;
  caption?: ReactNode;
  testId?: string;
  ariaLabel: string;
  /** Integer axes (ranks). */
  integer?: boolean;
  /** Opens the channel at position i (click, or Enter at the keyboard cursor). */
  onOpen?: (i: number) => void;
}

export function Scatter(props: ScatterProps) {
  const W = props.width ?? 440;
  const H = props.height ?? 360;
  // A verdict legend takes a row above the plot.
  const legend = props.verdict && props.verdictLegend ? props.verdictLegend : null;
  const m = { top: legend ? 34 : 14, right: 16, bottom: 50, left: 64 };
  const svgRef = useRef<SVGSVGElement>(null);
  const { xs, ys, points } = useMemo(() => {
    const idx = props.x.flatMap((v, i) => (v !== null && props.y[i] !== null ? [i] : []));
    const ext = (vals: number[]): [number, number] => {
      const [lo, hi] = d3.extent(vals) as [number, number];
      return lo === undefined ? [0, 1] : lo === hi ? [lo - 1, hi + 1] : [lo, hi];
    };
    let dx = ext(idx.map((i) => props.x[i]!));
    let dy = ext(idx.map((i) => props.y[i]!));
    if (props.identity) dx = dy = [Math.min(dx[0], dy[0]), Math.max(dx[1], dy[1])];
    const xs = d3.scaleLinear().domain(dx).nice().range([m.left, W - m.right]);
    const ys = d3.scaleLinear().domain(dy).nice().range([H - m.bottom, m.top]);
    const points: (CursorPoint & { i: number })[] = idx.map((i) => ({ px: xs(props.x[i]!), py: ys(props.y[i]!), g: 0, i }));
    // Keyboard order: left to right.
    points.sort((a, b) => a.px - b.px || a.py - b.py);
    return { xs, ys, points };
  }, [props.x, props.y, props.identity, W, H, m.top]);
  const cursor = useCursor(points, svgRef, 24, props.onOpen && ((k) => props.onOpen!(points[k].i)));
  const p = cursor.index !== null ? points[cursor.index] : null;
  const tip = tipAt(p, (p) => [`channel ${props.ids[p.i]}`, `${props.xLabel}: ${exact(props.x[p.i]!)}`, `${props.yLabel}: ${exact(props.y[p.i]!)}`, ...(props.extraTip?.(p.i) ?? []), ...(props.onOpen ? ['click or Enter: open'] : [])]);
  const fmt = props.integer ? d3.format('d') : undefined;
  const ticksX = props.integer ? Math.min(6, Math.max(2, xs.domain()[1] - xs.domain()[0])) : 6;
  return (
    <ChartFrame title={props.title} file={props.file} svgRef={svgRef} rows={props.rows} tip={tip} width={W} height={H} caption={props.caption} testId={props.testId}>
      <ChartSvg svgRef={svgRef} width={W} height={H} role="img" aria-label={props.ariaLabel} tabIndex={0} {...cursor.handlers}>
        <AxisLeft scale={ys} at={m.left} label={props.yLabel} grid={W - m.left - m.right} format={fmt} />
        <AxisBottom scale={xs} at={H - m.bottom} label={props.xLabel} format={fmt} ticks={ticksX} />
        {props.identity ? <line x1={xs(xs.domain()[0])} y1={ys(xs.domain()[0])} x2={xs(xs.domain()[1])} y2={ys(xs.domain()[1])} stroke={MUTED} strokeDasharray="4 4" /> : null}
        <g data-points={points.length}>
          {points.map((q) => {
            const hot = props.highlight?.has(q.i);
            if (props.verdict?.[q.i] === false) return <circle key={q.i} cx={q.px} cy={q.py} r={3} fill="none" stroke={MUTED} strokeWidth={1.2} data-verdict="noise" />;
            const beats = props.verdict?.[q.i] === true;
            return <circle key={q.i} cx={q.px} cy={q.py} r={hot ? 4 : 2.8} fill={hot ? SIDE_COLORS[1] : SIDE_COLORS[0]} fillOpacity={hot || beats ? 0.95 : 0.55} data-verdict={beats ? 'beats' : undefined} />;
          })}
        </g>
        {legend ? (
          <g transform={`translate(${m.left},12)`} fontFamily={FONT} fontSize={11} fill={INK} data-verdict-legend="" aria-label={legend.title}>
            <title>{legend.title}</title>
            <circle cx={4} cy={0} r={3} fill={SIDE_COLORS[0]} fillOpacity={0.95} />
            <text x={11} dy="0.32em">
              beats noise
            </text>
            <circle cx={88} cy={0} r={3} fill="none" stroke={MUTED} strokeWidth={1.2} />
            <text x={95} dy="0.32em">
              ≈ noise
            </text>
            <text x={150} dy="0.32em" fontSize={10} fill={MUTED} data-legend-rule="">
              {legend.rule}
            </text>
          </g>
        ) : null}
        {p ? <circle cx={p.px} cy={p.py} r={7} fill="none" stroke={INK} strokeWidth={2} data-export="skip" /> : null}
      </ChartSvg>
    </ChartFrame>
  );
}
