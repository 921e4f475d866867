'use client';
/** Compare classes: do different target classes rank a layer's channels alike? */
import { useRouter } from 'next/navigation';
import { useMemo } from 'react';
import type { AnalysisInfo, ClassesPayload } from '@/lib/server/shared/compare';
import { exact, exportJson, fmt3, fmtP, stars } from '@/app/_components/charts';
import { Heatmap } from './Heatmap';
import { KInput, LayerSelect, ScoreSelect } from './Pickers';
import { classPicks, MAX_CLASSES as MAX, versionGroups, viewApiUrl } from './defaults';
import { DataStatus, useCompareData, useDrawnMark, useUrlQuery, type Query } from './useCompare';

export function ClassesView({ lab, candidates, initial }: { lab: string; candidates: AnalysisInfo[]; initial: Query }) {
  const [query, setQuery] = useUrlQuery(initial);
  const groups = useMemo(() => versionGroups(candidates), [candidates]);
  const picked = (query.analyses ?? '').split(',').filter(Boolean);
  const group = groups.find((g) => g.some((a) => picked.includes(a.id))) ?? null;
  const url = viewApiUrl(lab, 'classes', query);
  const [state, retry] = useCompareData<ClassesPayload>(url);
  const payload = state.status === 'ok' ? state.data : state.status === 'loading' ? state.previous : undefined;
  const drawn = useDrawnMark(state.status === 'ok', 'cmp:chart-drawn');

  if (groups.length === 0 && !url) {
    return <p className="empty">Comparing classes needs two completed analyses of one model version with different target classes; this lab has none yet.</p>;
  }
  const toggle = (id: string, on: boolean) => {
    const next = on ? [...picked, id] : picked.filter((x) => x !== id);
    setQuery({ analyses: next.join(',') });
  };
  const layers = payload?.layers ?? group?.[0]?.layers ?? [];
  return (
    <div className="cmp-view" data-state={state.status} data-drawn={drawn ? 'true' : 'false'}>
      <div className="cmp-controls" role="group" aria-label="What to compare">
        <div className="cmp-field">
          <label htmlFor="cmp-version">Model version</label>
          <select id="cmp-version" value={group?.[0]?.model.versionId ?? ''} onChange={(e) => setQuery({ analyses: classPicks(groups.find((g) => g[0].model.versionId === e.target.value)!).map((a) => a.id).join(','), layer: '' })}>
            {group ? null : <option value="">Choose a model version</option>}
            {groups.map((g) => (
              <option key={g[0].model.versionId} value={g[0].model.versionId}>
                {g[0].model.name} v{g[0].model.version} ({g.length} analyses)
              </option>
            ))}
          </select>
        </div>
        <LayerSelect value={payload?.layer ?? query.layer ?? ''} layers={layers} onChange={(layer) => setQuery({ layer })} />
        <KInput value={String(payload?.k ?? query.k ?? 10)} onChange={(k) => setQuery({ k })} />
        <ScoreSelect value={query.score ?? 'auto'} onChange={(score) => setQuery({ score })} />
      </div>
      {group ? (
        <fieldset className="cmp-checks">
          <legend>
            Analyses (classes) — {picked.length} of at most {MAX}
          </legend>
          {group.map((a) => (
            <label key={a.id} className="cmp-check">
              <input type="checkbox" checked={picked.includes(a.id)} onChange={(e) => toggle(a.id, e.target.checked)} disabled={!picked.includes(a.id) && picked.length >= MAX} />
              <span>
                {a.targetLabel} <span className="muted small">— {a.title}, {a.dataset.name}</span>
              </span>
            </label>
          ))}
        </fieldset>
      ) : null}
      <DataStatus state={state} retry={retry} idle="Tick at least two analyses." />
      {payload ? <ClassResults lab={lab} payload={payload} busy={state.status === 'loading'} /> : null}
    </div>
  );
}

/** Where a cell leads: two classes' rankings side by side (compare runs), or one class's own analysis on the diagonal. */
function pairHref(lab: string, payload: ClassesPayload, i: number, j: number): string {
  const [a, b] = [payload.analyses[i].id, payload.analyses[j].id];
  const layer = encodeURIComponent(payload.layer);
  if (i === j) return `/labs/${encodeURIComponent(lab)}/analyses/${a}?layer=${layer}`;
  return `/labs/${encodeURIComponent(lab)}/compare/runs?a=${a}&b=${b}&layer=${layer}${payload.score === 'auto' ? '' : `&score=${payload.score}`}`;
}

