'use client';
/**
 * An analysis' results: sorted scores of all layers (the PCACE paper's
 * Fig. 6), per-layer histograms (Fig. 5) and the ranked channel table, all
 * driven by one ranking measure. A histogram bar lists its channels in the
 * table. The selected layer, measure and bar live in the URL
 * (?layer=&measure=&bin=), so a link reproduces the view.
 */
import { useRouter } from 'next/navigation';
import { useMemo, useState } from 'react';
import { binHolds, Histogram, type HistogramBin } from '@/app/_components/charts/Histogram';
import { ChartSubject } from '@/app/_components/charts/frame';
import { SortedCurves } from '@/app/_components/charts/SortedCurves';
import { layerSegment } from '@/app/_components/layer-path';
import { ChannelTable } from './ChannelTable';
import { MEASURES, NOT_CALIBRATED, availableMeasures, calibration, measureOfStatistic, ruleShort, valueOf, verdictOf, type LayerView, type MeasureKey } from './measures';

/** A bar in the URL: "x0,x1", with ",closed" for the last bar (which holds x1). */
const binParam = (b: HistogramBin) => `${b.x0},${b.x1}${b.closed ? ',closed' : ''}`;
function parseBin(text: string | undefined): HistogramBin | null {
  const [x0, x1, closed] = (text ?? '').split(',');
  const bin = { x0: Number(x0), x1: Number(x1), closed: closed === 'closed' };
  return x0 && x1 && Number.isFinite(bin.x0) && Number.isFinite(bin.x1) && bin.x0 < bin.x1 ? bin : null;
}

function syncUrl(layer: string, measure: MeasureKey, bin: HistogramBin | null) {
  const params = new URLSearchParams(window.location.search);
  params.set('layer', layer);
  params.set('measure', measure);
  if (bin) params.set('bin', binParam(bin));
  else params.delete('bin');
  // Next.js keeps its router in step with history.replaceState (no server round trip).
  window.history.replaceState(null, '', `?${params.toString()}${window.location.hash}`);
}

/** A reference line where the measure has one that means something for every layer (never "score = 0" as a noise level). */
function referenceFor(measure: MeasureKey, alpha: number | undefined): { value: number; label: string } | undefined {
  if (measure === 'q_value' && alpha !== undefined) return { value: alpha, label: `α = ${alpha}` };
  if (measure === 'effect' || measure === 'z_score') return { value: 0, label: 'null mean' };
  return undefined;
}

const qText = (q: number | undefined) => (q === undefined || !Number.isFinite(q) ? '' : `, q = ${q < 0.001 ? q.toExponential(1) : q.toFixed(3)}`);

