'use client';
/**
 * Deletion curves (the PCACE paper's proposed pruning experiment, §8): for
 * each measure's order, the class score (or its RMS change, or the accuracy)
 * against the fraction of the layer's channels removed, with the band of
 * random orders (5–95 %, median dashed) that a ranking should beat. A marker
 * can show where one channel is removed on one curve (the channel page).
 * Points are focusable (one tab stop; arrows move along a curve, up/down
 * switch curves), legend entries toggle curves, the data table is one click away.
 */
import * as d3 from 'd3';
import { useMemo, useRef, type ReactNode } from 'react';
import { AxisBottom, AxisLeft } from './axes';
import { curveScales, CurveLegendEntry, useCurveCursor, type CurvePlaced } from './curves';
import { ChartFrame, ChartSvg, tipAt } from './frame';
import { DataTable } from './table';
import { exact, INK, MUTED, palette } from './theme';

export interface DeletionSeries {
  key: string;
  label: string;
  /** One value per fraction. */
  values: number[];
  /** Area under the curve, shown in the legend's title and the table. */
  area?: number;
  color?: string;
}

export interface DeletionBand {
  q05: number[];
  q50: number[];
  q95: number[];
  label: string;
}

export interface DeletionCurvesProps {
  title: string;
  fractions: number[];
  series: DeletionSeries[];
  band?: DeletionBand | null;
  yLabel: string;
  xLabel?: string;
  /** Where a channel leaves one curve: its fraction and that curve's key. */
  marker?: { series: string; fraction: number; label: string };
  width?: number;
  height?: number;
  filename?: string;
  caption?: ReactNode;
  testId?: string;
}

interface Placed extends CurvePlaced {
  f: number;
  value: number;
}

