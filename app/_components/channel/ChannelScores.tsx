/**
 * Every statistic PCACE stored for one channel, named and explained: the
 * ranking scores first, then calibration, stability, activation summaries and
 * whatever else the analysis recorded (nothing is hidden).
 */
import type { ChannelResult } from '@/lib/server/shared/analysis-types';
import { DownloadJson } from './DownloadJson';

const FIELDS: [keyof ChannelResult | string, string, string][] = [
  ['rank', 'Rank', 'position in the layer by the analysis’ ranking score (1 = strongest)'],
  ['score_crossfit', 'Cross-fitted score', 'multiple correlation of the ACE transforms fit on one half of the images, evaluated on the other'],
  ['score_multiple', 'Multiple correlation', '|corr(Σφᵢ, θ)| in-sample, the paper’s text statistic'],
  ['score_pc1', 'PC1 score', '|corr(φ₁, θ)|, the published code’s statistic'],
  ['rsq', 'ACE R²', 'fraction of the transformed response explained'],
  ['p_value', 'p-value', 'permutation test of the ranking score against shuffled responses'],
  ['z_score', 'z-score', 'distance from the permutation null in null standard deviations'],
  ['p_value_pc1', 'p-value (PC1)', ''],
  ['p_value_multiple', 'p-value (multiple)', ''],
  ['z_pc1', 'z (PC1)', ''],
  ['z_multiple', 'z (multiple)', ''],
  ['null_mean', 'Null mean', 'mean score under the permutation null'],
  ['null_q95', 'Null 95th percentile', ''],
  ['rank_p05', 'Rank, 5th percentile', 'bootstrap interval of the rank'],
  ['rank_p95', 'Rank, 95th percentile', ''],
  ['rank_range_k', 'Rank range across k', 'how far the rank moves when the number of components changes'],
  ['components', 'Components (k)', 'principal components of the activation maps fed to ACE'],
  ['explained_variance', 'Explained variance', 'of the activation maps by those components'],
  ['mean_activation', 'Mean activation', 'over all images and positions'],
  ['max_activation', 'Max activation', ''],
  ['weight_mean', 'Mean kernel weight', 'negative: the paper’s “reverse” channel'],
  ['reverse', 'Reverse', ''],
  ['ablation_drop', 'Ablation: score drop', 'target score lost when the channel is zeroed'],
  ['ablation_accuracy_drop', 'Ablation: accuracy drop', ''],
];

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(4);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.length ? v.join(', ') : '—';
  return JSON.stringify(v);
}

export function ChannelScores({ channel, channels, filename }: { channel: ChannelResult; channels: number; filename: string }) {
  const record = channel as unknown as Record<string, unknown>;
  const known = new Set(FIELDS.map(([k]) => k));
  const extra = Object.keys(record).filter((k) => !known.has(k) && k !== 'index' && k !== 'flags');
  const rows = [...FIELDS.filter(([k]) => record[k] !== undefined), ...extra.map((k) => [k, k, ''] as [string, string, string])];
  return (
    <section aria-labelledby="ch-scores" className="ch-scores-section">
      <div className="spread">
        <h2 id="ch-scores">Scores</h2>
        <DownloadJson data={channel} filename={filename} label="Scores (JSON)" />
      </div>
      {channel.flags.length ? (
        <p className="small">
          Flags:{' '}
          {channel.flags.map((f) => (
            <span key={f} className="badge">
              {f}
            </span>
          ))}
        </p>
      ) : null}
      <dl className="ch-scores">
        {rows.map(([k, label, hint]) => (
          <div key={k} title={hint || undefined}>
            <dt>{label}</dt>
            <dd className="mono">
              {show(record[k])}
              {k === 'rank' ? <span className="muted"> of {channels}</span> : null}
            </dd>
            {hint ? <dd className="small muted ch-hint">{hint}</dd> : null}
          </div>
        ))}
      </dl>
    </section>
  );
}
