'use client';
/**
 * Two small charts beside the pictures: the activation-maximisation trace
 * (did the optimisation converge?) and the distribution of the channel's mean
 * activation over the analysis' images (how far above the rest the
 * top-activating images sit).
 */
import * as d3 from 'd3';
import { AxisBottom, AxisLeft } from '@/app/_components/charts/axes';
import { ACCENT } from '@/app/_components/charts/theme';
import { formatValue } from './Picture';

const W = 320;
const H = 140;
const M = { top: 10, right: 12, bottom: 30, left: 46 };
// Inline colours (not stylesheet classes): the SVG reads the same outside the page.
const OTHER_BAR = '#b9c3d8';

type Linear = d3.ScaleLinear<number, number>;

/** The kit's axes at the size of these small charts. */
function Axes({ x, y, xLabel, yLabel }: { x: Linear; y: Linear; xLabel: string; yLabel: string }) {
  return (
    <g>
      <AxisLeft scale={y} at={M.left} label={yLabel} ticks={3} format={formatValue} fontSize={10} tickSize={3} labelOffset={M.left - 8} />
      <AxisBottom scale={x} at={H - M.bottom} label={xLabel} ticks={4} format={formatValue} fontSize={10} tickSize={3} labelOffset={M.bottom - 3} />
    </g>
  );
}

/** Mean activation every 10 gradient steps. */
export function TraceChart({ trace, steps }: { trace: number[]; steps: number }) {
  const x = d3.scaleLinear([0, steps], [M.left, W - M.right]);
  const y = d3.scaleLinear(d3.extent(trace) as [number, number], [H - M.bottom, M.top]).nice();
  const line = d3.line<number>((_, i) => x(Math.min(steps, i * 10)), (v) => y(v));
  return (
    <figure className="ch-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Mean activation rose from ${formatValue(trace[0])} to ${formatValue(trace[trace.length - 1])} over ${steps} steps`}>
        <Axes x={x} y={y} xLabel="gradient step" yLabel="mean act." />
        <path d={line(trace) ?? ''} fill="none" stroke={ACCENT} strokeWidth={2} />
      </svg>
      <figcaption className="small muted">Optimisation trace</figcaption>
    </figure>
  );
}

/** Histogram of the channel's mean activation per image; the bars at or above `cut` hold the top images. */
export function MeanHistogram({ edges, counts, cut }: { edges: number[]; counts: number[]; cut: number }) {
  const x = d3.scaleLinear([edges[0], edges[edges.length - 1]], [M.left, W - M.right]);
  const y = d3.scaleLinear([0, d3.max(counts) ?? 1], [H - M.bottom, M.top]).nice();
  const total = d3.sum(counts);
  return (
    <figure className="ch-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Mean activation of the channel on ${total} images, from ${formatValue(edges[0])} to ${formatValue(edges[edges.length - 1])}`}>
        <Axes x={x} y={y} xLabel="mean activation per image" yLabel="images" />
        {counts.map((c, i) => (
          <rect
            key={i}
            className={edges[i + 1] > cut ? 'ch-bar ch-bar-top' : 'ch-bar'}
            fill={edges[i + 1] > cut ? ACCENT : OTHER_BAR}
            x={x(edges[i]) + 0.5}
            width={Math.max(0, x(edges[i + 1]) - x(edges[i]) - 1)}
            y={y(c)}
            height={H - M.bottom - y(c)}
          >
            <title>{`${c} images with mean activation ${formatValue(edges[i])}…${formatValue(edges[i + 1])}`}</title>
          </rect>
        ))}
      </svg>
      <figcaption className="small muted">Mean activation over the analysis&apos; {total} images (shown images in the darker bars)</figcaption>
    </figure>
  );
}
