'use client';
/**
 * The methods view's importance part: PCACE's agreement with each measure
 * (Spearman and top-k overlap with bootstrap intervals) and the layer's
 * deletion curves, in each measure's order, against the band of random orders.
 */
import Link from 'next/link';
import { useState } from 'react';
import type { MethodsPayload } from '@/lib/server/shared/compare';
import { DeletionCurves, exact, fmtP, type DeletionSeries } from '@/app/_components/charts';
import { curveLabel, CURVE_READINGS, type CurveReading } from './importance-words';

type Importance = NonNullable<MethodsPayload['importance']>;
/** Stored curves of one layer (its importance block) or of the network (the analysis' network-wide curves). */
type WithCurves = { curves: Importance['curves'] };

export function AgreementTable({ importance }: { importance: Importance }) {
  const level = importance.agreement[0]?.level ?? 0.95;
  return (
    <div className="table-wrap">
      <table className="data" data-testid="cmp-agreement">
        <caption>
          PCACE ({importance.settings.pcace}) against each measure, over this layer&apos;s channels: Spearman ρ with a {Math.round(100 * level)} % BCa bootstrap interval, and the share of PCACE&apos;s top k that
          the measure also puts in its top k with a percentile bootstrap interval (channels resampled, {importance.agreement[0]?.bootstrap ?? 0} replicates).
        </caption>
        <thead>
          <tr>
            <th scope="col">Measure</th>
            <th scope="col" className="num">Spearman ρ</th>
            <th scope="col" className="num">interval</th>
            <th scope="col" className="num">p</th>
            <th scope="col" className="num">top-k shared</th>
            <th scope="col" className="num">interval</th>
            <th scope="col" className="num">by chance</th>
          </tr>
        </thead>
        <tbody>
          {importance.agreement.map((a) => (
            <tr key={a.measure} data-measure={a.measure}>
              <th scope="row">{curveLabel(a.measure)}</th>
              <td className="num">{exact(a.spearman.estimate)}</td>
              <td className="num">
                [{a.spearman.lo.toFixed(2)}, {a.spearman.hi.toFixed(2)}]
              </td>
              <td className="num">{fmtP(a.spearman.pValue)}</td>
              <td className="num">
                {a.topK.shared} of {a.topK.k}
              </td>
              <td className="num">
                [{a.topK.lo.toFixed(2)}, {a.topK.hi.toFixed(2)}]
              </td>
              <td className="num">{(a.topK.expected / a.topK.k).toFixed(2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Group PCACE of the layer's top-k by PCACE and by the ablation change: the set's joint cross-fitted score beside its best member's,
 * with the layer page, where any set of the layer's channels can be scored the same way.
 */
export function GroupLine({ importance, layerHref }: { importance: Importance; layerHref: string }) {
  const groups = importance.groups ?? [];
  if (!groups.length) return null;
  return (
    <p className="small" data-testid="cmp-groups">
      Group PCACE (joint cross-fitted maximal correlation of a set of channels):{' '}
      {groups.map((g, i) => (
        <span key={g.by}>
          {i ? '; ' : ''}the top {g.k} by {curveLabel(g.by)} (channels {g.score.channels.join(', ')}) together <strong>{exact(g.score.score_crossfit ?? NaN)}</strong>, their best alone{' '}
          {g.best_single === null ? '—' : exact(g.best_single)}
        </span>
      ))}
      . <Link href={`${layerHref}#ch-group-h`}>Score other channels together</Link> on the layer page.
    </p>
  );
}

/** The series of one reading and direction, from the stored curves. */
export function curveSeries(importance: WithCurves, reading: CurveReading, direction: 'top' | 'bottom'): DeletionSeries[] {
  return importance.curves.curves
    .filter((c) => c.direction === direction && (reading !== 'accuracy' || c.accuracy))
    .map((c) => ({
      key: c.measure,
      label: curveLabel(c.measure),
      values: reading === 'score' ? c.score : reading === 'rms' ? c.rms : c.accuracy!,
      area: reading === 'score' ? c.auc_score : reading === 'rms' ? c.auc_rms : (c.auc_accuracy ?? undefined),
    }));
}

export function curveBand(importance: WithCurves, reading: CurveReading) {
  const r = importance.curves.random;
  if (!r) return null;
  const b = reading === 'score' ? r.score : reading === 'rms' ? r.rms : r.accuracy;
  return b ? { ...b, label: `${r.orders} random orders, 5–95 %` } : null;
}

export function DeletionPanel({ importance, layer }: { importance: Importance; layer: string }) {
  return <CurvesPanel stored={importance} images={importance.settings.images} title={`Deletion curves, ${layer}`} file={layer} testId="cmp-deletion" what="Channels are removed" />;
}

/** The analysis' network-wide curves: every analysed layer's channels removed together in each measure's global order. */
export function NetworkDeletionPanel({ network }: { network: NonNullable<MethodsPayload['network']> }) {
  if ('error' in network) {
    return (
      <p className="cmp-note small" role="note" data-testid="cmp-network-error">
        The network-wide deletion curves could not be computed: {network.error}
      </p>
    );
  }
  const layers = network.layers.map((l) => l.name).join(', ');
  return (
    <section aria-labelledby="cmp-network-h" data-testid="cmp-network">
      <h3 id="cmp-network-h">Network-wide deletion curves</h3>
      <p className="small">
        The channels of all {network.layers.length} analysed layers ({layers}: {network.layers.reduce((s, l) => s + l.channels, 0)} channels) removed together, in each measure&apos;s order across layers.
        PCACE&apos;s order is the global ranking by the null-standardised effect (raw scores are not comparable across layers); the ablation drops, Taylor and conductance are in the class
        score&apos;s units whatever the layer; |activation| and filter L1 have a scale per layer, so their global order is the naive one magnitude pruning uses.
        {network.left_out.length ? ` Left out: ${network.left_out.map((l) => `${curveLabel(l.measure)} (${l.reason})`).join('; ')}.` : ''}
      </p>
      <CurvesPanel stored={{ curves: network }} images={network.settings.images} title="Deletion curves, all analysed layers" file="network" testId="cmp-network-deletion" what="Channels of every analysed layer are removed" />
    </section>
  );
}

function CurvesPanel({ stored, images, title, file, testId, what }: { stored: WithCurves; images: number; title: string; file: string; testId: string; what: string }) {
  const [reading, setReading] = useState<CurveReading>('rms');
  const [direction, setDirection] = useState<'top' | 'bottom'>('top');
  const readings = CURVE_READINGS.filter((r) => r.key !== 'accuracy' || stored.curves.baseline.accuracy !== null);
  const words = CURVE_READINGS.find((r) => r.key === reading)!;
  return (
    <section className="cmp-deletion" aria-label={title}>
      <div className="cmp-controls" role="group" aria-label="Which curves">
        <label>
          Reading{' '}
          <select value={reading} onChange={(e) => setReading(e.target.value as CurveReading)} data-testid={`${testId}-reading`}>
            {readings.map((r) => (
              <option key={r.key} value={r.key}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Order{' '}
          <select value={direction} onChange={(e) => setDirection(e.target.value as 'top' | 'bottom')} data-testid={`${testId}-direction`}>
            <option value="top">top-ranked removed first (deletion)</option>
            <option value="bottom">bottom-ranked removed first (insertion)</option>
          </select>
        </label>
      </div>
      <DeletionCurves
        title={title}
        filename={`deletion-${reading}-${direction}-${file}`}
        fractions={stored.curves.fractions}
        series={curveSeries(stored, reading, direction)}
        band={curveBand(stored, reading)}
        yLabel={words.axis}
        testId={testId}
        caption={
          <>
            {what} by mean-ablation (replaced by their mean map over the {images} images) in each measure&apos;s order. {words.read(direction)} The grey band is the
            5–95 % range of random orders: a ranking that matters leaves it. Baseline score {exact(stored.curves.baseline.score)}
            {stored.curves.baseline.accuracy !== null ? `, accuracy ${exact(stored.curves.baseline.accuracy)}` : ''}.
          </>
        }
      />
    </section>
  );
}