function ClassResults({ lab, payload, busy }: { lab: string; payload: ClassesPayload; busy: boolean }) {
  const { labels, rho, p, overlap, k, n, reliability, disattenuated } = payload;
  const router = useRouter();
  const openPair = (i: number, j: number) => router.push(pairHref(lab, payload, i, j));
  const anyRetest = reliability.some((r) => r !== null);
  const ci = (i: number, j: number) => (disattenuated.low[i][j] === null ? '—' : `[${fmt3(disattenuated.low[i][j])}, ${fmt3(disattenuated.high[i][j])}]`);
  const pairs: [number, number][] = [];
  for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) pairs.push([i, j]);
  const pairRows = () =>
    pairs.map(([i, j]) => ({
      class_a: labels[i],
      class_b: labels[j],
      layer: payload.layer,
      channels: n,
      spearman_rho: rho[i][j],
      p_value: p[i][j],
      reliability_a: reliability[i]?.spearman ?? null,
      reliability_b: reliability[j]?.spearman ?? null,
      rho_disattenuated: disattenuated.rho[i][j],
      rho_disattenuated_low: disattenuated.low[i][j],
      rho_disattenuated_high: disattenuated.high[i][j],
      top_k: k,
      shared: overlap.shared[i][j],
      expected: overlap.expected,
      overlap_p: overlap.p[i][j],
    }));
  return (
    <div className="cmp-results" aria-busy={busy}>
      <p className="cmp-verdict" data-testid="cmp-verdict">
        Layer <span className="mono">{payload.layer}</span>, {n} channels ranked by the <span data-testid="cmp-statistic">{payload.statistic}</span>: <strong>{payload.significant}</strong> of {payload.pairs} class pairs have p &lt; 0.05 (
        <strong>{payload.bonferroni}</strong> after Bonferroni correction for {payload.pairs} tests); median |ρ| = {fmt3(payload.medianAbsRho)}. Two unrelated top-{k} lists share {exact(overlap.expected)} channels on
        average.
      </p>
      <p className="small" data-testid="cmp-reliability">
        {anyRetest ? (
          <>
            Test–retest reliability of each ranking (Spearman between rankings on two disjoint image samples, 95 % interval):{' '}
            {reliability.map((r, i) => (
              <span key={i}>
                {i > 0 ? '; ' : ''}
                {labels[i]} {r ? `${fmt3(r.spearman)} [${fmt3(r.low)}, ${fmt3(r.high)}], ${r.images} + ${r.images} images` : 'no retest'}
              </span>
            ))}
            . Disattenuated ρ = ρ across samples / √(r_A r_B): how the rankings would agree without sampling noise.{' '}
          </>
        ) : null}
        {payload.disattenuationNote ? <span className="muted">{payload.disattenuationNote}.</span> : null}
      </p>
      <div className="cmp-actions">
        <button type="button" className="secondary" onClick={() => exportJson(payload, 'class-comparison.json')}>
          Download all data (JSON)
        </button>
      </div>
      <div className="cmp-heatmaps">
        <Heatmap
          title="Spearman ρ of the class rankings"
          file={`class-spearman-${payload.layer}`}
          labels={labels}
          values={rho}
          scale="diverging"
          legendLabel="ρ"
          cellText={(i, j) => (rho[i][j] === null ? '—' : `${rho[i][j]!.toFixed(2)}${i === j ? '' : stars(p[i][j])}`)}
          tipLines={(i, j) => [`${labels[i]} × ${labels[j]}`, `ρ = ${rho[i][j] === null ? '—' : exact(rho[i][j]!)}`, i === j ? 'the same ranking' : `p = ${fmtP(p[i][j])} (${payload.method === 'exact' ? 'exact' : 't approximation'})`, `${n} channels`]}
          rows={pairRows}
          ariaLabel={`Spearman correlation between the channel rankings of ${labels.length} classes`}
          testId="cmp-class-heatmap"
          caption="* p < 0.05, ** p < 0.01, *** p < 0.001 (two-sided test of ρ = 0, uncorrected). Click a cell (or press Enter) to compare that pair's rankings channel by channel."
          onOpen={openPair}
        />
        <Heatmap
          title={`Top-${k} overlap`}
          file={`class-topk-${payload.layer}`}
          labels={labels}
          values={overlap.fraction}
          scale="sequential"
          legendLabel={`shared / ${k}`}
          cellText={(i, j) => `${overlap.shared[i][j]}${i === j ? '' : stars(overlap.p[i][j])}`}
          tipLines={(i, j) => [`${labels[i]} × ${labels[j]}`, `${overlap.shared[i][j]} of the top ${k} channels shared`, `expected by chance ${exact(overlap.expected)}`, ...(i === j ? [] : [`p = ${fmtP(overlap.p[i][j])} (hypergeometric)`])]}
          rows={pairRows}
          ariaLabel={`How many of the top ${k} channels each pair of classes shares`}
          testId="cmp-class-overlap"
          caption="Cells count shared channels; * marks more overlap than chance (hypergeometric p < 0.05). Click a cell (or press Enter) to compare that pair."
          onOpen={openPair}
        />
      </div>
      <table className="cmp-table" data-testid="cmp-class-pairs">
        <caption>Every pair of classes</caption>
        <thead>
          <tr>
            <th scope="col">Class A</th>
            <th scope="col">Class B</th>
            <th scope="col" className="num">
              ρ
            </th>
            <th scope="col" className="num">
              p
            </th>
            <th scope="col" className="num">
              Disattenuated ρ [95 % CI]
            </th>
            <th scope="col" className="num">
              Top-{k} shared
            </th>
            <th scope="col" className="num">
              Overlap p
            </th>
          </tr>
        </thead>
        <tbody>
          {pairs.map(([i, j]) => (
            <tr key={`${i}-${j}`}>
              <td>{labels[i]}</td>
              <td>{labels[j]}</td>
              <td className="num">{rho[i][j] === null ? '—' : exact(rho[i][j]!)}</td>
              <td className="num">
                {fmtP(p[i][j])} {stars(p[i][j])}
              </td>
              <td className="num">{disattenuated.rho[i][j] === null ? '—' : `${fmt3(disattenuated.rho[i][j])} ${ci(i, j)}`}</td>
              <td className="num">{overlap.shared[i][j]}</td>
              <td className="num">{fmtP(overlap.p[i][j])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
