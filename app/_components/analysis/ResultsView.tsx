'use client';
/**
 * An analysis' results: sorted scores of all layers (the PCACE paper's
 * Fig. 6), per-layer histograms (Fig. 5) and the ranked channel table, all
 * driven by one ranking measure. The selected layer and measure live in the
 * URL (?layer=&measure=), so a link reproduces the view.
 */
import { useMemo, useState } from 'react';
import { Histogram } from '@/app/_components/charts/Histogram';
import { SortedCurves } from '@/app/_components/charts/SortedCurves';
import { layerSegment } from '@/app/_components/layer-path';
import { ChannelTable } from './ChannelTable';
import { MEASURES, availableMeasures, isNoise, noiseBasis, noiseRule, valueOf, type LayerView, type MeasureKey } from './measures';

function syncUrl(layer: string, measure: MeasureKey) {
  const params = new URLSearchParams(window.location.search);
  params.set('layer', layer);
  params.set('measure', measure);
  // Next.js keeps its router in step with history.replaceState (no server round trip).
  window.history.replaceState(null, '', `?${params.toString()}${window.location.hash}`);
}

function referenceFor(measure: MeasureKey): { value: number; label: string } | undefined {
  if (measure === 'score_crossfit') return { value: 0, label: 'noise level (0)' };
  if (measure === 'p_value') return { value: 0.05, label: 'p = 0.05' };
  if (measure === 'z_score') return { value: 0, label: 'null mean' };
  return undefined;
}

export function ResultsView({
  lab,
  analysisId,
  layers,
  defaultMeasure,
  initialLayer,
  initialMeasure,
  permutations,
}: {
  permutations?: number;
  lab: string;
  analysisId: string;
  layers: LayerView[];
  defaultMeasure: MeasureKey;
  initialLayer?: string;
  initialMeasure?: string;
}) {
  const available = useMemo(() => availableMeasures(layers), [layers]);
  const basis = useMemo(() => noiseBasis(layers), [layers]);
  const [measureState, setMeasureState] = useState<string>(initialMeasure ?? defaultMeasure);
  const [layerState, setLayerState] = useState<string>(initialLayer ?? layers[0]?.name ?? '');
  // Unknown or not-yet-available values (an edited link, a layer still running) fall back quietly.
  const measure: MeasureKey = (available as string[]).includes(measureState) ? (measureState as MeasureKey) : available.includes(defaultMeasure) ? defaultMeasure : (available[0] ?? 'score_multiple');
  const layer = layers.find((l) => l.name === layerState) ?? layers[0];
  const m = MEASURES[measure];

  const setMeasure = (k: MeasureKey) => {
    setMeasureState(k);
    syncUrl(layer.name, k);
  };
  const setLayer = (name: string) => {
    setLayerState(name);
    syncUrl(name, measure);
  };

  const series = useMemo(
    () =>
      layers.map((l) => ({
        key: l.name,
        label: l.name,
        points: l.channels.map((c) => ({ id: c.index, value: valueOf(c, measure) ?? Number.NaN, note: isNoise(c, basis) ? `does not beat noise (${noiseRule(basis)})` : undefined })),
      })),
    [layers, measure, basis],
  );
  const domain = useMemo((): [number, number] | undefined => {
    const vals = layers.flatMap((l) => l.channels.map((c) => valueOf(c, measure))).filter((v): v is number => v !== undefined);
    if (vals.length === 0) return undefined;
    return [Math.min(0, ...vals), Math.max(...vals)];
  }, [layers, measure]);

  const base = `/api/v1/labs/${encodeURIComponent(lab)}/analyses/${encodeURIComponent(analysisId)}`;
  const pageBase = `/labs/${encodeURIComponent(lab)}/analyses/${encodeURIComponent(analysisId)}`;
  const ref = referenceFor(measure);

  return (
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
        caption={
          <>
            As in the PCACE paper&apos;s Fig. 6: each layer&apos;s channels sorted by {m.label.toLowerCase()}, plotted at rank / (channels − 1) so layers of
            any width share the x axis. Hover or tab to a point for its exact value; click a legend entry to hide a layer.
          </>
        }
      />

      <section aria-labelledby="pa-hist-h">
        <h2 id="pa-hist-h">Distribution per layer</h2>
        <p className="small muted">
          As in Fig. 5: how {m.label.toLowerCase()} is spread over each layer&apos;s channels (same x axis for all layers)
          {basis !== 'none' ? `; grey: channels that do not beat noise (${noiseRule(basis)})` : ''}.
        </p>
        <div className="pa-hist-grid">
          {layers.map((l) => (
            <Histogram
              key={l.name}
              title={`${l.name} — ${l.channels.length} channels`}
              filename={`analysis-${analysisId}-${l.name}-histogram-${measure}`}
              values={l.channels.map((c) => valueOf(c, measure) ?? Number.NaN)}
              marked={basis === 'none' ? undefined : l.channels.map((c) => isNoise(c, basis) === true)}
              markedLabel="≈ noise"
              unmarkedLabel="beats noise"
              domain={domain}
              reference={ref && measure !== 'z_score' ? ref : undefined}
              xLabel={m.axis}
            />
          ))}
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
          basis={basis}
          onMeasure={setMeasure}
          available={available}
          permutations={permutations}
          channelHref={(c) => `${pageBase}/layers/${layerSegment(layer.name)}/channels/${c}`}
        />
      </section>
    </div>
  );
}
