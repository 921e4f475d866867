'use client';
/**
 * The architecture comparison's charts, all on the relative-depth axis
 * (layer position / conv layers of the model, 1 = last conv layer), so
 * networks of 13 and 20 conv layers line up.
 */
import * as d3 from 'd3';
import { useMemo, useRef } from 'react';
import type { ArchitectureSide } from '@/lib/server/shared/compare';
import { ACCENT, AxisBottom, AxisLeft, ChartFrame, ChartSvg, exact, FONT, INK, LegendItem, MUTED, SIDE_COLORS, tipAt, useCursor, type CursorPoint } from '@/app/_components/charts';

/** A channel's verdict in the tooltip. */
const verdictWords = (b: boolean | null | undefined) => (b === true ? 'beats noise' : b === false ? 'does not beat noise' : 'verdict: not calibrated');

const W = 900;
const M = { top: 34, right: 18, bottom: 50, left: 62 };

export interface Layered {
  side: ArchitectureSide;
  /** Offset of each layer's first channel in side.channel / side.score. */
  offsets: number[];
  label: string;
}

export function layered(sides: ArchitectureSide[], labels: string[]): Layered[] {
  return sides.map((side, s) => {
    const offsets: number[] = [];
    side.layers.n.reduce((acc, n) => (offsets.push(acc), acc + n), 0);
    return { side, offsets, label: labels[s] };
  });
}

/**
 * Where a layer sits on the depth axis: the segment ending at its depth. All
 * three charts place a layer in this segment (curves across it, box and
 * maximum at its centre), so one layer is at one x in each of them.
 */
const segment = (side: ArchitectureSide, l: number) => {
  const width = 1 / Math.max(side.analysis.model.layerCount, side.layers.index[side.layers.index.length - 1] + 1, 1);
  const start = side.layers.depth[l] - width;
  return { start, width, centre: start + width / 2 };
};

function scoreDomain(values: (number | null)[]): [number, number] {
  const ext = d3.extent(values.filter((v): v is number => v !== null));
  const lo = Math.min(0, ext[0] ?? 0);
  const hi = Math.max(ext[1] ?? 1, lo + 0.1);
  return [lo, hi];
}

type CurvePoint = CursorPoint & { s: number; l: number; r: number; channel: number; value: number };

/** What the verdict legend says about the rules: one rule for both networks, or each network's (or "not calibrated"). */
function rulesLegend(data: Layered[]): { text: string; title: string } | null {
  const shorts = data.map((d) => d.side.summary.ruleShort);
  if (shorts.every((r) => r === null)) return null;
  const same = shorts.every((r) => r === shorts[0]) && data.every((d) => d.side.summary.rule === data[0].side.summary.rule);
  return {
    text: same ? shorts[0]! : data.map((d, s) => `${d.label}: ${shorts[s] ?? 'not calibrated'}`).join('; '),
    title: data.map((d) => `${d.label}: ${d.side.summary.rule ?? 'not calibrated (no null)'}`).join('\n'),
  };
}

/**
 * Every layer's scores sorted best first, drawn inside its depth segment; both
 * networks overlaid. Stretches of channels that do not beat noise under their
 * layer's stored rule are dashed, and the legend names the rule.
 */
