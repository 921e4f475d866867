'use client';
/**
 * A chart's figure: heading, downloads (SVG, PNG, the plotted data as CSV and
 * JSON), the plot with its tooltip, and a caption saying how to read it. Also
 * the tooltip and the in-SVG legend entry, so every chart reads the same way.
 */
import { createContext, useContext, useId, useState, type ReactNode, type RefObject, type SVGProps } from 'react';
import { exportCsv, exportHeading, exportJson, exportPng, exportSvg, fileSlug, type Cell } from './export';
import { FONT, INK } from './theme';

export interface Tip {
  /** Position in viewBox units. */
  x: number;
  y: number;
  lines: string[];
}

/** The tooltip of the point under the cursor (none without one): at the point, saying `lines(point)`. */
export function tipAt<P extends { px: number; py: number }>(point: P | null | undefined, lines: (point: P) => string[]): Tip | null {
  return point ? { x: point.px, y: point.py, lines: lines(point) } : null;
}

/** HTML tooltip over the SVG, placed in percent of the viewBox (the plot keeps the SVG's aspect ratio). */
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
 * What the charts below are of (e.g. "MNIST CNN × digit 3 · ranked by cross-fitted
 * score"): exported SVG and PNG files carry it under the chart's title.
 */
export const ChartSubject = createContext<string | null>(null);

export interface ChartFrameProps {
  title: string;
  /** Download file name without extension (default: the title). */
  file?: string;
  svgRef: RefObject<SVGSVGElement | null>;
  /** The plotted data, one object a row: the CSV and (unless `json`) the JSON download. */
  rows?: () => Record<string, Cell>[];
  /** A richer JSON download than the rows. */
  json?: () => unknown;
  tip: Tip | null;
  /** The SVG's viewBox size: the plot keeps its aspect ratio and places the tooltip. */
  width: number;
  height: number;
  caption?: ReactNode;
  /** Shown under the plot, e.g. a data table. */
  below?: ReactNode;
  testId?: string;
  headingLevel?: 2 | 3 | 4;
  /** The SVG. */
  children: ReactNode;
}

export function ChartFrame({ title, file, svgRef, rows, json, tip, width, height, caption, below, testId, headingLevel = 3, children }: ChartFrameProps) {
  const [error, setError] = useState<string | null>(null);
  const subject = useContext(ChartSubject);
  const base = fileSlug(file ?? title);
  const H = `h${headingLevel}` as 'h3';
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
  const jsonData = json ?? rows;
  return (
    <figure className="pc-chart" data-testid={testId}>
      <div className="pc-chart-head">
        <H className="pc-chart-title">{title}</H>
        <div className="pc-chart-tools" role="group" aria-label={`Download ${title}`}>
          <button type="button" className="secondary pc-chart-btn" onClick={run(() => exportSvg(svgNow(), `${base}.svg`, exportHeading(title, subject)))} aria-label={`Download ${title} as SVG`}>
            SVG
          </button>
          <button type="button" className="secondary pc-chart-btn" onClick={run(() => exportPng(svgNow(), `${base}.png`, exportHeading(title, subject)))} aria-label={`Download ${title} as PNG`}>
            PNG
          </button>
          {rows ? (
            <button type="button" className="secondary pc-chart-btn" onClick={run(() => exportCsv(rows(), `${base}.csv`))} aria-label={`Download the data of ${title} as CSV`}>
              CSV
            </button>
          ) : null}
          {jsonData ? (
            <button type="button" className="secondary pc-chart-btn" onClick={run(() => exportJson(jsonData(), `${base}.json`))} aria-label={`Download the data of ${title} as JSON`}>
              JSON
            </button>
          ) : null}
        </div>
      </div>
      {error ? (
        <p className="alert error small" role="alert">
          {error}
        </p>
      ) : null}
      <div className="pc-chart-plot" style={{ aspectRatio: `${width} / ${height}` }}>
        {children}
        <ChartTooltip tip={tip} width={width} height={height} />
      </div>
      {below}
      {caption ? <figcaption className="small muted">{caption}</figcaption> : null}
    </figure>
  );
}

/**
 * A chart's SVG: viewBox of the given size, scaled to the plot's width, the
 * charts' font; with `desc`, a group labelled by that description (charts
 * whose points are the tab stops).
 */
export function ChartSvg({ svgRef, width, height, desc, children, ...rest }: { svgRef: RefObject<SVGSVGElement | null>; width: number; height: number; desc?: string; children: ReactNode } & Omit<SVGProps<SVGSVGElement>, 'ref' | 'viewBox' | 'width' | 'height'>) {
  const id = `${useId()}-desc`;
  const described = desc ? { role: 'group', 'aria-labelledby': id } : {};
  return (
    <svg ref={svgRef} viewBox={`0 0 ${width} ${height}`} className="pc-chart-svg" fontFamily={FONT} {...described} {...rest}>
      {desc ? <desc id={id}>{desc}</desc> : null}
      {children}
    </svg>
  );
}

/** A legend entry drawn inside the SVG (kept in exports): a line, or with `swatch` a square. */
export function LegendItem({ x, y, color, label, dashed, swatch }: { x: number; y: number; color: string; label: string; dashed?: boolean; swatch?: boolean }) {
  return (
    <g transform={`translate(${x},${y})`} fontFamily={FONT} fontSize={swatch ? 11 : 12} fill={INK}>
      {swatch ? <rect y={-5} width={10} height={10} fill={color} /> : <line x1={0} x2={18} y1={0} y2={0} stroke={color} strokeWidth={2.5} strokeDasharray={dashed ? '4 3' : undefined} />}
      <text x={swatch ? 14 : 24} dy="0.32em">
        {label}
      </text>
    </g>
  );
}

/**
 * A legend entry that shows or hides its series (click, Enter or Space), for
 * the charts whose legends toggle series: one keyboard and ARIA behaviour.
 */
export function ToggleLegendEntry({ index, label, hidden, onToggle, children }: { index: number; label: string; hidden: boolean; onToggle: () => void; children: ReactNode }) {
  return (
    <g
      transform={`translate(0,${index * 18})`}
      role="button"
      tabIndex={0}
      aria-pressed={!hidden}
      aria-label={`Show ${label}`}
      style={{ cursor: 'pointer' }}
      opacity={hidden ? 0.35 : 1}
      onClick={onToggle}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onToggle();
        }
      }}
    >
      {children}
    </g>
  );
}
