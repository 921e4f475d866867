/**
 * The one axis kit of the charts: React draws each axis from a d3 scale, so the
 * server renders it, snapshot tests see it and exports contain it (d3-axis
 * would draw into the DOM in an effect, after the first paint). One component
 * for the four sides, as Observable Plot's axis marks: the side says where the
 * ticks and the label go; the options say how many ticks, their format, a
 * grid, and the sizes of small charts. The axis label keeps clear of the
 * tick labels by their declared extent (`textWidth`), and a chart sizes its
 * margins with `axisLeftWidth` / `axisBottomHeight`, so labels neither overlap
 * ticks nor fall outside the SVG.
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
  /**
   * Distance of the label's baseline from the axis line (default: just clear
   * of the tick labels below a bottom axis, 14 px from the chart's left edge
   * for a left one); pushed further out when the tick labels need the room.
   */
  labelOffset?: number;
}

/** Room between the tick labels and the axis label. */
const LABEL_GAP = 4;
/** A line of text's box above and below its baseline, in em (DejaVu Sans' ascent and descent, the tallest fallback). */
const ASCENT = 0.93;
const DESCENT = 0.24;

/**
 * Width of `text` at `fontSize`, from per-character advances no narrower than
 * the widest sans-serif the charts fall back to (DejaVu Sans): the server
 * cannot measure, and an estimate on the wide side never lets a label overlap.
 */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const c of text) {
    if (/[0-9]/.test(c)) em += 0.64;
    else if (c === '.' || c === ',' || c === ' ' || c === ':') em += 0.32;
    else if (c === '-') em += 0.37;
    else if (c === '%' || c === 'm' || c === 'w' || c === 'M' || c === 'W' || c === '\u2212') em += 0.98;
    else if (/[A-Z]/.test(c)) em += 0.75;
    else em += 0.64;
  }
  return em * fontSize;
}

/** Sizes the label text of an axis, one larger than its ticks. */
const labelSize = (fontSize: number) => fontSize + 1;

type Extent<S extends AxisScale> = Pick<AxisProps<S>, 'ticks' | 'tickValues' | 'format' | 'tickSize' | 'fontSize'>;

/** Distance from a left axis' line to the far edge of its widest tick label. */
function leftTickExtent<S extends AxisScale>(scale: S, { tickSize = 5, fontSize = 11, ...rest }: Extent<S>): number {
  const widest = Math.max(0, ...axisTicks(scale, { ...rest, ticks: rest.ticks ?? 5 }).map((t) => textWidth(t.text, fontSize)));
  return tickSize + 3 + widest;
}

/** Distance from a bottom axis' line to the bottom of its tick labels (baseline plus descent). */
const bottomTickExtent = (tickSize: number, fontSize: number) => tickSize + fontSize + 1 + DESCENT * fontSize;

/** The nearest a left axis' label baseline may sit: its descent clear of the tick labels. */
const leftLabelMin = <S extends AxisScale>(scale: S, o: Extent<S>) => leftTickExtent(scale, o) + LABEL_GAP + DESCENT * labelSize(o.fontSize ?? 11);

/** The nearest a bottom axis' label baseline may sit: its ascent clear of the tick labels. */
const bottomLabelMin = (tickSize: number, fontSize: number) => bottomTickExtent(tickSize, fontSize) + LABEL_GAP + ASCENT * labelSize(fontSize);

/** Room a left axis takes left of its line (ticks, tick labels and label): a chart's least left margin. */
export function axisLeftWidth<S extends AxisScale>(scale: S, o: Extent<S> & { label?: string }): number {
  return Math.ceil(o.label ? Math.ceil(leftLabelMin(scale, o)) + ASCENT * labelSize(o.fontSize ?? 11) : leftTickExtent(scale, o));
}

/** Room a bottom axis takes below its line: a chart's least bottom margin. */
export function axisBottomHeight({ label, tickSize = 5, fontSize = 11 }: { label?: string; tickSize?: number; fontSize?: number }): number {
  return Math.ceil(label ? Math.ceil(bottomLabelMin(tickSize, fontSize)) + DESCENT * labelSize(fontSize) : bottomTickExtent(tickSize, fontSize));
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
  const { scale, at, label, grid = 0, tickSize = 5, fontSize = 11 } = props;
  const [x0, x1] = scale.range();
  const labelOffset = Math.max(props.labelOffset ?? 0, Math.ceil(bottomLabelMin(tickSize, fontSize)));
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
        <text x={(x0 + x1) / 2} y={labelOffset} textAnchor="middle" fill={INK} fontSize={labelSize(fontSize)} data-axis-label="x">
          {label}
        </text>
      ) : null}
    </g>
  );
}

/** An axis left of the plot: tick labels before the line, the label turned up along it. */
export function AxisLeft<S extends AxisScale>(props: AxisProps<S>) {
  const { scale, at, label, grid = 0, tickSize = 5, fontSize = 11 } = props;
  const [y0, y1] = scale.range();
  const labelOffset = Math.max(props.labelOffset ?? at - 14, Math.ceil(leftLabelMin(scale, props)));
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
        <text transform={`translate(${-labelOffset},${(y0 + y1) / 2}) rotate(-90)`} textAnchor="middle" fill={INK} fontSize={labelSize(fontSize)} data-axis-label="y">
          {label}
        </text>
      ) : null}
    </g>
  );
}