export function ResultsView({
  lab,
  analysisId,
  layers,
  defaultMeasure,
  initialLayer,
  initialMeasure,
  initialBin,
  subject,
}: {
  /** What the analysis is ("MNIST CNN × digit 3"): exported charts carry it. */
  subject?: string;
  lab: string;
  analysisId: string;
  layers: LayerView[];
  defaultMeasure: MeasureKey;
  initialLayer?: string;
  initialMeasure?: string;
  /** A histogram bar whose channels the table lists ("x0,x1[,closed]", of the initial layer and measure). */
  initialBin?: string;
}) {
  const available = useMemo(() => availableMeasures(layers), [layers]);
  const cal = calibration(layers);
  const rule = layers.find((l) => l.verdict_rule)?.verdict_rule;
  const [measureState, setMeasureState] = useState<string>(initialMeasure ?? defaultMeasure);
  const [layerState, setLayerState] = useState<string>(initialLayer ?? layers[0]?.name ?? '');
  const [bin, setBin] = useState<HistogramBin | null>(() => parseBin(initialBin));
  // Unknown or not-yet-available values (an edited link, a layer still running) fall back quietly.
  const measure: MeasureKey = (available as string[]).includes(measureState) ? (measureState as MeasureKey) : available.includes(defaultMeasure) ? defaultMeasure : (available[0] ?? 'score_multiple');
  const layer = layers.find((l) => l.name === layerState) ?? layers[0];
  const m = MEASURES[measure];

  // A bar belongs to one layer and measure: choosing another drops it.
  const setMeasure = (k: MeasureKey) => {
    setMeasureState(k);
    setBin(null);
    syncUrl(layer.name, k, null);
  };
  const setLayer = (name: string) => {
    setLayerState(name);
    setBin(null);
    syncUrl(name, measure, null);
  };
  const openBin = (name: string, b: HistogramBin) => {
    setLayerState(name);
    setBin(b);
    syncUrl(name, measure, b);
    // To the table it filtered, with the keyboard focus on what it now shows.
    requestAnimationFrame(() => {
      const note = document.getElementById('pa-bin-filter');
      note?.scrollIntoView({ block: 'center' });
      note?.focus({ preventScroll: true });
    });
  };

  const series = useMemo(
    () =>
      layers.map((l) => ({
        key: l.name,
        label: l.name,
        points: l.channels.map((c) => {
          const v = verdictOf(c, l);
          return {
            id: c.index,
            value: valueOf(c, measure) ?? Number.NaN,
            verdict: v === undefined ? undefined : v === 'beats',
            note: v === undefined ? NOT_CALIBRATED : `${v === 'beats' ? 'beats noise' : 'does not beat noise'}${qText(c.q_value)}`,
          };
        }),
      })),
    [layers, measure],
  );
  const domain = useMemo((): [number, number] | undefined => {
    const vals = layers.flatMap((l) => l.channels.map((c) => valueOf(c, measure))).filter((v): v is number => v !== undefined);
    if (vals.length === 0) return undefined;
    return [Math.min(0, ...vals), Math.max(...vals)];
  }, [layers, measure]);

  const base = `/api/v1/labs/${encodeURIComponent(lab)}/analyses/${encodeURIComponent(analysisId)}`;
  const pageBase = `/labs/${encodeURIComponent(lab)}/analyses/${encodeURIComponent(analysisId)}`;
  const ref = referenceFor(measure, rule?.alpha);
  const router = useRouter();
  const openChannel = (layerName: string, channel: string | number) => router.push(`${pageBase}/layers/${layerSegment(layerName)}/channels/${channel}`);

  return (
    <ChartSubject.Provider value={`${subject ?? `analysis ${analysisId}`} · ranked by ${m.label.toLowerCase()}`}>
    <div className="pa-results">
      <div className="pa-toolbar panel">
        <div className="field pa-toolbar-field">
          <label htmlFor="pa-measure">Ranking measure</label>
          <select id="pa-measure" value={measure} onChange={(e) => setMeasure(e.target.value as MeasureKey)}>
            {available.map((k) => (
              <option key={k} value={k}>
                {MEASURES[k].label}
                {k === defaultMeasure ? ' (as analysed)' : ''}
              </option>
            ))}
          </select>
          <span className="pa-help">{m.help}</span>
        </div>
        <div className="pa-exports" role="group" aria-label="Download results">
          <span className="small muted">Download results:</span>
          <a className="button secondary" href={`${base}/export?format=csv`} download>
            CSV
          </a>
          <a className="button secondary" href={`${base}/export?format=json`} download>
            JSON
          </a>
        </div>
      </div>

      <SortedCurves
        title="Sorted scores, all layers"
        filename={`analysis-${analysisId}-sorted-${measure}`}
        series={series}
        yLabel={m.axis}
        xLabel="Channel rank, normalised (0 = best, 1 = worst)"
        order={m.order}
        reference={ref}
        onOpen={openChannel}
        verdictLegend={rule ? { beats: 'beats noise', not: '≈ noise', rule: cal === 'all' ? ruleShort(rule) : `${ruleShort(rule)}; some layers ${NOT_CALIBRATED}`, title: rule.text } : undefined}
        caption={
          <>
            As in the PCACE paper&apos;s Fig. 6: each layer&apos;s channels sorted by {m.label.toLowerCase()}, plotted at rank / (channels − 1) so layers of
            any width share the x axis.{' '}
            {rule
              ? `Filled points beat noise, hollow ones do not (${rule.text}).`
              : `No verdicts: this analysis is ${NOT_CALIBRATED} (it ran without a null of its ranking statistic).`}{' '}
            Hover or tab to a point for its exact value, click it (or press Enter) to open its channel; click a legend entry to hide a layer.
          </>
        }
      />

      <section aria-labelledby="pa-hist-h">
        <h2 id="pa-hist-h">Distribution per layer</h2>
        <p className="small muted" data-verdict-summary={cal}>
          As in Fig. 5: how {m.label.toLowerCase()} is spread over each layer&apos;s channels (same x axis for all layers)
          {rule ? `; blue: channels that beat noise, grey: those that do not (${rule.text})` : `; verdicts: ${NOT_CALIBRATED}`}.
        </p>
        <div className="pa-hist-grid">
          {layers.map((l) => {
            const r = l.verdict_rule;
            // The layer's own null marks where its ranking statistic's noise ends.
            const nullRef = r && l.null && measureOfStatistic(r.statistic) === measure ? { value: l.null.q95, label: 'null 95th pct' } : undefined;
            return (
              <Histogram
                key={l.name}
                title={`${l.name} — ${l.channels.length} channels`}
                filename={`analysis-${analysisId}-${l.name}-histogram-${measure}`}
                values={l.channels.map((c) => valueOf(c, measure) ?? Number.NaN)}
                marked={r ? l.channels.map((c) => verdictOf(c, l) === 'noise') : undefined}
                markedLabel="≈ noise"
                unmarkedLabel="beats noise"
                legendNote={r ? ruleShort(r) : undefined}
                legendTitle={r?.text}
                caption={r ? undefined : <span className="small muted">Verdicts: {NOT_CALIBRATED} (no null for this layer).</span>}
                domain={domain}
                reference={nullRef ?? (ref && measure !== 'z_score' ? ref : undefined)}
                xLabel={m.axis}
                onOpen={(b) => openBin(l.name, b)}
              />
            );
          })}
        </div>
      </section>

      <section aria-labelledby="pa-table-h">
        <div className="spread">
          <h2 id="pa-table-h">Ranked channels</h2>
          <div className="field pa-toolbar-field pa-layer-pick">
            <label htmlFor="pa-layer">Layer</label>
            <select id="pa-layer" value={layer.name} onChange={(e) => setLayer(e.target.value)}>
              {layers.map((l) => (
                <option key={l.name} value={l.name}>
                  {l.name} ({l.channels.length} channels)
                </option>
              ))}
            </select>
          </div>
        </div>
        <p className="small muted">
          <span className="mono">{layer.name}</span>: activation maps {layer.shape[2]}×{layer.shape[3]} over {layer.shape[0]} images, computed in{' '}
          {layer.seconds.toFixed(1)} s. Ranked by {m.label.toLowerCase()}; click a score column to rank by it, a channel for its activation maps.{' '}
          <a href={`${pageBase}/layers/${layerSegment(layer.name)}`}>Layer page</a>
        </p>
        {layer.warnings.length ? (
          <ul className="small pa-warnings">
            {layer.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        ) : null}
        <ChannelTable
          layer={layer}
          measure={measure}
          onMeasure={setMeasure}
          available={available}
          channelHref={(c) => `${pageBase}/layers/${layerSegment(layer.name)}/channels/${c}`}
          filter={
            bin
              ? {
                  id: 'pa-bin-filter',
                  text: `${m.label.toLowerCase()} from ${bin.x0} to ${bin.x1}${bin.closed ? ' (inclusive)' : ''}`,
                  keep: (c) => {
                    const v = valueOf(c, measure);
                    return v !== undefined && binHolds(bin, v);
                  },
                  onClear: () => {
                    setBin(null);
                    syncUrl(layer.name, measure, null);
                  },
                }
              : undefined
          }
        />
      </section>
    </div>
    </ChartSubject.Provider>
  );
}
