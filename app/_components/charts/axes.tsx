/**
 * The one axis kit of the charts: React draws each axis from a d3 scale, so the
 * server renders it, snapshot tests see it and exports contain it (d3-axis
 * would draw into the DOM in an effect, after the first paint). One component
 * for the four sides, as Observable Plot's axis marks: the side says where the
 * ticks and the label go; the options say how many ticks, their format, a
 * grid, and the sizes of small charts.
 */
import * as d3 from 'd3';
import { FONT, GRID, INK, MUTED } from './theme';

/** A continuous scale, or a band scale (one tick per band, at its centre). */
export type AxisScale = d3.ScaleLinear<number, number> | d3.ScaleBand<string>;

export interface AxisProps<S extends AxisScale = AxisScale> {
  scale: S;
  /** Pixel position of the axis line: y for a bottom axis, x for a left one. */
  at: number;
  label?: string;
  /** How many ticks a continuous scale aims at (d3's `scale.ticks(n)`). */
  ticks?: number;
  /** Exactly these ticks instead. */
  tickValues?: Domain<S>[];
  format?: (v: Domain<S>) => string;
  /** Length of grid lines drawn across the plot from each tick (0: none). */
  grid?: number;
  tickSize?: number;
  fontSize?: number;
  /** Distance of the label from the axis line. */
  labelOffset?: number;
}

type Domain<S> = S extends d3.ScaleBand<string> ? string : number;

const isBand = (s: AxisScale): s is d3.ScaleBand<string> => 'bandwidth' in s;

interface Tick {
  key: string;
  pos: number;
  text: string;
}

/** Where the ticks of `scale` go and what they say. */
export function axisTicks<S extends AxisScale>(scale: S, { ticks = 6, tickValues, format }: Pick<AxisProps<S>, 'ticks' | 'tickValues' | 'format'>): Tick[] {
  if (isBand(scale)) {
    const values = (tickValues as string[] | undefined) ?? scale.domain();
    const f = (format as ((v: string) => string) | undefined) ?? String;
    return values.map((v) => ({ key: v, pos: (scale(v) ?? 0) + scale.bandwidth() / 2, text: f(v) }));
  }
  const values = (tickValues as number[] | undefined) ?? scale.ticks(ticks);
  const f = (format as ((v: number) => string) | undefined) ?? scale.tickFormat(ticks);
  return values.map((v) => ({ key: String(v), pos: scale(v), text: f(v) }));
}

/** An axis below the plot: tick labels under the line, the label centred beneath them. */
export function AxisBottom<S extends AxisScale>(props: AxisProps<S>) {
  const { scale, at, label, grid = 0, tickSize = 5, fontSize = 11, labelOffset = 36 } = props;
  const [x0, x1] = scale.range();
  return (
    <g transform={`translate(0,${at})`} fontFamily={FONT} fontSize={fontSize} fill={MUTED} data-axis="x">
      <line x1={x0} x2={x1} stroke={MUTED} />
      {axisTicks(scale, { ...props, ticks: props.ticks ?? 6 }).map((t) => (
        <g key={t.key} transform={`translate(${t.pos},0)`}>
          {grid ? <line y2={-grid} stroke={GRID} /> : null}
          {tickSize ? <line y2={tickSize} stroke={MUTED} /> : null}
          <text y={tickSize + fontSize + 1} textAnchor="middle">
            {t.text}
          </text>
        </g>
      ))}
      {label ? (
        <text x={(x0 + x1) / 2} y={labelOffset} textAnchor="middle" fill={INK} fontSize={fontSize + 1} data-axis-label="x">
          {label}
        </text>
      ) : null}
    </g>
  );
}

/** An axis left of the plot: tick labels before the line, the label turned up along it. */
export function AxisLeft<S extends AxisScale>(props: AxisProps<S>) {
  const { scale, at, label, grid = 0, tickSize = 5, fontSize = 11, labelOffset = at - 14 } = props;
  const [y0, y1] = scale.range();
  return (
    <g transform={`translate(${at},0)`} fontFamily={FONT} fontSize={fontSize} fill={MUTED} data-axis="y">
      <line y1={y0} y2={y1} stroke={MUTED} />
      {axisTicks(scale, { ...props, ticks: props.ticks ?? 5 }).map((t) => (
        <g key={t.key} transform={`translate(0,${t.pos})`}>
          {grid ? <line x2={grid} stroke={GRID} /> : null}
          {tickSize ? <line x2={-tickSize} stroke={MUTED} /> : null}
          <text x={-(tickSize + 3)} dy="0.32em" textAnchor="end">
            {t.text}
          </text>
        </g>
      ))}
      {label ? (
        <text transform={`translate(${-labelOffset},${(y0 + y1) / 2}) rotate(-90)`} textAnchor="middle" fill={INK} fontSize={fontSize + 1} data-axis-label="y">
          {label}
        </text>
      ) : null}
    </g>
  );
}