export function DepthCurves({ data, scoreLabel }: { data: Layered[]; scoreLabel: string }) {
  const H = 400;
  const svgRef = useRef<SVGSVGElement>(null);
  const rules = useMemo(() => rulesLegend(data), [data]);
  // A second legend row (the verdicts) moves the plot down.
  const top = M.top + (rules ? 16 : 0);
  const { x, y, points, paths } = useMemo(() => {
    const x = d3.scaleLinear().domain([0, 1]).range([M.left, W - M.right]);
    const y = d3
      .scaleLinear()
      .domain(scoreDomain(data.flatMap((d) => d.side.score)))
      .nice()
      .range([H - M.bottom, top]);
    const points: CurvePoint[] = [];
    const paths = data.map(({ side, offsets }, s) => {
      let d = '';
      let noise = '';
      let count = 0;
      let noiseCount = 0;
      side.layers.n.forEach((n, l) => {
        const { start, width } = segment(side, l);
        let move = true;
        let prev: string | null = null;
        let prevNoise = false;
        for (let r = 0; r < n; r++) {
          const value = side.score[offsets[l] + r];
          if (value === null) continue;
          // 4 % gaps between layers keep the segments apart.
          const px = x(start + width * (0.04 + 0.92 * (n === 1 ? 0.5 : r / (n - 1))));
          const py = y(value);
          const at = `${px.toFixed(1)},${py.toFixed(1)}`;
          d += `${move ? 'M' : 'L'}${at}`;
          // A stretch of ≈ noise channels: the dashes run from the previous point, so a lone one still shows.
          const isNoise = side.beats[offsets[l] + r] === false;
          if (isNoise) {
            noise += prevNoise ? `L${at}` : prev ? `M${prev}L${at}` : `M${at}`;
            noiseCount++;
          }
          prevNoise = isNoise;
          prev = at;
          move = false;
          count++;
          points.push({ px, py, g: s, s, l, r, channel: side.channel[offsets[l] + r], value });
        }
      });
      return { d, count, noise, noiseCount };
    });
    return { x, y, points, paths };
  }, [data, top]);
  const cursor = useCursor(points, svgRef);
  const p = cursor.index !== null ? points[cursor.index] : null;
  const tip = tipAt(p, (p) => [
    data[p.s].label,
    `${data[p.s].side.layers.name[p.l]} (depth ${exact(data[p.s].side.layers.depth[p.l])})`,
    `channel ${p.channel}: rank ${p.r + 1} of ${data[p.s].side.layers.n[p.l]}`,
    `${scoreLabel}: ${exact(p.value)}`,
    verdictWords(data[p.s].side.beats[data[p.s].offsets[p.l] + p.r]),
  ]);
  const rows = () =>
    points.map((q) => ({ network: data[q.s].label, layer: data[q.s].side.layers.name[q.l], depth: data[q.s].side.layers.depth[q.l], rank: q.r + 1, channel: q.channel, score: q.value }));
  return (
    <ChartFrame
      title="Sorted scores by relative depth"
      file="sorted-scores-by-depth"
      svgRef={svgRef}
      rows={rows}
      tip={tip}
      width={W}
      height={H}
      testId="cmp-depth-curves"
      caption={`Each layer's channels sorted best first inside the layer's stretch of the depth axis (its position among the model's conv layers).${rules ? " Dashed stretches are channels that do not beat noise under their layer's rule." : ''} Hover or focus the chart and use the arrow keys for exact values.`}
    >
      <ChartSvg svgRef={svgRef} width={W} height={H} role="img" aria-label={`Sorted ${scoreLabel} of every layer against relative depth, both networks`} tabIndex={0} {...cursor.handlers}>
        <AxisLeft scale={y} at={M.left} label={scoreLabel} grid={W - M.left - M.right} />
        <AxisBottom scale={x} at={H - M.bottom} label="relative depth (layer position / conv layers)" format={d3.format('.1f')} />
        {y.domain()[0] < 0 ? <line x1={M.left} x2={W - M.right} y1={y(0)} y2={y(0)} stroke={MUTED} strokeDasharray="3 3" /> : null}
        {paths.map((path, s) => (
          <path key={s} d={path.d} fill="none" stroke={SIDE_COLORS[s]} strokeWidth={1.4} strokeOpacity={0.9} data-series={s} data-points={path.count} />
        ))}
        {/* White gaps over the ≈ noise stretches turn them into dashes of the network's colour. */}
        {paths.map((path, s) =>
          path.noiseCount > 0 ? <path key={s} d={path.noise} fill="none" stroke="#ffffff" strokeWidth={2.4} strokeDasharray="3 3" data-verdict="not" data-side={s} data-points={path.noiseCount} /> : null,
        )}
        {data.map((d, s) => (
          <LegendItem key={s} x={M.left + 8 + s * 380} y={14} color={SIDE_COLORS[s]} label={d.label} />
        ))}
        {rules ? (
          <g data-verdict-legend="" aria-label={rules.title}>
            <title>{rules.title}</title>
            <LegendItem x={M.left + 8} y={32} color={INK} label="beats noise" />
            <LegendItem x={M.left + 128} y={32} color={INK} label="≈ noise" dashed />
            <text x={M.left + 228} y={32} dy="0.32em" fontFamily={FONT} fontSize={10} fill={MUTED} data-legend-rule="">
              {rules.text}
            </text>
          </g>
        ) : null}
        {p ? <circle cx={p.px} cy={p.py} r={5} fill="none" stroke={SIDE_COLORS[p.s]} strokeWidth={2} data-export="skip" /> : null}
      </ChartSvg>
    </ChartFrame>
  );
}

type BoxPoint = CursorPoint & { s: number; l: number };

