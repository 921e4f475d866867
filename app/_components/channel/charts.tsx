'use client';
/**
 * Two small charts beside the pictures: the activation-maximisation trace
 * (did the optimisation converge?) and the distribution of the channel's mean
 * activation over the analysis' images (how far above the rest the
 * top-activating images sit).
 */
import * as d3 from 'd3';
import { axisBottomHeight, axisLeftWidth, AxisBottom, AxisLeft } from '@/app/_components/charts/axes';
import { ACCENT } from '@/app/_components/charts/theme';
import { formatValue } from './Picture';

const W = 320;
const H = 140;
const TOP = 10;
const RIGHT = 12;
// Inline colours (not stylesheet classes): the SVG reads the same outside the page.
const OTHER_BAR = '#b9c3d8';

type Linear = d3.ScaleLinear<number, number>;

/** The kit's axes at the size of these small charts. */
const AXIS = { fontSize: 10, tickSize: 3, format: formatValue } as const;
const X_TICKS = 4;
const Y_TICKS = 3;

/**
 * Scales for a small chart of `xDomain` × `yDomain` (y made nice), with the
 * margins the axes need for their tick labels and labels (left and bottom).
 */
function smallScales(xDomain: [number, number], yDomain: [number, number], xLabel: string, yLabel: string) {
  const y = d3.scaleLinear(yDomain, [0, 1]).nice();
  const left = Math.max(40, axisLeftWidth(y, { ...AXIS, ticks: Y_TICKS, label: yLabel }));
  const bottom = axisBottomHeight({ ...AXIS, label: xLabel });
  return { x: d3.scaleLinear(xDomain, [left, W - RIGHT]), y: y.range([H - bottom, TOP]), left, bottom };
}

function Axes({ x, y, xLabel, yLabel, left, bottom }: { x: Linear; y: Linear; xLabel: string; yLabel: string; left: number; bottom: number }) {
  return (
    <g>
      <AxisLeft scale={y} at={left} label={yLabel} ticks={Y_TICKS} {...AXIS} />
      <AxisBottom scale={x} at={H - bottom} label={xLabel} ticks={X_TICKS} {...AXIS} />
    </g>
  );
}

/** Mean activation every 10 gradient steps. */
export function TraceChart({ trace, steps }: { trace: number[]; steps: number }) {
  const labels = { xLabel: 'gradient step', yLabel: 'mean act.' };
  const { x, y, left, bottom } = smallScales([0, steps], d3.extent(trace) as [number, number], labels.xLabel, labels.yLabel);
  const line = d3.line<number>((_, i) => x(Math.min(steps, i * 10)), (v) => y(v));
  return (
    <figure className="ch-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Mean activation rose from ${formatValue(trace[0])} to ${formatValue(trace[trace.length - 1])} over ${steps} steps`}>
        <Axes x={x} y={y} {...labels} left={left} bottom={bottom} />
        <path d={line(trace) ?? ''} fill="none" stroke={ACCENT} strokeWidth={2} />
      </svg>
      <figcaption className="small muted">Optimisation trace</figcaption>
    </figure>
  );
}

/** Histogram of the channel's mean activation per image; the bars at or above `cut` hold the top images. */
export function MeanHistogram({ edges, counts, cut, classes }: { edges: number[]; counts: number[]; cut: number; /** The dataset's class count when the images span all its classes, not the analysis' own. */ classes?: number }) {
  const labels = { xLabel: 'mean activation per image', yLabel: 'images' };
  const { x, y, left, bottom } = smallScales([edges[0], edges[edges.length - 1]], [0, d3.max(counts) ?? 1], labels.xLabel, labels.yLabel);
  const total = d3.sum(counts);
  return (
    <figure className="ch-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Mean activation of the channel on ${total} images, from ${formatValue(edges[0])} to ${formatValue(edges[edges.length - 1])}`}>
        <Axes x={x} y={y} {...labels} left={left} bottom={bottom} />
        {counts.map((c, i) => (
          <rect
            key={i}
            className={edges[i + 1] > cut ? 'ch-bar ch-bar-top' : 'ch-bar'}
            fill={edges[i + 1] > cut ? ACCENT : OTHER_BAR}
            x={x(edges[i]) + 0.5}
            width={Math.max(0, x(edges[i + 1]) - x(edges[i]) - 1)}
            y={y(c)}
            height={H - bottom - y(c)}
          >
            <title>{`${c} images with mean activation ${formatValue(edges[i])}…${formatValue(edges[i + 1])}`}</title>
          </rect>
        ))}
      </svg>
      <figcaption className="small muted">
        Mean activation over {classes ? `${total} images across the dataset's ${classes} classes` : `the analysis' ${total} images`} (shown images in the darker bars)
      </figcaption>
    </figure>
  );
}
