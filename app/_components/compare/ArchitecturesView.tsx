'use client';
/** Compare architectures: two analyses, both networks on one relative-depth axis. */
import { useMemo } from 'react';
import { SCORE_LABELS, type AnalysisInfo, type ArchitecturesPayload } from '@/lib/server/shared/compare';
import { exact, exportJson, SIDE_COLORS } from '@/app/_components/charts';
import { DepthBoxes, DepthCurves, layered, MaxByDepth } from './ArchitectureCharts';
import { AnalysisSelect, ScoreSelect } from './Pickers';
import { Mismatch } from './Mismatch';
import { DataStatus, useCompareView, type Query } from './useCompare';
import { TableHead } from '@/app/_components/TableHead';

export function sideLabels(infos: AnalysisInfo[]): string[] {
  const base = infos.map((a) => `${a.model.name} v${a.model.version} · ${a.targetLabel}`);
  return base[0] === base[1] ? infos.map((a, i) => `${base[i]} · ${a.title}`) : base;
}

export function scoreLabelOf(infos: AnalysisInfo[]): string {
  const fields = [...new Set(infos.map((a) => a.scoreField))];
  return fields.length === 1 ? SCORE_LABELS[fields[0]] : `score (${infos.map((a) => SCORE_LABELS[a.scoreField]).join(' / ')})`;
}

export function ArchitecturesView({ lab, candidates, initial }: { lab: string; candidates: AnalysisInfo[]; initial: Query }) {
  const { query, setQuery, url, state, retry, payload, drawn } = useCompareView<ArchitecturesPayload>(lab, 'architectures', initial);
  const infos = payload?.sides.map((s) => s.analysis) ?? [];
  const labels = sideLabels(infos);
  const data = useMemo(() => (payload ? layered(payload.sides, sideLabels(payload.sides.map((s) => s.analysis))) : null), [payload]);
  const options = [...candidates, ...infos.filter((a) => !candidates.some((c) => c.id === a.id))];

  if (candidates.length < 2 && !url) {
    return <p className="empty">Comparing architectures needs two completed analyses; this lab has {candidates.length === 0 ? 'none' : 'one'} yet.</p>;
  }
  return (
    <div className="cmp-view" data-state={state.status} data-drawn={drawn ? 'true' : 'false'}>
      <div className="cmp-controls" role="group" aria-label="What to compare">
        <AnalysisSelect label="Network A" value={query.a ?? ''} options={options} onChange={(a) => setQuery({ a })} />
        <button type="button" className="secondary cmp-swap" onClick={() => setQuery({ a: query.b ?? '', b: query.a ?? '' })} aria-label="Swap networks A and B" disabled={!query.a || !query.b}>
          ⇄
        </button>
        <AnalysisSelect label="Network B" value={query.b ?? ''} options={options} onChange={(b) => setQuery({ b })} />
        <ScoreSelect value={query.score ?? 'auto'} onChange={(score) => setQuery({ score })} />
      </div>
      <DataStatus state={state} retry={retry} idle="Choose two analyses to compare." />
      <Mismatch infos={payload?.sides ? payload.sides.map((x) => x.analysis) : []} />
      {payload && data ? (
        <div className="cmp-results" aria-busy={state.status === 'loading'}>
          {payload.sides.some((s) => s.analysis.status !== 'completed') ? (
            <p className="alert error small">Partial results: {payload.sides.filter((s) => s.analysis.status !== 'completed').map((s) => `${s.analysis.title} is ${s.analysis.status}`).join('; ')}.</p>
          ) : null}
          <h2>Summary</h2>
          <SummaryTable payload={payload} labels={labels} />
          <div className="cmp-actions">
            <button type="button" className="secondary" onClick={() => exportJson(payload, 'architecture-comparison.json')}>
              Download all data (JSON)
            </button>
            <a href={url!} className="small">
              API
            </a>
          </div>
          <DepthCurves data={data} scoreLabel={scoreLabelOf(infos)} />
          <MaxByDepth data={data} scoreLabel={scoreLabelOf(infos)} />
          <DepthBoxes data={data} scoreLabel={scoreLabelOf(infos)} />
          <LayerTables payload={payload} labels={labels} />
        </div>
      ) : null}
    </div>
  );
}

function SummaryTable({ payload, labels }: { payload: ArchitecturesPayload; labels: string[] }) {
  return (
    <table className="cmp-table" data-testid="cmp-summary">
      <caption className="sr-only">Summary of both networks</caption>
      <TableHead columns={['Network', { label: 'Layers', num: true }, { label: 'Channels', num: true }, { label: 'Median score', num: true }, { label: 'Max score (depth)', num: true }, { label: 'Beat noise', num: true, title: "q < α, Benjamini–Hochberg within each layer, against the layer's null of the ranking statistic" }, 'Verdict rule']} />
      <tbody>
        {payload.sides.map((s, i) => (
          <tr key={i}>
            <th scope="row">
              <span className="cmp-swatch" style={{ background: SIDE_COLORS[i] }} aria-hidden="true" />
              {labels[i]}
              <div className="small muted">{s.analysis.title}</div>
            </th>
            <td className="num">{s.summary.layers}</td>
            <td className="num">{s.summary.channels.toLocaleString('en')}</td>
            <td className="num">{s.summary.median === null ? '—' : exact(s.summary.median)}</td>
            <td className="num">{s.summary.max === null ? '—' : `${exact(s.summary.max)} (${exact(s.summary.maxDepth!)})`}</td>
            <td className="num">
              {s.summary.beatNoise === null ? (
                <span className="muted" title="This analysis ran without a null of its ranking statistic: it makes no beats-noise claim.">
                  not calibrated
                </span>
              ) : (
                `${(s.summary.beatNoise * 100).toFixed(1)} % of ${s.summary.withVerdict.toLocaleString('en')}`
              )}
            </td>
            <td className="small" data-verdict-rule={s.summary.rule ?? 'none'}>
              {s.summary.rule ?? <span className="muted">not calibrated</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The numbers behind the charts, one table per network, for reading without a mouse. */
function LayerTables({ payload, labels }: { payload: ArchitecturesPayload; labels: string[] }) {
  return (
    <details className="cmp-details">
      <summary>Per-layer numbers</summary>
      {payload.sides.map((s, i) => (
        <table key={i} className="cmp-table">
          <caption>{labels[i]}</caption>
          <TableHead columns={['Layer', { label: 'Depth', num: true }, { label: 'Channels', num: true }, { label: 'Median', num: true }, { label: 'Max', num: true }, { label: 'Beat noise', num: true, title: "Channels that beat noise (q < α under the layer's rule) of those with a verdict" }]} />
          <tbody>
            {s.layers.name.map((name, l) => (
              <tr key={name}>
                <td className="mono">{name}</td>
                <td className="num">{exact(s.layers.depth[l])}</td>
                <td className="num">{s.layers.n[l]}</td>
                <td className="num">{s.layers.median[l] === null ? '—' : exact(s.layers.median[l]!)}</td>
                <td className="num">{s.layers.max[l] === null ? '—' : exact(s.layers.max[l]!)}</td>
                <td className="num" title={s.layers.rule[l] ?? 'not calibrated'}>
                  {s.layers.withVerdict[l] ? `${s.layers.beatNoise[l]} / ${s.layers.withVerdict[l]}` : 'not calibrated'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </details>
  );
}