export function DeletionCurves({
  title,
  fractions,
  series,
  band,
  yLabel,
  xLabel = 'Fraction of the layer’s channels removed',
  marker,
  width = 880,
  height = 380,
  filename,
  caption,
  testId,
}: DeletionCurvesProps) {
  const svgRef = useRef<SVGSVGElement>(null);
  const legendW = 190;
  const m = { top: 16, right: 16 + legendW, bottom: 50, left: 66 };
  const rowsInLegend = series.length + (band ? 1 : 0);
  const H = Math.max(height, m.top + 18 * rowsInLegend + 24);
  const colors = palette(series.length);

  const { x, y, placed } = useMemo(() => {
    const all = [...series.flatMap((s) => s.values), ...(band ? [...band.q05, ...band.q95] : [])].filter(Number.isFinite);
    const { x, y } = curveScales(width, H, m, d3.min(all) ?? 0, d3.max(all) ?? 1);
    const placed: Placed[][] = series.map((s, si) =>
      s.values.map((v, i) => ({ s: si, g: si, i, f: fractions[i], value: v, px: x(fractions[i]), py: y(v) })),
    );
    return { x, y, placed };
  }, [series, band, fractions, width, H]);
  const { hidden, toggle, activePoint, pointProps, svgHandlers } = useCurveCursor(placed, series, svgRef);
  const line = d3
    .line<Placed>()
    .x((p) => p.px)
    .y((p) => p.py);
  const area = d3
    .area<number>()
    .x((_, i) => x(fractions[i]))
    .y0((_, i) => y(band!.q05[i]))
    .y1((v) => y(v));

  const tip = tipAt(activePoint, (p) => [
    series[p.s].label,
    `${(100 * p.f).toFixed(0)} % removed`,
    `${yLabel}: ${exact(p.value)}`,
    ...(band ? [`random orders: ${exact(band.q05[p.i])} – ${exact(band.q95[p.i])} (median ${exact(band.q50[p.i])})`] : []),
  ]);

  const markerAt = marker ? series.findIndex((s) => s.key === marker.series) : -1;
  const markerValue = markerAt >= 0 ? interpolate(fractions, series[markerAt].values, marker!.fraction) : null;
  const csvRows = () =>
    fractions.flatMap((f, i) => [
      ...series.map((s) => ({ curve: s.label, fraction_removed: f, value: s.values[i] })),
      ...(band ? [{ curve: `${band.label} (5 %)`, fraction_removed: f, value: band.q05[i] }, { curve: `${band.label} (median)`, fraction_removed: f, value: band.q50[i] }, { curve: `${band.label} (95 %)`, fraction_removed: f, value: band.q95[i] }] : []),
    ]);
  return (
    <ChartFrame
      title={title}
      file={filename}
      svgRef={svgRef}
      caption={caption}
      tip={tip}
      width={width}
      height={H}
      rows={csvRows}
      testId={testId}
      below={
        <DataTable
          title={title}
          summary={`Data table (${series.length} curves × ${fractions.length} fractions)`}
          columns={[{ label: 'Curve', mono: true }, { label: 'Area', num: true }, ...fractions.map((f) => ({ label: `${(100 * f).toFixed(0)} %`, num: true }))]}
          rows={() => [
            ...series.map((s, k) => ({ key: s.key, cells: [s.label, s.area === undefined ? '—' : exact(s.area), ...s.values.map(exact)] as (string | number)[] })),
            ...(band ? [{ key: 'band-median', cells: [`${band.label} (median)`, '—', ...band.q50.map(exact)] as (string | number)[] }] : []),
          ]}
        />
      }
    >
      <ChartSvg
        svgRef={svgRef}
        width={width}
        height={H}
        desc={`${title}: ${series.length} curves${band ? ' and the band of random orders' : ''}; ${yLabel} against ${xLabel}. Tab to the points, then use the arrow keys.`}
        {...svgHandlers}
        data-chart="deletion-curves"
      >
        <AxisLeft scale={y} at={m.left} label={yLabel} grid={width - m.left - m.right} format={(v) => d3.format('.3~g')(v)} />
        <AxisBottom scale={x} at={H - m.bottom} label={xLabel} format={(v) => `${Math.round(100 * Number(v))} %`} />
        {band ? (
          <g data-band="" aria-hidden="true">
            <path d={area(band.q95) ?? ''} fill={MUTED} opacity={0.16} />
            <path d={d3.line<number>().x((_, i) => x(fractions[i])).y((v) => y(v))(band.q50) ?? ''} fill="none" stroke={MUTED} strokeDasharray="5 4" strokeWidth={1.25} />
          </g>
        ) : null}
        {placed.map((pts, s) =>
          hidden.has(series[s].key) ? null : (
            <g key={series[s].key} data-series={series[s].key} role="list" aria-label={`${series[s].label}: ${pts.length} points`}>
              <path d={line(pts) ?? ''} fill="none" stroke={series[s].color ?? colors[s]} strokeWidth={1.75} aria-hidden="true" />
              {pts.map((p) => (
                <circle key={p.i} {...pointProps(p, `${series[s].label}, ${(100 * p.f).toFixed(0)} % removed, ${yLabel} ${exact(p.value)}`)} r={2.6} fill={series[s].color ?? colors[s]} />
              ))}
            </g>
          ),
        )}
        {markerValue !== null ? (
          <g data-marker="" aria-label={marker!.label}>
            <line x1={x(marker!.fraction)} x2={x(marker!.fraction)} y1={m.top} y2={H - m.bottom} stroke={INK} strokeDasharray="2 3" />
            <circle cx={x(marker!.fraction)} cy={y(markerValue)} r={5} fill="none" stroke={INK} strokeWidth={2} />
            <text x={x(marker!.fraction) + 6} y={m.top + 10} fontSize={11} fill={INK}>
              {marker!.label}
            </text>
          </g>
        ) : null}
        {activePoint ? <circle cx={activePoint.px} cy={activePoint.py} r={6} fill="none" stroke={INK} strokeWidth={2} data-export="skip" pointerEvents="none" /> : null}
        <g transform={`translate(${width - legendW + 12},${m.top})`} fontSize={12} data-legend="">
          {series.map((s, k) => (
            <CurveLegendEntry
              key={s.key}
              index={k}
              label={s.label}
              title={s.area === undefined ? s.label : `${s.label}: area ${exact(s.area)}`}
              color={s.color ?? colors[k]}
              maxChars={24}
              hidden={hidden.has(s.key)}
              onToggle={() => toggle(s.key)}
            />
          ))}
          {band ? (
            <g transform={`translate(0,${series.length * 18})`} aria-label={band.label}>
              <rect width={18} height={10} fill={MUTED} opacity={0.25} />
              <text x={24} y={9} fill={INK}>
                {band.label}
              </text>
            </g>
          ) : null}
        </g>
      </ChartSvg>
    </ChartFrame>
  );
}

/** The curve's value at fraction f (linear between the read fractions). */
function interpolate(fractions: number[], values: number[], f: number): number {
  for (let i = 1; i < fractions.length; i++) {
    if (f <= fractions[i]) {
      const t = (f - fractions[i - 1]) / (fractions[i] - fractions[i - 1] || 1);
      return values[i - 1] + t * (values[i] - values[i - 1]);
    }
  }
  return values[values.length - 1];
}