/** One box per layer (Tukey: box = quartiles, whiskers = 1.5 IQR), a panel per network, a shared depth axis. */
export function DepthBoxes({ data, scoreLabel }: { data: Layered[]; scoreLabel: string }) {
  const panel = 170;
  const H = M.top + panel * data.length + 24 * (data.length - 1) + M.bottom;
  const svgRef = useRef<SVGSVGElement>(null);
  const { x, ys, points } = useMemo(() => {
    const x = d3.scaleLinear().domain([0, 1]).range([M.left, W - M.right]);
    const dom = scoreDomain(data.flatMap((d) => [...d.side.layers.min, ...d.side.layers.max]));
    const ys = data.map((_, s) => {
      const top = M.top + s * (panel + 24);
      return d3.scaleLinear().domain(dom).nice().range([top + panel, top]);
    });
    const points: BoxPoint[] = data.flatMap(({ side }, s) =>
      side.layers.median.flatMap((m, l) => {
        if (m === null) return [];
        return [{ px: x(segment(side, l).centre), py: ys[s](m), g: s, s, l }];
      }),
    );
    return { x, ys, points };
  }, [data]);
  const cursor = useCursor(points, svgRef, 60);
  const p = cursor.index !== null ? points[cursor.index] : null;
  const L = (s: number) => data[s].side.layers;
  const tip = tipAt(p, (p) => [
    `${data[p.s].label}: ${L(p.s).name[p.l]}`,
    `depth ${exact(L(p.s).depth[p.l])}, ${L(p.s).n[p.l]} channels`,
    `max ${exact(L(p.s).max[p.l]!)} · q3 ${exact(L(p.s).q3[p.l]!)}`,
    `median ${exact(L(p.s).median[p.l]!)}`,
    `q1 ${exact(L(p.s).q1[p.l]!)} · min ${exact(L(p.s).min[p.l]!)}`,
    L(p.s).withVerdict[p.l] ? `beat noise: ${L(p.s).beatNoise[p.l]} of ${L(p.s).withVerdict[p.l]} (${L(p.s).rule[p.l]})` : 'verdicts: not calibrated',
  ]);
  const rows = () =>
    data.flatMap(({ side, label }) =>
      side.layers.name.map((name, l) => ({
        network: label,
        layer: name,
        depth: side.layers.depth[l],
        channels: side.layers.n[l],
        min: side.layers.min[l],
        whisker_low: side.layers.lo[l],
        q1: side.layers.q1[l],
        median: side.layers.median[l],
        q3: side.layers.q3[l],
        whisker_high: side.layers.hi[l],
        max: side.layers.max[l],
        with_verdict: side.layers.withVerdict[l],
        beat_noise: side.layers.beatNoise[l],
        verdict_rule: side.layers.rule[l] ?? 'not calibrated',
      })),
    );
  return (
    <ChartFrame title="Score distribution per layer" file="score-distribution-per-layer" svgRef={svgRef} rows={rows} tip={tip} width={W} height={H} testId="cmp-depth-boxes" caption="Boxes span the quartiles with the median inside; whiskers reach the most extreme scores within 1.5 × IQR, dots beyond are the maxima.">
      <ChartSvg svgRef={svgRef} width={W} height={H} role="img" aria-label={`Distribution of ${scoreLabel} per layer, one panel per network`} tabIndex={0} {...cursor.handlers}>
        {data.map(({ side, label }, s) => {
          const y = ys[s];
          const bw = Math.max(3, Math.min(26, (x(1) - x(0)) / Math.max(1, side.analysis.model.layerCount) - 6));
          return (
            <g key={s} data-series={s} data-boxes={side.layers.median.filter((m) => m !== null).length}>
              <AxisLeft scale={y} at={M.left} label={scoreLabel} ticks={4} grid={W - M.left - M.right} />
              <text x={M.left + 6} y={y.range()[1] - 6} fontFamily={FONT} fontSize={12} fontWeight={600} fill={SIDE_COLORS[s]}>
                {label}
              </text>
              {side.layers.name.map((name, l) => {
                const b = side.layers;
                if (b.median[l] === null) return null;
                const cx = x(segment(side, l).centre);
                return (
                  <g key={name} data-layer={name}>
                    <line x1={cx} x2={cx} y1={y(b.lo[l]!)} y2={y(b.hi[l]!)} stroke={SIDE_COLORS[s]} />
                    <rect x={cx - bw / 2} width={bw} y={y(b.q3[l]!)} height={Math.max(1, y(b.q1[l]!) - y(b.q3[l]!))} fill={SIDE_COLORS[s]} fillOpacity={0.18} stroke={SIDE_COLORS[s]} />
                    <line x1={cx - bw / 2} x2={cx + bw / 2} y1={y(b.median[l]!)} y2={y(b.median[l]!)} stroke={SIDE_COLORS[s]} strokeWidth={2} />
                    {b.max[l]! > b.hi[l]! ? <circle cx={cx} cy={y(b.max[l]!)} r={2.5} fill={SIDE_COLORS[s]} /> : null}
                  </g>
                );
              })}
            </g>
          );
        })}
        <AxisBottom scale={x} at={H - M.bottom} label="relative depth (layer position / conv layers)" format={d3.format('.1f')} />
        {p ? <rect x={p.px - 16} y={ys[p.s].range()[1]} width={32} height={panel} fill={ACCENT} fillOpacity={0.07} data-export="skip" /> : null}
      </ChartSvg>
    </ChartFrame>
  );
}

