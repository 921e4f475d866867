'use client';
/** Compare runs: two runs of one model, rank against rank per layer, the biggest movers, agreement. */
import { useRouter } from 'next/navigation';
import { useMemo } from 'react';
import { layerSegment } from '@/app/_components/layer-path';
import type { AnalysisInfo, RunsLayer, RunsPayload } from '@/lib/server/shared/compare';
import { exact, exportCsv, exportJson, fmt3, fmtP, stars } from '@/app/_components/charts';
import { AnalysisSelect, KInput, LayerSelect, ScoreSelect } from './Pickers';
import { Scatter } from './Scatter';
import { runPair } from './defaults';
import { Mismatch } from './Mismatch';
import { DataStatus, useCompareView, type Query } from './useCompare';
import { TableHead } from '@/app/_components/TableHead';
import { effectText } from './effect-text';

const MOVERS = 15;

export function movers(l: RunsLayer, count = MOVERS): number[] {
  return l.channel
    .map((_, i) => i)
    .sort((x, y) => Math.abs(l.rankA[y] - l.rankB[y]) - Math.abs(l.rankA[x] - l.rankB[x]) || l.rankA[x] - l.rankA[y])
    .slice(0, count);
}

export function RunsView({ lab, candidates, initial }: { lab: string; candidates: AnalysisInfo[]; initial: Query }) {
  const { query, setQuery, url, state, retry, payload, drawn } = useCompareView<RunsPayload>(lab, 'runs', initial);
  const a = candidates.find((c) => c.id === query.a) ?? payload?.a;
  const sameModel = candidates.filter((c) => c.id !== query.a && (!a || c.model.id === a.model.id));
  const options = (list: AnalysisInfo[], extra?: AnalysisInfo) => (extra && !list.some((c) => c.id === extra.id) ? [...list, extra] : list);

  if (!runPair(candidates) && !url) {
    return <p className="empty">Comparing runs needs two completed analyses of the same model; this lab has none yet.</p>;
  }
  const layerName = payload?.layers.some((l) => l.name === query.layer) ? query.layer! : payload?.layers[0]?.name;
  const layer = payload?.layers.find((l) => l.name === layerName);
  return (
    <div className="cmp-view" data-state={state.status} data-drawn={drawn ? 'true' : 'false'}>
      <div className="cmp-controls" role="group" aria-label="What to compare">
        <AnalysisSelect
          label="Run A"
          value={query.a ?? ''}
          options={options(candidates, payload?.a)}
          onChange={(id) => {
            const next = candidates.find((c) => c.id === id);
            const keepB = candidates.find((c) => c.id === query.b && c.model.id === next?.model.id && c.id !== id);
            setQuery({ a: id, b: keepB?.id ?? candidates.find((c) => c.id !== id && c.model.id === next?.model.id)?.id ?? '' });
          }}
        />
        <AnalysisSelect label="Run B" hint="(same model)" value={query.b ?? ''} options={options(sameModel, payload?.b)} onChange={(b) => setQuery({ b })} />
        <LayerSelect value={layerName ?? ''} layers={payload?.layers.map((l) => l.name) ?? []} onChange={(l) => setQuery({ layer: l })} />
        <KInput value={String(payload?.k ?? query.k ?? 10)} onChange={(k) => setQuery({ k })} />
        <ScoreSelect value={query.score ?? 'auto'} onChange={(score) => setQuery({ score })} />
      </div>
      <DataStatus state={state} retry={retry} idle="Choose two runs of the same model." />
      <Mismatch infos={payload ? [payload.a, payload.b] : []} />
      {payload ? (
        <div className="cmp-results" aria-busy={state.status === 'loading'}>
          <Differences payload={payload} />
          <AgreementTable payload={payload} selected={layerName} onSelect={(l) => setQuery({ layer: l })} />
          {layer ? <LayerDetail lab={lab} payload={payload} layer={layer} /> : <p className="empty">The runs have no layer in common.</p>}
        </div>
      ) : null}
    </div>
  );
}

