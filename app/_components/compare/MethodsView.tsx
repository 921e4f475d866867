'use client';
/** Compare methods: the PCACE score against every importance measure, their agreement and the deletion curves, for one analysis and layer, and the analysis' network-wide deletion curves. */
import Link from 'next/link';
import type { AnalysisInfo, MethodsPayload } from '@/lib/server/shared/compare';
import { exact, exportJson, fmtP, stars } from '@/app/_components/charts';
import { TableHead } from '@/app/_components/TableHead';
import { layerPageHref } from '@/app/_components/layer-path';
import { effectText } from './effect-text';
import { Heatmap } from './Heatmap';
import { AgreementTable, DeletionPanel, GroupLine, NetworkDeletionPanel } from './MethodsImportance';
import { AnalysisSelect, LayerSelect, ScoreSelect } from './Pickers';
import { Scatter } from './Scatter';
import { DataStatus, useCompareView, type Query } from './useCompare';

export function MethodsView({ lab, candidates, initial }: { lab: string; candidates: AnalysisInfo[]; initial: Query }) {
  const { query, setQuery, url, state, retry, payload, drawn } = useCompareView<MethodsPayload>(lab, 'methods', initial);
  const current = candidates.find((c) => c.id === query.analysis) ?? payload?.analysis;
  const options = current && !candidates.some((c) => c.id === current.id) ? [...candidates, current] : candidates;

  if (candidates.length === 0 && !url) return <p className="empty">Comparing methods needs a completed analysis; this lab has none yet.</p>;
  return (
    <div className="cmp-view" data-state={state.status} data-drawn={drawn ? 'true' : 'false'}>
      <div className="cmp-controls" role="group" aria-label="What to compare">
        <AnalysisSelect label="Analysis" value={query.analysis ?? ''} options={options} onChange={(analysis) => setQuery({ analysis, layer: '' })} hint={current?.options.ablation ? '(with ablation)' : undefined} />
        <LayerSelect value={payload?.layer ?? query.layer ?? ''} layers={current?.layers ?? []} onChange={(layer) => setQuery({ layer })} />
        <ScoreSelect value={query.score ?? 'auto'} onChange={(score) => setQuery({ score })} />
      </div>
      <DataStatus state={state} retry={retry} idle="Choose an analysis." />
      {payload ? <MethodResults payload={payload} lab={lab} busy={state.status === 'loading'} /> : null}
    </div>
  );
}

