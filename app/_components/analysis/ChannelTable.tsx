'use client';
/**
 * The ranked channels of one layer, re-sorted in the browser by the chosen
 * measure (no round trip). Each row says its verdict in words (beats noise /
 * ≈ noise, not colour only) with its q-value and effect; the rule behind the
 * verdicts is spelled out above the table, or "not calibrated" when the layer
 * has none.
 */
import { rankInstability, MEASURES, NOT_CALIBRATED, rankChannels, ruleSentence, verdictOf, type LayerView, type MeasureKey } from './measures';

const fixed = (v: number | undefined, d = 3) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const sig = (v: number | undefined, d = 3) => (v === undefined || !Number.isFinite(v) ? '—' : Number(v.toPrecision(d)).toString());
const pFmt = (p: number | undefined) => (p === undefined || !Number.isFinite(p) ? '—' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));
const rankFmt = (v: number | undefined) => (v === undefined ? '—' : Number(v.toFixed(1)).toString());

type Col = { key: MeasureKey; label: string; title: string };
const SCORE_COLS: Col[] = [
  { key: 'score_pc1', label: 'PC1', title: 'score_pc1: ACE correlation of the first component' },
  { key: 'score_multiple', label: 'Multiple', title: 'score_multiple: ACE correlation of all k components' },
  { key: 'score_crossfit', label: 'Cross-fit', title: 'score_crossfit: out-of-sample (cross-fitted) multiple correlation' },
];
const TEST_COLS: Col[] = [
  { key: 'p_value', label: 'p', title: 'p-value of the ranking statistic against the layer’s null (uncorrected)' },
  { key: 'q_value', label: 'q', title: 'q-value: Benjamini–Hochberg within the layer; beats noise when q < α' },
  { key: 'effect', label: 'Effect [95 % CI]', title: '(score − null mean) / null sd, with its 95 % interval' },
  { key: 'z_score', label: 'z', title: 'z against the permutation null' },
];

/** The rank confidence set (marginal, Mogstad et al.) when bootstrapped, else the older percentile interval. */
function rankInterval(c: LayerView['channels'][number]): string {
  if (c.rank_ci) return `[${c.rank_ci[0]}, ${c.rank_ci[1]}]`;
  return c.rank_p05 === undefined ? '—' : `[${rankFmt(c.rank_p05)}, ${rankFmt(c.rank_p95)}]`;
}