type MaxPoint = CursorPoint & { s: number; l: number };

/** The best channel of each layer against depth: where in the network the strongest channels sit. */
export function MaxByDepth({ data, scoreLabel }: { data: Layered[]; scoreLabel: string }) {
  const H = 300;
  const svgRef = useRef<SVGSVGElement>(null);
  const { x, y, points } = useMemo(() => {
    const x = d3.scaleLinear().domain([0, 1]).range([M.left, W - M.right]);
    const y = d3
      .scaleLinear()
      .domain(scoreDomain(data.flatMap((d) => d.side.layers.max)))
      .nice()
      .range([H - M.bottom, M.top]);
    const points: MaxPoint[] = data.flatMap(({ side }, s) =>
      side.layers.max.flatMap((m, l) => (m === null ? [] : [{ px: x(segment(side, l).centre), py: y(m), g: s, s, l }])),
    );
    return { x, y, points };
  }, [data]);
  const cursor = useCursor(points, svgRef);
  const p = cursor.index !== null ? points[cursor.index] : null;
  const best = (s: number, l: number) => data[s].side.channel[data[s].offsets[l]];
  const tip = tipAt(p, (p) => [data[p.s].label, `${data[p.s].side.layers.name[p.l]} (depth ${exact(data[p.s].side.layers.depth[p.l])})`, `best channel ${best(p.s, p.l)}`, `${scoreLabel}: ${exact(data[p.s].side.layers.max[p.l]!)}`]);
  const rows = () => points.map((q) => ({ network: data[q.s].label, layer: data[q.s].side.layers.name[q.l], depth: data[q.s].side.layers.depth[q.l], best_channel: best(q.s, q.l), max_score: data[q.s].side.layers.max[q.l] }));
  const line = d3
    .line<MaxPoint>()
    .x((q) => q.px)
    .y((q) => q.py);
  return (
    <ChartFrame title="Maximum score by depth" file="max-score-by-depth" svgRef={svgRef} rows={rows} tip={tip} width={W} height={H} testId="cmp-max-depth" caption="The highest score of each layer, at the centre of the layer's stretch of the depth axis (where its box and its curve are in the charts above).">
      <ChartSvg svgRef={svgRef} width={W} height={H} role="img" aria-label={`Maximum ${scoreLabel} per layer against relative depth`} tabIndex={0} {...cursor.handlers}>
        <AxisLeft scale={y} at={M.left} label={`max ${scoreLabel}`} grid={W - M.left - M.right} />
        <AxisBottom scale={x} at={H - M.bottom} label="relative depth (layer position / conv layers)" format={d3.format('.1f')} />
        {data.map((_, s) => {
          const pts = points.filter((q) => q.s === s);
          return (
            <g key={s} data-series={s} data-points={pts.length}>
              <path d={line(pts) ?? ''} fill="none" stroke={SIDE_COLORS[s]} strokeWidth={2} />
              {pts.map((q) => (
                <circle key={q.l} cx={q.px} cy={q.py} r={3.5} fill={SIDE_COLORS[s]} data-layer={data[s].side.layers.name[q.l]} />
              ))}
            </g>
          );
        })}
        {data.map((d, s) => (
          <LegendItem key={s} x={M.left + 8 + s * 380} y={14} color={SIDE_COLORS[s]} label={d.label} />
        ))}
        {p ? <circle cx={p.px} cy={p.py} r={7} fill="none" stroke={SIDE_COLORS[p.s]} strokeWidth={2} data-export="skip" /> : null}
      </ChartSvg>
    </ChartFrame>
  );
}
