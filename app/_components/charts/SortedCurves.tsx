'use client';
/**
 * Sorted curves (the PCACE paper's Fig. 6): each series' values sorted best
 * first and drawn against their rank normalised to 0..1, so layers with 32 and
 * 512 channels share one x axis. Points are keyboard-focusable (one tab stop;
 * arrows move along a curve, up/down switch curves), the nearest point follows
 * the mouse, legend entries toggle curves, and a data table is one click away.
 */
import * as d3 from 'd3';
import { useMemo, useRef, type MouseEvent, type ReactNode } from 'react';
import { AxisBottom, AxisLeft } from './axes';
import { curveScales, CurveLegendEntry, useCurveCursor, type CurveAt, type CurvePlaced } from './curves';
import { ChartFrame, ChartSvg, tipAt } from './frame';
import { DataTable } from './table';
import { exact, INK, MUTED, palette } from './theme';

export interface CurvePoint {
  /** What the point is (channel index): shown in the tooltip and the table. */
  id: string | number;
  value: number;
  /** Extra tooltip line (e.g. "does not beat the permutation null"). */
  note?: string;
  /** The point's verdict: true beats noise (filled), false does not (hollow, grey); absent: no verdict (filled). */
  verdict?: boolean;
}

/** The legend of point verdicts: what filled and hollow points mean and the rule that decided. */
export interface VerdictLegend {
  beats: string;
  not: string;
  /** The rule in a few words, e.g. "q < 0.05, BH per layer". */
  rule: string;
  /** The rule in full (hover, screen readers). */
  title?: string;
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
  /** Set when points carry verdicts: drawn as a legend block under the series. */
  verdictLegend?: VerdictLegend;
  /** Opens what a point stands for (e.g. its channel's page): on click, or Enter on the focused point. */
  onOpen?: (seriesKey: string, id: string | number) => void;
}

const NOT_BEATING = '#9aa0aa';

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}

