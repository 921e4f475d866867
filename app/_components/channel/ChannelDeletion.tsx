'use client';
/**
 * The channel's place on its layer's deletion curves: the PCACE and
 * mean-ablation orders (top-first) with a marker where this channel is
 * removed, and its position in every measure's order.
 */
import { useState } from 'react';
import type { ChannelImportanceView } from '@/lib/server/shared/importance';
import { DeletionCurves, exact } from '@/app/_components/charts';
import { curveBand, curveSeries } from '@/app/_components/compare/MethodsImportance';
import { curveLabel, CURVE_READINGS, type CurveReading } from '@/app/_components/compare/importance-words';

export function ChannelDeletion({ view, channel, layer }: { view: ChannelImportanceView; channel: number; layer: string }) {
  const { importance, places } = view;
  const [reading, setReading] = useState<CurveReading>('rms');
  const pcace = places.find((p) => p.measure === importance.settings.pcace);
  const series = curveSeries(importance, reading, 'top').filter((s) => s.key === importance.settings.pcace || s.key === 'mean_ablation_rms' || s.key === 'mean_ablation_drop');
  const words = CURVE_READINGS.find((r) => r.key === reading)!;
  return (
    <section className="ch-deletion" aria-label="Place on the deletion curves" data-testid="ch-deletion">
      <h2>Place on the deletion curves</h2>
      <p className="small">
        Removing this layer&apos;s channels by mean-ablation, top-ranked first: channel {channel} is removed {pcace ? <strong>at position {pcace.position} of {view.channels}</strong> : null} in PCACE&apos;s order
        {pcace ? ` (at ${(100 * pcace.fraction).toFixed(0)} % of the layer)` : ''}.
      </p>
      <label className="small">
        Reading{' '}
        <select value={reading} onChange={(e) => setReading(e.target.value as CurveReading)}>
          {CURVE_READINGS.filter((r) => r.key !== 'accuracy' || importance.curves.baseline.accuracy !== null).map((r) => (
            <option key={r.key} value={r.key}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      <DeletionCurves
        title={`Deletion curves, ${layer}: channel ${channel}`}
        filename={`deletion-${layer}-channel-${channel}`}
        fractions={importance.curves.fractions}
        series={series}
        band={curveBand(importance, reading)}
        yLabel={words.axis}
        marker={pcace ? { series: importance.settings.pcace, fraction: pcace.fraction, label: `channel ${channel}` } : undefined}
        height={300}
        caption={`${words.read('top')} The marker is where channel ${channel} leaves PCACE's order.`}
      />
      <div className="table-wrap">
        <table className="data small">
          <caption>Channel {channel} in each order (1 = removed first).</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col" className="num">value</th>
              <th scope="col" className="num">position</th>
              <th scope="col" className="num">removed at</th>
            </tr>
          </thead>
          <tbody>
            {places.map((p) => (
              <tr key={p.measure}>
                <th scope="row">{curveLabel(p.measure)}</th>
                <td className="num">{p.value === null ? '—' : exact(p.value)}</td>
                <td className="num">
                  {p.position} of {view.channels}
                </td>
                <td className="num">{(100 * p.fraction).toFixed(0)} %</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