function MethodResults({ payload, lab, busy }: { payload: MethodsPayload; lab: string; busy: boolean }) {
  const { measures, spearman: sp, channel } = payload;
  const labels = measures.map((m) => m.label);
  const score = measures[0];
  // The score against every other measure, then ablation against activation when there is one.
  const pairs: [number, number][] = measures.slice(1).map((_, k) => [0, k + 1]);
  const act = measures.findIndex((m) => m.key === 'mean_activation');
  const zero = measures.findIndex((m) => m.key === 'ablation_drop');
  const mean = measures.findIndex((m) => m.key === 'mean_ablation_drop');
  // The headline comparison: the mean-ablation drop when measured, else the zero-ablation drop.
  const drop = mean > 0 ? mean : zero;
  if (drop > 0 && act > 0) pairs.push([drop, act]);
  const imp = payload.importance;
  const headline = imp?.agreement.find((a) => a.measure === measures[drop]?.key);
  const v = payload.verdicts;
  const rows = () =>
    channel.map((c, i) => ({
      layer: payload.layer,
      channel: c,
      ...Object.fromEntries(measures.map((m) => [m.key, m.values[i]])),
      ...(v ? { q_value: v.q[i], beats_noise: v.beats[i], effect: v.effect[i], effect_ci_low: v.effectLow[i], effect_ci_high: v.effectHigh[i] } : {}),
    }));
  const verdictTip = (i: number) => (v ? [`${v.beats[i] ? 'beats noise' : 'does not beat noise'}: q = ${fmtP(v.q[i])}`, `effect ${effectText(v, i)}`] : []);
  const beating = v ? v.beats.filter((b) => b === true).length : 0;
  const matrixRows = () => measures.flatMap((a, i) => measures.map((b, j) => ({ a: a.key, b: b.key, spearman_rho: sp.rho[i][j], p_value: sp.p[i][j], n: sp.n[i][j] })));
  return (
    <div className="cmp-results" aria-busy={busy}>
      {!payload.ablation.available ? (
        <div className="cmp-note" role="note" data-testid="cmp-no-ablation">
          <p>
            <strong>No ablation drops.</strong> {payload.ablation.reason}
          </p>
          <p>{payload.ablation.howTo}</p>
          <p>
            <Link href={`/labs/${lab}/analyses/new`}>Start a new analysis</Link> of {payload.analysis.model.name} v{payload.analysis.model.version}. Meanwhile the score is compared with the mean activation.
          </p>
        </div>
      ) : null}
      <p className="cmp-verdict" data-testid="cmp-verdict">
        Layer <span className="mono">{payload.layer}</span>, {payload.n} channels.{' '}
        {drop > 0 ? (
          <>
            Spearman ρ between the {score.label} and the {measures[drop].label}: <strong>{sp.rho[0][drop] === null ? '—' : exact(sp.rho[0][drop]!)}</strong>
            {headline ? ` (${Math.round(100 * headline.level)} % interval ${headline.spearman.lo.toFixed(2)} to ${headline.spearman.hi.toFixed(2)})` : ''} (p = {fmtP(sp.p[0][drop])}).{' '}
          </>
        ) : null}
        With the mean activation: <strong>{sp.rho[0][act] === null ? '—' : exact(sp.rho[0][act]!)}</strong> (p = {fmtP(sp.p[0][act])}).
      </p>
      <p className="small" data-testid="cmp-methods-rule">
        {v ? (
          <>
            <strong>{beating}</strong> of {payload.n} channels beat noise. Beats noise means: {v.rule}. Filled points beat noise, hollow grey ones do not.
            {payload.verdictNote ? <span className="muted"> {payload.verdictNote}.</span> : null}
          </>
        ) : (
          <span className="muted">This layer has no verdicts: the analysis ran without a null (not calibrated).</span>
        )}
      </p>
      <div className="cmp-actions">
        <button type="button" className="secondary" onClick={() => exportJson(payload, `methods-${payload.layer}.json`)}>
          Download all data (JSON)
        </button>
      </div>
      {imp ? <AgreementTable importance={imp} /> : null}
      {imp ? <GroupLine importance={imp} layerHref={layerPageHref(lab, payload.analysis.id, payload.layer)} /> : null}
      {imp ? <DeletionPanel importance={imp} layer={payload.layer} /> : null}
      {payload.network ? <NetworkDeletionPanel network={payload.network} /> : null}
      <div className="cmp-grid2">
        {pairs.map(([i, j]) => (
          <Scatter
            key={`${i}-${j}`}
            title={`${measures[j].label} against ${measures[i].label}`}
            file={`${measures[j].key}-vs-${measures[i].key}-${payload.layer}`}
            xLabel={measures[i].label}
            yLabel={measures[j].label}
            x={measures[i].values}
            y={measures[j].values}
            ids={channel}
            rows={rows}
            verdict={v ? v.beats : undefined}
            verdictLegend={v ? { rule: v.ruleShort, title: v.rule } : undefined}
            extraTip={verdictTip}
            testId={`cmp-scatter-${measures[i].key}-${measures[j].key}`}
            ariaLabel={`${measures[j].label} against ${measures[i].label} for each channel of ${payload.layer}`}
            caption={`Spearman ρ = ${sp.rho[i][j] === null ? '—' : exact(sp.rho[i][j]!)} ${stars(sp.p[i][j])} over ${sp.n[i][j]} channels.`}
          />
        ))}
        <Heatmap
          title="Spearman matrix"
          file={`methods-spearman-${payload.layer}`}
          labels={labels}
          values={sp.rho}
          scale="diverging"
          legendLabel="ρ"
          cellText={(i, j) => (sp.rho[i][j] === null ? '—' : `${sp.rho[i][j]!.toFixed(2)}${i === j ? '' : stars(sp.p[i][j])}`)}
          tipLines={(i, j) => [`${labels[i]} × ${labels[j]}`, `ρ = ${sp.rho[i][j] === null ? '—' : exact(sp.rho[i][j]!)}`, ...(i === j ? [] : [`p = ${fmtP(sp.p[i][j])}`, `${sp.n[i][j]} channels`])]}
          rows={matrixRows}
          ariaLabel="Spearman correlation between the channel rankings of each pair of measures"
          testId="cmp-methods-matrix"
          caption="* p < 0.05, ** p < 0.01, *** p < 0.001 (two-sided, uncorrected)."
        />
      </div>
      {v ? <VerdictTable payload={payload} verdicts={v} /> : null}
    </div>
  );
}

/** The channels with the lowest q first: q, the verdict and the effect with its 95 % interval beside each measure. */
function VerdictTable({ payload, verdicts: v }: { payload: MethodsPayload; verdicts: NonNullable<MethodsPayload['verdicts']> }) {
  const SHOWN = 20;
  const order = payload.channel.map((_, i) => i).sort((a, b) => (v.q[a] ?? Infinity) - (v.q[b] ?? Infinity) || a - b);
  return (
    <table className="cmp-table" data-testid="cmp-methods-verdicts">
      <caption>
        Verdicts, lowest q first ({Math.min(SHOWN, order.length)} of {order.length}; the downloads hold all): {v.rule}
      </caption>
      <TableHead columns={['Channel', ...payload.measures.map((m) => ({ label: m.label, num: true })), { label: 'q', num: true }, 'Verdict', { label: 'Effect [95 % CI]', num: true }]} />
      <tbody>
        {order.slice(0, SHOWN).map((i) => (
          <tr key={i}>
            <td className="num">{payload.channel[i]}</td>
            {payload.measures.map((m) => (
              <td key={m.key} className="num">
                {m.values[i] === null ? '—' : exact(m.values[i]!)}
              </td>
            ))}
            <td className="num">{fmtP(v.q[i])}</td>
            <td>{v.beats[i] === null ? '—' : v.beats[i] ? 'beats noise' : '≈ noise'}</td>
            <td className="num">{effectText(v, i)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
