'use client';
/**
 * A labelled square matrix (class × class, measure × measure): one cell per
 * pair, exact values in the tooltip; with `onOpen` a cell opens its pair.
 */
import { useMemo, useRef, type ReactNode } from 'react';
import { type Cell, cellColor, cellInk, cellLegend, ChartFrame, ChartSvg, FONT, INK, tipAt, useCursor, type CursorPoint } from '@/app/_components/charts';

type Row = Record<string, Cell>;

export interface HeatmapProps {
  title: string;
  file: string;
  labels: string[];
  values: (number | null)[][];
  /** Text drawn in the cell. */
  cellText: (i: number, j: number) => string;
  tipLines: (i: number, j: number) => string[];
  /** 'diverging': −1 … 1 (correlations); 'sequential': 0 … 1 (fractions). */
  scale: 'diverging' | 'sequential';
  legendLabel: string;
  rows: () => Row[];
  json?: () => unknown;
  caption?: ReactNode;
  testId?: string;
  ariaLabel: string;
  /** Opens what a cell shows (e.g. the comparison of its pair): on click, or Enter at the keyboard cursor. */
  onOpen?: (i: number, j: number) => void;
}

// Long labels lose their middle, not their end: labels told apart by a suffix ("#2") stay apart.
const clip = (s: string, n = 22) => (s.length > n ? `${s.slice(0, n - 9)}…${s.slice(-8)}` : s);

export function Heatmap(props: HeatmapProps) {
  const { labels, values } = props;
  const m = labels.length;
  // Cells wide enough for "-0.35***" in 12-unit text; the view stacks the heatmaps so that a unit stays a pixel on a desktop screen.
  const cell = Math.max(44, Math.min(64, Math.floor(640 / Math.max(1, m))));
  // Room for the longest label (clipped at 22 characters), not a fixed gutter.
  const longest = Math.min(22, Math.max(...labels.map((l) => l.length), 4));
  const left = Math.round(16 + 6.6 * longest);
  const top = Math.round(24 + 4.6 * longest);
  const W = left + m * cell + 110;
  const H = top + m * cell + 24;
  const svgRef = useRef<SVGSVGElement>(null);
  const color = useMemo(() => cellColor(props.scale), [props.scale]);
  const points = useMemo<(CursorPoint & { i: number; j: number })[]>(
    () => labels.flatMap((_, i) => labels.map((__, j) => ({ px: left + j * cell + cell / 2, py: top + i * cell + cell / 2, g: i, i, j }))),
    [labels, cell],
  );
  const cursor = useCursor(points, svgRef, cell, props.onOpen && ((k) => props.onOpen!(points[k].i, points[k].j)));
  const p = cursor.index !== null ? points[cursor.index] : null;
  const tip = tipAt(p, (p) => props.tipLines(p.i, p.j));
  const legend = cellLegend(props.scale);
  return (
    <ChartFrame title={props.title} file={props.file} svgRef={svgRef} rows={props.rows} json={props.json} tip={tip} width={W} height={H} caption={props.caption} testId={props.testId}>
      <ChartSvg svgRef={svgRef} width={W} height={H} role="img" aria-label={props.ariaLabel} tabIndex={0} {...cursor.handlers} style={{ maxWidth: W, ...cursor.handlers.style }}>
        <g fontFamily={FONT} fontSize={12} fill={INK}>
          {labels.map((l, i) => (
            <text key={`r${i}`} x={left - 8} y={top + i * cell + cell / 2} dy="0.32em" textAnchor="end" data-axis-label="row">
              {clip(l)}
            </text>
          ))}
          {labels.map((l, j) => (
            <text key={`c${j}`} transform={`translate(${left + j * cell + cell / 2},${top - 8}) rotate(-40)`} data-axis-label="column">
              {clip(l)}
            </text>
          ))}
        </g>
        <g data-cells={m * m}>
          {values.map((row, i) =>
            row.map((v, j) => (
              <g key={`${i}-${j}`} data-cell={`${i}-${j}`}>
                <rect x={left + j * cell} y={top + i * cell} width={cell - 1} height={cell - 1} fill={v === null ? '#f1f2f4' : color(v)} />
                <text x={left + j * cell + cell / 2} y={top + i * cell + cell / 2} dy="0.32em" textAnchor="middle" fontFamily={FONT} fontSize={12} fill={cellInk(props.scale, v)}>
                  {props.cellText(i, j)}
                </text>
              </g>
            )),
          )}
        </g>
        <g transform={`translate(${left + m * cell + 24},${top})`} fontFamily={FONT} fontSize={11} fill={INK}>
          <text y={-10}>{props.legendLabel}</text>
          {legend.map((v, k) => (
            <g key={v} transform={`translate(0,${k * 20})`}>
              <rect width={16} height={16} fill={color(v)} stroke="#c7cad1" />
              <text x={22} y={8} dy="0.32em">
                {v}
              </text>
            </g>
          ))}
        </g>
        {p ? <rect x={left + p.j * cell - 1} y={top + p.i * cell - 1} width={cell + 1} height={cell + 1} fill="none" stroke={INK} strokeWidth={2.5} data-export="skip" /> : null}
      </ChartSvg>
    </ChartFrame>
  );
}