function Differences({ payload }: { payload: RunsPayload }) {
  return (
    <section aria-labelledby="cmp-diff-h">
      <h2 id="cmp-diff-h">What differs</h2>
      {payload.differences.length === 0 ? (
        <p className="muted">Nothing in the settings: the two runs were configured identically.</p>
      ) : (
        <table className="cmp-table cmp-narrow" data-testid="cmp-differences">
          <TableHead columns={['Setting', 'Run A', 'Run B']} />
          <tbody>
            {payload.differences.map((d) => (
              <tr key={d.field}>
                <th scope="row">{d.field}</th>
                <td className="mono">{d.a}</td>
                <td className="mono">{d.b}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {payload.skipped.length ? <p className="small muted">Not compared: {payload.skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}.</p> : null}
    </section>
  );
}

function AgreementTable({ payload, selected, onSelect }: { payload: RunsPayload; selected?: string; onSelect: (l: string) => void }) {
  const rows = () =>
    payload.layers.map((l) => ({ layer: l.name, channels: l.n, spearman_rho: l.spearman?.rho, spearman_p: l.spearman?.p, kendall_tau: l.kendall?.tau, kendall_p: l.kendall?.p, top_k: l.topK?.k, shared: l.topK?.shared, expected: l.topK?.expected, overlap_p: l.topK?.p }));
  return (
    <section aria-labelledby="cmp-agree-h">
      <div className="spread">
        <h2 id="cmp-agree-h">Agreement per layer</h2>
        <div className="cmp-tools">
          <button type="button" className="secondary" onClick={() => exportCsv(rows(), 'run-agreement.csv')}>
            CSV
          </button>
          <button type="button" className="secondary" onClick={() => exportJson(payload, 'run-comparison.json')}>
            JSON (all data)
          </button>
        </div>
      </div>
      <p className="small muted">
        Both runs ranked by the <span data-testid="cmp-statistic">{payload.statistic}</span>. Median Spearman ρ over layers: {fmt3(payload.medianRho)}. * p &lt; 0.05, ** p &lt; 0.01, *** p &lt; 0.001.
      </p>
      <table className="cmp-table" data-testid="cmp-agreement">
        <TableHead columns={['Layer', { label: 'Channels', num: true }, { label: 'Spearman ρ', num: true }, { label: 'Kendall τ-b', num: true }, { label: `Top-${payload.k} shared`, num: true }]} />
        <tbody>
          {payload.layers.map((l) => (
            <tr key={l.name} className={l.name === selected ? 'cmp-selected' : undefined}>
              <td>
                <button type="button" className="linkish mono" aria-pressed={l.name === selected} onClick={() => onSelect(l.name)}>
                  {l.name}
                </button>
              </td>
              <td className="num">{l.n}</td>
              <td className="num" title={l.spearman ? `p = ${fmtP(l.spearman.p)}` : undefined}>
                {l.spearman ? `${fmt3(l.spearman.rho)} ${stars(l.spearman.p)}` : '—'}
              </td>
              <td className="num" title={l.kendall ? `p = ${fmtP(l.kendall.p)}` : undefined}>
                {l.kendall ? `${fmt3(l.kendall.tau)} ${stars(l.kendall.p)}` : '—'}
              </td>
              <td className="num" title={l.topK ? `expected ${exact(l.topK.expected)}, p = ${fmtP(l.topK.p)}` : undefined}>
                {l.topK ? `${l.topK.shared} / ${l.topK.k} ${stars(l.topK.p)}` : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function LayerDetail({ lab, payload, layer }: { lab: string; payload: RunsPayload; layer: RunsLayer }) {
  const top = useMemo(() => movers(layer), [layer]);
  const router = useRouter();
  // A channel opens on its page in run A (it links on to its previous and next ranks there).
  const channelHref = (i: number) => `/labs/${encodeURIComponent(lab)}/analyses/${payload.a.id}/layers/${layerSegment(layer.name)}/channels/${layer.channel[i]}`;
  const hot = useMemo(() => new Set(top), [top]);
  const va = layer.verdictA;
  const vb = layer.verdictB;
  const rows = () =>
    layer.channel.map((c, i) => ({
      layer: layer.name,
      channel: c,
      rank_a: layer.rankA[i],
      rank_b: layer.rankB[i],
      score_a: layer.scoreA[i],
      score_b: layer.scoreB[i],
      q_a: va?.q[i] ?? null,
      q_b: vb?.q[i] ?? null,
      effect_a: va?.effect[i] ?? null,
      effect_b: vb?.effect[i] ?? null,
    }));
  return (
    <section aria-labelledby="cmp-layer-h">
      <h2 id="cmp-layer-h">
        <span className="mono">{layer.name}</span>: rank against rank
      </h2>
      <div className="cmp-grid2">
        <Scatter
          title={`Ranks in ${layer.name}`}
          file={`ranks-${layer.name}`}
          xLabel="rank in run A"
          yLabel="rank in run B"
          x={layer.rankA}
          y={layer.rankB}
          ids={layer.channel}
          identity
          integer
          highlight={hot}
          extraTip={(i) => [
            `scores ${exact(layer.scoreA[i] ?? NaN)} / ${exact(layer.scoreB[i] ?? NaN)}`,
            `q ${va ? fmtP(va.q[i]) : 'not calibrated'} / ${vb ? fmtP(vb.q[i]) : 'not calibrated'}`,
            `moved ${layer.rankB[i] - layer.rankA[i] > 0 ? '+' : ''}${layer.rankB[i] - layer.rankA[i]}`,
          ]}
          rows={rows}
          onOpen={(i) => router.push(channelHref(i))}
          testId="cmp-rank-scatter"
          ariaLabel={`Rank of each channel of ${layer.name} in run A against run B`}
          caption={`Points on the dashed line kept their rank; orange points are the ${top.length} biggest movers. Click a point (or press Enter) to open its channel.`}
        />
        <div>
          <h3>Biggest movers</h3>
          <p className="small muted">A row opens its channel&apos;s page in run A.</p>
          <p className="small muted" data-testid="cmp-runs-rules">
            Beats noise means, in run A: {va ? va.rule : 'not calibrated (no null)'}; in run B: {vb ? vb.rule : 'not calibrated (no null)'}.
          </p>
          <table className="cmp-table" data-testid="cmp-movers">
            <TableHead columns={[{ label: 'Channel', num: true }, { label: 'Rank A', num: true }, { label: 'Rank B', num: true }, { label: 'Moved', num: true }, { label: 'Score A / B', num: true }, { label: 'q A / B', num: true, title: 'q-value within the layer (BH); a channel beats noise when q < α' }, { label: 'Effect A / B [95 % CI]', num: true, title: '(score − null mean) / null sd with its 95 % interval' }]} />
            <tbody>
              {top.map((i) => (
                <tr key={i} className="cmp-row-link" data-channel={layer.channel[i]} onClick={(e) => (e.target as Element).closest('a') || router.push(channelHref(i))}>
                  <td className="num">
                    <a href={channelHref(i)} aria-label={`Channel ${layer.channel[i]} of ${layer.name} (run A)`}>
                      {layer.channel[i]}
                    </a>
                  </td>
                  <td className="num">{layer.rankA[i]}</td>
                  <td className="num">{layer.rankB[i]}</td>
                  <td className="num">{layer.rankB[i] - layer.rankA[i] > 0 ? `+${layer.rankB[i] - layer.rankA[i]}` : layer.rankB[i] - layer.rankA[i]}</td>
                  <td className="num">
                    {fmt3(layer.scoreA[i])} / {fmt3(layer.scoreB[i])}
                  </td>
                  <td className="num">
                    {va ? fmtP(va.q[i]) : '—'} / {vb ? fmtP(vb.q[i]) : '—'}
                  </td>
                  <td className="num">
                    {effectText(va, i)} / {effectText(vb, i)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}
