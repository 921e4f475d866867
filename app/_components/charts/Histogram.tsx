'use client';
/**
 * A histogram (the PCACE paper's Fig. 5: how a layer's scores are
 * distributed). Optionally splits each bar into marked / unmarked values (e.g.
 * channels that do not beat noise), takes a fixed domain so small multiples
 * share an x axis, and lets the keyboard walk the bars (one tab stop). With
 * `onOpen`, a bar opens what it counts (click, or Enter on the focused bar).
 */
import * as d3 from 'd3';
import { useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { AxisBottom, AxisLeft } from './axes';
import { cursorGroups, cursorStep, openOnEnter } from './cursor';
import { ChartFrame, ChartSvg, LegendItem, type Tip } from './frame';
import { ACCENT, INK, MUTED } from './theme';

/** One bar: the values v with x0 ≤ v < x1, or ≤ x1 for the last bar (`closed`). */
export interface HistogramBin {
  x0: number;
  x1: number;
  closed: boolean;
}

/** Whether bar `b` counts `v` (the binning d3.bin does). */
export const binHolds = (b: HistogramBin, v: number) => v >= b.x0 && (v < b.x1 || (b.closed && v <= b.x1));

export interface HistogramProps {
  values: number[];
  title: string;
  xLabel: string;
  /** What is counted: "channels". */
  yLabel?: string;
  /** Approximate number of bins (d3 picks nice thresholds). */
  bins?: number;
  /** Fixed x domain, e.g. shared by several histograms. */
  domain?: [number, number];
  reference?: { value: number; label: string };
  /** Parallel to `values`: true draws that value in the marked (grey) part of its bar. */
  marked?: boolean[];
  markedLabel?: string;
  unmarkedLabel?: string;
  /**
   * The rule behind the marking, named in the legend (e.g. "q < 0.05, BH per
   * layer"); `legendTitle` is its full wording, shown on hover and to screen readers.
   */
  legendNote?: string;
  legendTitle?: string;
  color?: string;
  width?: number;
  height?: number;
  filename?: string;
  caption?: ReactNode;
  headingLevel?: 2 | 3 | 4;
  /** Opens what a bar counts (e.g. the channels in it). */
  onOpen?: (bin: HistogramBin) => void;
}

const MARKED = '#b8bcc4';
const exact = d3.format('.4~g');

export function Histogram({
  values,
  title,
  xLabel,
  yLabel = 'channels',
  bins = 20,
  domain,
  reference,
  marked,
  markedLabel = 'marked',
  unmarkedLabel = 'others',
  legendNote,
  legendTitle,
  color = ACCENT,
  width = 440,
  height = 250,
  filename,
  caption,
  headingLevel = 4,
  onOpen,
}: HistogramProps) {
  const svgRef = useRef<SVGSVGElement>(null);
  const [focus, setFocus] = useState<number | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const legend = marked ? 18 : 0;
  const m = { top: 12 + legend, right: 14, bottom: 48, left: 46 };

  const { x, y, groups } = useMemo(() => {
    const items = values.map((v, i) => ({ v, marked: marked?.[i] ?? false })).filter((d) => Number.isFinite(d.v));
    const ext = domain ?? (d3.extent(items, (d) => d.v) as [number, number] | [undefined, undefined]);
    let [lo, hi] = [ext[0] ?? 0, ext[1] ?? 1];
    if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
    const x = d3.scaleLinear().domain([lo, hi]).nice(bins).range([m.left, width - m.right]);
    const [d0, d1] = x.domain();
    const binner = d3
      .bin<{ v: number; marked: boolean }, number>()
      .value((d) => d.v)
      .domain([d0, d1])
      .thresholds(x.ticks(bins));
    const groups = binner(items).map((b, i, all) => ({ x0: b.x0 ?? d0, x1: b.x1 ?? d1, closed: i === all.length - 1, total: b.length, marked: b.filter((d) => d.marked).length }));
    const y = d3
      .scaleLinear()
      .domain([0, Math.max(1, d3.max(groups, (g) => g.total) ?? 1)])
      .nice()
      .range([height - m.bottom, m.top]);
    return { x, y, groups };
  }, [values, marked, domain, bins, width, height, m.left, m.right, m.top, m.bottom]);

  const active = hover ?? focus;
  const g = active !== null ? groups[active] : undefined;
  const tip: Tip | null = g
    ? {
        x: x((g.x0 + g.x1) / 2),
        y: y(g.total) - 4,
        lines: [
          `${xLabel} ${exact(g.x0)} – ${exact(g.x1)}`,
          `${g.total} ${yLabel}`,
          ...(marked ? [`${g.marked} ${markedLabel}, ${g.total - g.marked} ${unmarkedLabel}`] : []),
          ...(onOpen && g.total > 0 ? [`click or Enter: list these ${yLabel}`] : []),
        ],
      }
    : null;
  const tabStop = focus ?? 0;

  const moveTo = (i: number) => {
    setFocus(i);
    setHover(null);
    svgRef.current?.querySelector<SVGElement>(`[data-bar="${i}"]`)?.focus();
  };
  // The bars as cursor points: one group, walked left to right.
  const bars = useMemo(() => groups.map((b) => ({ px: x((b.x0 + b.x1) / 2), py: 0, g: 0 })), [groups, x]);
  const open = (i: number) => {
    const { x0, x1, closed } = groups[i];
    onOpen?.({ x0, x1, closed });
  };
  const onKeyDown = (e: KeyboardEvent<SVGSVGElement>) => {
    if (focus === null) return;
    if (openOnEnter(e, onOpen && (() => open(focus)))) return;
    const next = cursorStep(e.key, bars, cursorGroups(bars), focus);
    if (next === undefined) return;
    e.preventDefault();
    if (next === null) {
      setFocus(null);
      (e.target as SVGElement).blur();
    } else moveTo(next);
  };

  const n = values.filter((v) => Number.isFinite(v)).length;
  const csvRows = () => groups.map((b) => ({ from: b.x0, to: b.x1, count: b.total, ...(marked ? { [markedLabel]: b.marked } : {}) }));
  return (
    <ChartFrame title={title} file={filename} svgRef={svgRef} caption={caption} headingLevel={headingLevel} tip={tip} width={width} height={height} rows={csvRows}>
        <ChartSvg
          svgRef={svgRef}
          width={width}
          height={height}
          desc={`${title}: ${n} values in ${groups.length} bins of ${xLabel}. Tab to the bars, then use the arrow keys.`}
          onKeyDown={onKeyDown}
          onPointerLeave={() => setHover(null)}
          data-chart="histogram"
          data-values={n}
        >
          <AxisLeft scale={y} at={m.left} label={`Number of ${yLabel}`} ticks={4} grid={width - m.left - m.right} format={d3.format('~d')} />
          <AxisBottom scale={x} at={height - m.bottom} label={xLabel} ticks={5} />
          <g role="list" aria-label={`${groups.length} bins`}>
            {groups.map((b, i) => {
              const x0 = x(b.x0) + 0.5;
              const w = Math.max(0, x(b.x1) - x(b.x0) - 1);
              return (
                <g
                  key={i}
                  data-bar={i}
                  role="listitem"
                  tabIndex={i === tabStop ? 0 : -1}
                  aria-label={`${exact(b.x0)} to ${exact(b.x1)}: ${b.total} ${yLabel}${marked ? `, ${b.marked} ${markedLabel}` : ''}`}
                  onFocus={() => setFocus(i)}
                  onBlur={() => setFocus((f) => (f === i ? null : f))}
                  onPointerEnter={() => setHover(i)}
                  onClick={onOpen ? () => open(i) : undefined}
                  style={onOpen ? { cursor: 'pointer' } : undefined}
                >
                  {/* Full-height hit area: thin bars are hard to point at. */}
                  <rect x={x0} width={w} y={m.top} height={height - m.bottom - m.top} fill="transparent" />
                  <rect x={x0} width={w} y={y(b.total - b.marked)} height={y(0) - y(b.total - b.marked)} fill={color} />
                  {b.marked > 0 ? <rect x={x0} width={w} y={y(b.total)} height={y(b.total - b.marked) - y(b.total)} fill={MARKED} /> : null}
                  {active === i ? <rect x={x0 - 1} width={w + 2} y={y(b.total) - 1} height={y(0) - y(b.total) + 2} fill="none" stroke={INK} strokeWidth={1.5} data-export="skip" /> : null}
                </g>
              );
            })}
          </g>
          {reference ? (
            <g data-reference="">
              <line x1={x(reference.value)} x2={x(reference.value)} y1={m.top} y2={height - m.bottom} stroke={MUTED} strokeDasharray="4 3" />
              <text x={x(reference.value) + 4} y={m.top + 10} fontSize={10} fill={MUTED}>
                {reference.label}
              </text>
            </g>
          ) : null}
          {marked ? (
            <g data-legend="" aria-label={legendTitle ?? legendNote}>
              {legendTitle ? <title>{legendTitle}</title> : null}
              <LegendItem swatch x={m.left} y={15} color={color} label={unmarkedLabel} />
              <LegendItem swatch x={m.left + 100} y={15} color={MARKED} label={markedLabel} />
              {legendNote ? (
                <text x={width - m.right} y={15} dy="0.32em" textAnchor="end" fontSize={10} fill={MUTED} data-legend-rule="">
                  {legendNote}
                </text>
              ) : null}
            </g>
          ) : null}
        </ChartSvg>
    </ChartFrame>
  );
}
