'use client';
/**
 * The ranked channels of one layer, re-sorted in the browser by the chosen
 * measure (no round trip). Channels that do not beat noise are marked in the
 * row (text, not colour only) and explained above the table.
 */
import { ALPHA, MEASURES, isNoise, noiseRule, rankChannels, type LayerView, type MeasureKey, type NoiseBasis } from './measures';

const fixed = (v: number | undefined, d = 3) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const sig = (v: number | undefined, d = 3) => (v === undefined || !Number.isFinite(v) ? '—' : Number(v.toPrecision(d)).toString());
const pFmt = (p: number | undefined) => (p === undefined ? '—' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));
const rankFmt = (v: number | undefined) => (v === undefined ? '—' : Number(v.toFixed(1)).toString());

type Col = { key: MeasureKey; label: string; title: string };
const MEASURE_COLS: Col[] = [
  { key: 'score_pc1', label: 'PC1', title: 'score_pc1: ACE correlation of the first component' },
  { key: 'score_multiple', label: 'Multiple', title: 'score_multiple: ACE correlation of all k components' },
  { key: 'score_crossfit', label: 'Cross-fit', title: 'score_crossfit: out-of-sample (cross-fitted) multiple correlation' },
  { key: 'p_value', label: 'p', title: 'permutation p-value of the ranking score' },
  { key: 'z_score', label: 'z', title: 'z against the permutation null' },
];

export function ChannelTable({
  layer,
  measure,
  basis,
  onMeasure,
  available,
  channelHref,
  permutations,
}: {
  /** Permutations the analysis ran: 1/(B+1) is the smallest p it can report. */
  permutations?: number;
  /** Link to a channel's own page (activation maps, Grad-CAM, ...), when there is one. */
  channelHref?: (channel: number) => string;
  layer: LayerView;
  measure: MeasureKey;
  basis: NoiseBasis;
  onMeasure: (m: MeasureKey) => void;
  available: MeasureKey[];
}) {
  const rows = rankChannels(layer.channels, measure);
  const noisy = layer.channels.filter((c) => isNoise(c, basis) === true).length;
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
      <p className="small pa-noise-note" data-noise-count={noisy}>
        {basis === 'none' ? (
          <>
            Nothing here says which channels beat noise: in-sample scores of pure-noise channels sit well above 0. Run with permutations (p-values) or cross-fit
            repeats to find out.
          </>
        ) : (
          <>
            <span className="pa-noise-tag">≈ noise</span> marks the {noisy} of {layer.channels.length} channels whose {noiseRule(basis)}
            {basis === 'permutation'
              ? ': a channel unrelated to the class reaches such a score by chance with these images, so its rank says nothing.'
              : ': transforms fitted on one half of the images do not predict the class score on the other half.'}
            {basis === 'permutation' && permutations && 1 / (permutations + 1) >= ALPHA ? (
              <strong className="pa-resolution">
                {' '}
                With {permutations} permutations the smallest possible p is {(1 / (permutations + 1)).toFixed(3)}, so no channel can reach p &lt; {ALPHA}: run
                again with 99 or more.
              </strong>
            ) : null}
          </>
        )}
      </p>
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
              {MEASURE_COLS.map(header)}
              <th scope="col" className="num" title="Bootstrap rank interval: 5th and 95th percentile of the channel's rank over resampled images">
                Rank interval
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
              const noise = isNoise(c, basis);
              return (
                <tr key={c.index} className={noise ? 'pa-noise' : undefined} data-channel={c.index} data-noise={noise === true ? 'true' : undefined}>
                  <td className="num">{rank}</td>
                  <td className="num">
                    {channelHref ? (
                      <a href={channelHref(c.index)} aria-label={`Channel ${c.index} of ${layer.name}`}>
                        {c.index}
                      </a>
                    ) : (
                      c.index
                    )}
                    {noise ? (
                      <>
                        {' '}
                        <span className="pa-noise-tag" title={`does not beat noise (${noiseRule(basis)})`}>
                          ≈ noise
                        </span>
                      </>
                    ) : null}
                    {c.flags.map((f) => (
                      <span key={f} className="pa-flag" title={f.replace(/_/g, ' ')}>
                        {f.replace(/_/g, ' ')}
                      </span>
                    ))}
                  </td>
                  <td className="num">{fixed(c.score_pc1)}</td>
                  <td className="num">{fixed(c.score_multiple)}</td>
                  <td className="num">{fixed(c.score_crossfit)}</td>
                  <td className="num">{pFmt(c.p_value)}</td>
                  <td className="num">{fixed(c.z_score, 2)}</td>
                  <td className="num">{c.rank_p05 === undefined ? '—' : `[${rankFmt(c.rank_p05)}, ${rankFmt(c.rank_p95)}]`}</td>
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