interface Placed extends CurvePlaced {
  id: string | number;
  value: number;
  note?: string;
  verdict?: boolean;
  x: number;
}

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
  verdictLegend,
  onOpen,
}: SortedCurvesProps) {
  const svgRef = useRef<SVGSVGElement>(null);

  const legendW = series.length > 1 || verdictLegend ? 170 : 0;
  const m = { top: 16, right: 16 + legendW, bottom: 50, left: 62 };
  const ruleLines = verdictLegend ? wrap(verdictLegend.rule, 24) : [];
  // The verdict block sits under the series entries: a gap, two point keys, the rule.
  const verdictTop = series.length > 1 ? 18 * series.length + 10 : 0;
  const verdictH = verdictLegend ? verdictTop + 18 * 2 + 14 * ruleLines.length : 0;
  const H = Math.max(height, m.top + 18 * series.length + 24, m.top + verdictH + 24);
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
    const all = sorted.flat().map((p) => p.value);
    const [lo, hi] = yDomain ?? [Math.min(0, d3.min(all) ?? 0, reference?.value ?? 0), Math.max(d3.max(all) ?? 1, reference?.value ?? 0)];
    const { x, y } = curveScales(width, H, m, lo, hi);
    const placed: Placed[][] = sorted.map((pts, s) =>
      pts.map((p, i) => {
        const xn = pts.length === 1 ? 0 : i / (pts.length - 1);
        return { s, g: s, i, id: p.id, value: p.value, note: p.note, verdict: p.verdict, x: xn, px: x(xn), py: y(p.value) };
      }),
    );
    return { x, y, placed };
  }, [sorted, width, H, legendW, yDomain?.[0], yDomain?.[1], reference?.value]);
  // Enter on the focused point opens it.
  const onEnter = onOpen ? (at: CurveAt) => onOpen(series[at.s].key, placed[at.s][at.i].id) : undefined;
  const { hidden, toggle, flat, nearest, activePoint, pointProps, svgHandlers } = useCurveCursor(placed, series, svgRef, onEnter);
  const line = d3
    .line<Placed>()
    .x((p) => p.px)
    .y((p) => p.py);

  const tip = tipAt(activePoint, (p) => [
    series[p.s].label,
    `${idLabel} ${p.id}`,
    `rank ${p.i + 1} of ${placed[p.s].length} (x = ${p.x.toFixed(3)})`,
    `${yLabel}: ${exact(p.value)}`,
    ...(p.note ? [p.note] : []),
    ...(onOpen ? ['click or Enter: open'] : []),
  ]);

  const onClick = (e: MouseEvent<SVGSVGElement>) => {
    if (!onOpen || (e.target as Element).closest('[data-legend]')) return;
    const k = nearest(e);
    if (k !== null) onOpen(series[flat[k].s].key, flat[k].id);
  };

  const fmt = format ?? ((v: number) => d3.format('.2~f')(v));
  const total = placed.reduce((a, p) => a + p.length, 0);

  const csvRows = () => placed.flatMap((pts, s) => pts.map((p) => ({ series: series[s].label, rank: p.i + 1, x: p.x, [idLabel]: p.id, value: p.value })));
  return (
    <ChartFrame title={title} file={filename} svgRef={svgRef} caption={caption} tip={tip} width={width} height={H} rows={csvRows}
      below={
        <DataTable
          title={title}
          summary={`Data table (${total} points)`}
          columns={[{ label: 'Curve', mono: true }, { label: 'Rank', num: true }, { label: 'x', num: true }, { label: idLabel, num: true }, { label: yLabel, num: true }]}
          rows={() => placed.flatMap((pts, s) => pts.map((p) => ({ key: `${s}-${p.i}`, cells: [series[s].label, p.i + 1, p.x.toFixed(3), p.id, exact(p.value)] })))}
        />
      }
    >
        <ChartSvg
          svgRef={svgRef}
          width={width}
          height={H}
          desc={`${title}: ${series.length} curve${series.length === 1 ? '' : 's'}, ${total} points; ${yLabel} against ${xLabel}. Tab to the points, then use the arrow keys.`}
          {...svgHandlers}
          onClick={onOpen ? onClick : undefined}
          style={onOpen && activePoint ? { cursor: 'pointer' } : undefined}
          data-chart="sorted-curves"
        >
          <AxisLeft scale={y} at={m.left} label={yLabel} grid={width - m.left - m.right} format={fmt} />
          <AxisBottom scale={x} at={H - m.bottom} label={xLabel} />
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
                    {...pointProps(p, `${series[s].label}, ${idLabel} ${p.id}, rank ${p.i + 1} of ${pts.length}, ${yLabel} ${exact(p.value)}${p.note ? `, ${p.note}` : ''}`)}
                    r={pts.length > 150 ? 1.8 : 2.8}
                    fill={p.verdict === false ? '#ffffff' : (series[s].color ?? colors[s])}
                    stroke={p.verdict === false ? NOT_BEATING : undefined}
                    strokeWidth={p.verdict === false ? 1 : undefined}
                    data-verdict={p.verdict === undefined ? undefined : p.verdict ? 'beats' : 'not'}
                  />
                ))}
              </g>
            ),
          )}
          {activePoint ? (
            <circle cx={activePoint.px} cy={activePoint.py} r={6} fill="none" stroke={INK} strokeWidth={2} data-export="skip" pointerEvents="none" />
          ) : null}
          {verdictLegend ? (
            <g transform={`translate(${width - legendW + 12},${m.top + verdictTop})`} fontSize={11} fill={INK} data-verdict-legend="" aria-label={verdictLegend.title ?? verdictLegend.rule}>
              {verdictLegend.title ? <title>{verdictLegend.title}</title> : null}
              <circle cx={9} cy={5} r={3.5} fill={INK} />
              <text x={24} y={9}>
                {verdictLegend.beats}
              </text>
              <circle cx={9} cy={23} r={3.5} fill="#ffffff" stroke={NOT_BEATING} strokeWidth={1.2} />
              <text x={24} y={27}>
                {verdictLegend.not}
              </text>
              {ruleLines.map((l, k) => (
                <text key={k} x={0} y={45 + 14 * k} fontSize={10} fill={MUTED} data-legend-rule="">
                  {l}
                </text>
              ))}
            </g>
          ) : null}
          {series.length > 1 ? (
            <g transform={`translate(${width - legendW + 12},${m.top})`} fontSize={12} data-legend="">
              {series.map((s, k) => (
                <CurveLegendEntry key={s.key} index={k} label={s.label} title={s.label} color={s.color ?? colors[k]} maxChars={20} hidden={hidden.has(s.key)} onToggle={() => toggle(s.key)} />
              ))}
            </g>
          ) : null}
        </ChartSvg>
    </ChartFrame>
  );
}
