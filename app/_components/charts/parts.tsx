'use client';
/**
 * Building blocks of the D3 charts: axes drawn by React from d3 scales (so the
 * server renders them and exports contain them), the tooltip, the colour
 * palette and the figure frame with its download buttons.
 */
import * as d3 from 'd3';
import { useState, type ReactNode, type RefObject } from 'react';
import { exportCsv, exportPng, exportSvg, fileSlug } from './export';

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
export const INK = '#1d1f23';
export const MUTED = '#5c6370';
export const GRID = '#e6e8ec';

/** Distinct colours: Tableau 10 up to ten series, an evenly spaced sinebow beyond. */
export function palette(n: number): string[] {
  if (n <= 10) return d3.schemeTableau10.slice(0, Math.max(n, 1)) as string[];
  return d3.quantize((t) => d3.interpolateSinebow(t * 0.92), n);
}

type Linear = d3.ScaleLinear<number, number>;

export function AxisBottom({ scale, y, label, ticks = 6, format }: { scale: Linear; y: number; label: string; ticks?: number; format?: (v: number) => string }) {
  const [x0, x1] = scale.range();
  const fmt = format ?? scale.tickFormat(ticks);
  return (
    <g transform={`translate(0,${y})`} fontFamily={FONT} fontSize={11} fill={MUTED}>
      <line x1={x0} x2={x1} stroke={MUTED} />
      {scale.ticks(ticks).map((t) => (
        <g key={t} transform={`translate(${scale(t)},0)`}>
          <line y2={5} stroke={MUTED} />
          <text y={17} textAnchor="middle">
            {fmt(t)}
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
  const fmt = format ?? scale.tickFormat(ticks);
  return (
    <g transform={`translate(${x},0)`} fontFamily={FONT} fontSize={11} fill={MUTED}>
      <line y1={y0} y2={y1} stroke={MUTED} />
      {scale.ticks(ticks).map((t) => (
        <g key={t} transform={`translate(0,${scale(t)})`}>
          {grid ? <line x2={grid} stroke={GRID} /> : null}
          <line x2={-5} stroke={MUTED} />
          <text x={-8} dy="0.32em" textAnchor="end">
            {fmt(t)}
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
  /** Position in viewBox units. */
  x: number;
  y: number;
  lines: string[];
}

/** HTML tooltip over the SVG, placed in percent of the viewBox (the wrapper keeps the SVG's aspect ratio). */
export function ChartTooltip({ tip, width, height }: { tip: Tip | null; width: number; height: number }) {
  if (!tip) return null;
  const flip = tip.x > width * 0.62;
  return (
    <div
      className="pc-chart-tip"
      role="status"
      style={{
        left: `${(tip.x / width) * 100}%`,
        top: `${(tip.y / height) * 100}%`,
        transform: `translate(${flip ? 'calc(-100% - 10px)' : '10px'}, -50%)`,
      }}
    >
      {tip.lines.map((l, i) => (
        <div key={i} className={i === 0 ? 'pc-chart-tip-head' : undefined}>
          {l}
        </div>
      ))}
    </div>
  );
}

/**
 * A chart's figure: title, download buttons (SVG, PNG and the plotted data as
 * CSV), the chart and a caption saying how to read it.
 */
export function ChartFrame({
  title,
  filename,
  svgRef,
  data,
  caption,
  children,
  headingLevel = 3,
}: {
  title: string;
  filename?: string;
  svgRef: RefObject<SVGSVGElement | null>;
  data?: () => Record<string, string | number | boolean | null | undefined>[];
  caption?: ReactNode;
  children: ReactNode;
  headingLevel?: 2 | 3 | 4;
}) {
  const [error, setError] = useState<string | null>(null);
  const base = fileSlug(filename ?? title);
  const H = `h${headingLevel}` as 'h3';
  const run = (fn: () => void | Promise<void>) => async () => {
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <figure className="pc-chart">
      <div className="pc-chart-head">
        <H className="pc-chart-title">{title}</H>
        <div className="pc-chart-tools" role="group" aria-label={`Download ${title}`}>
          <button type="button" className="secondary pc-chart-btn" onClick={run(() => (svgRef.current ? exportSvg(svgRef.current, `${base}.svg`) : undefined))} aria-label={`Download ${title} as SVG`}>
            SVG
          </button>
          <button type="button" className="secondary pc-chart-btn" onClick={run(() => (svgRef.current ? exportPng(svgRef.current, `${base}.png`) : undefined))} aria-label={`Download ${title} as PNG`}>
            PNG
          </button>
          {data ? (
            <button type="button" className="secondary pc-chart-btn" onClick={run(() => exportCsv(data(), `${base}.csv`))} aria-label={`Download the data of ${title} as CSV`}>
              CSV
            </button>
          ) : null}
        </div>
      </div>
      {error ? (
        <p className="alert error small" role="alert">
          {error}
        </p>
      ) : null}
      {children}
      {caption ? <figcaption className="small muted">{caption}</figcaption> : null}
    </figure>
  );
}