export function ChannelTable({
  layer,
  measure,
  onMeasure,
  available,
  channelHref,
  filter,
}: {
  /** Rows shown: only the channels `keep` keeps (a histogram bar's), said above the table with a way back to all. */
  filter?: { id: string; text: string; keep: (c: LayerView['channels'][number]) => boolean; onClear: () => void };
  /** Link to a channel's own page (activation maps, Grad-CAM, ...), when there is one. */
  channelHref?: (channel: number) => string;
  layer: LayerView;
  measure: MeasureKey;
  onMeasure: (m: MeasureKey) => void;
  available: MeasureKey[];
}) {
  const ranked = rankChannels(layer.channels, measure);
  const rows = filter ? ranked.filter(({ row }) => filter.keep(row)) : ranked;
  const rule = layer.verdict_rule;
  const beating = rule ? layer.channels.filter((c) => verdictOf(c, layer) === 'beats').length : 0;
  const header = (c: Col) => {
    const sorted = c.key === measure;
    const can = available.includes(c.key);
    return (
      <th key={c.key} scope="col" className="num" title={c.title} aria-sort={sorted ? (MEASURES[c.key].order === 'desc' ? 'descending' : 'ascending') : undefined}>
        {can ? (
          <button type="button" className={`pa-sort${sorted ? ' pa-sorted' : ''}`} onClick={() => onMeasure(c.key)} aria-label={`Rank by ${MEASURES[c.key].label}`}>
            {c.label}
            {sorted ? (MEASURES[c.key].order === 'desc' ? ' ▼' : ' ▲') : ''}
          </button>
        ) : (
          c.label
        )}
      </th>
    );
  };
  return (
    <>
      {rule ? (
        <p className="small pa-noise-note" data-verdict-rule={rule.text} data-beats-count={beating}>
          <strong>
            {beating} of {layer.channels.length} channels beat noise.
          </strong>{' '}
          {ruleSentence(rule)} <span className="pa-noise-tag">≈ noise</span> marks the others: their rank says nothing about the target.
        </p>
      ) : (
        <p className="small pa-noise-note" data-verdict-rule="none">
          <strong>Verdict: {NOT_CALIBRATED}.</strong> This layer has no null of its ranking statistic, so no channel is declared to beat noise (a score above 0
          or an uncorrected p below 0.05 is not such a claim). Run the analysis again with null draws (the default) for q-values and verdicts.
        </p>
      )}
      {filter ? (
        <p id={filter.id} className="small pa-bin-filter" tabIndex={-1} data-shown={rows.length}>
          Showing the {rows.length} of {layer.channels.length} channels with {filter.text} (ranks among all {layer.channels.length}).{' '}
          <button type="button" className="linkish" onClick={filter.onClear}>
            Show all channels
          </button>
        </p>
      ) : null}
      <div className="pa-table-scroll">
        <table className="pa-channels" data-layer={layer.name}>
          <caption className="sr-only">
            Channels of {layer.name} ranked by {MEASURES[measure].label}
          </caption>
          <thead>
            <tr>
              <th scope="col" className="num" title={`Rank by ${MEASURES[measure].label}`}>
                Rank
              </th>
              <th scope="col" className="num">
                Channel
              </th>
              <th scope="col" title={rule ? rule.text : 'this layer has no null: no verdicts'}>
                Verdict
              </th>
              {SCORE_COLS.map(header)}
              {TEST_COLS.map(header)}
              <th scope="col" className="num" title="95 % confidence set for the rank (bootstrap of the ranking estimator), or the older 5th–95th percentile interval; then how far the rank moves across the numbers of components k. Unstable: either spans a quarter of the layer or more">
                Rank interval · across k
              </th>
              {header({ key: 'ablation_drop', label: 'Ablation', title: 'class-score drop when the channel is zeroed' })}
              <th scope="col" className="num" title="Mean activation over images and positions">
                Mean act.
              </th>
              <th scope="col" className="num" title="Maximum activation">
                Max act.
              </th>
              <th scope="col" className="num" title="Mean of the channel's filter weights">
                Weight mean
              </th>
              <th scope="col" title="Negative weight mean: the paper's reverse channel">
                Reverse
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ row: c, rank }) => {
              const verdict = verdictOf(c, layer);
              return (
                <tr key={c.index} className={verdict === 'noise' ? 'pa-noise' : undefined} data-channel={c.index} data-verdict={verdict ?? 'none'}>
                  <td className="num">{rank}</td>
                  <td className="num">
                    {channelHref ? (
                      <a href={channelHref(c.index)} aria-label={`Channel ${c.index} of ${layer.name}`}>
                        {c.index}
                      </a>
                    ) : (
                      c.index
                    )}
                    {c.flags.map((f) => (
                      <span key={f} className="pa-flag" title={f.replace(/_/g, ' ')}>
                        {f.replace(/_/g, ' ')}
                      </span>
                    ))}
                  </td>
                  <td>
                    {verdict === 'beats' ? (
                      <span className="pa-beats-tag" title={rule?.text}>
                        beats noise
                      </span>
                    ) : verdict === 'noise' ? (
                      <span className="pa-noise-tag" title={`does not beat noise: ${rule?.text}`}>
                        ≈ noise
                      </span>
                    ) : (
                      <span className="muted small">{NOT_CALIBRATED}</span>
                    )}
                  </td>
                  <td className="num">{fixed(c.score_pc1)}</td>
                  <td className="num">{fixed(c.score_multiple)}</td>
                  <td className="num" title={c.mcse !== undefined ? `Monte Carlo error ±${sig(c.mcse, 2)}` : undefined}>
                    {fixed(c.score_crossfit)}
                  </td>
                  <td className="num">{pFmt(c.p_value)}</td>
                  <td className="num">{pFmt(c.q_value)}</td>
                  <td className="num">
                    {c.effect === undefined || !Number.isFinite(c.effect) ? '—' : `${fixed(c.effect, 2)}${c.effect_ci ? ` [${fixed(c.effect_ci[0], 2)}, ${fixed(c.effect_ci[1], 2)}]` : ''}`}
                  </td>
                  <td className="num">{fixed(c.z_score, 2)}</td>
                  <td className="num" data-col="rank-interval">
                    {rankInterval(c)}
                    {c.rank_range_k !== undefined ? <span className="muted"> · moves {c.rank_range_k} across k</span> : null}
                    {rankInstability(c, layer.channels.length) ? (
                      <span className="pa-unstable" title={rankInstability(c, layer.channels.length)!}>
                        {' '}
                        unstable
                      </span>
                    ) : null}
                  </td>
                  <td className="num">{fixed(c.ablation_drop)}</td>
                  <td className="num">{sig(c.mean_activation)}</td>
                  <td className="num">{sig(c.max_activation)}</td>
                  <td className="num">{sig(c.weight_mean)}</td>
                  <td>{c.reverse === undefined ? '—' : c.reverse ? 'reverse' : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
