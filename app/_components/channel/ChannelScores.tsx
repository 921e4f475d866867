/**
 * Every statistic PCACE stored for one channel, named and explained: the
 * verdict first (beats noise or not, under the layer's rule in words, with q
 * and the effect's interval), the channel against its layer's random filters
 * when the analysis ran the sanity checks, then the ranking scores, calibration,
 * stability, activation summaries and whatever else the analysis recorded
 * (nothing is hidden).
 */
import type { ChannelResult } from '@/lib/server/shared/analysis-types';
import type { StoredLayerView, VerdictRuleView } from '@/lib/server/shared/payloads';
import { DownloadJson } from './DownloadJson';

const FIELDS: [keyof ChannelResult | string, string, string][] = [
  ['rank', 'Rank', 'position in the layer by the analysis’ ranking score (1 = strongest)'],
  ['score_crossfit', 'Cross-fitted score', 'multiple correlation of the ACE transforms fit on one half of the images, evaluated on the other'],
  ['score_multiple', 'Multiple correlation', '|corr(Σφᵢ, θ)| in-sample, the paper’s text statistic'],
  ['score_pc1', 'PC1 score', '|corr(φ₁, θ)|, the published code’s statistic'],
  ['rsq', 'ACE R²', 'fraction of the transformed response explained'],
  ['mcse', 'Monte Carlo error', 'of the cross-fitted score over its split repeats'],
  ['crossfit_repeats', 'Cross-fit repeats', 'half/half splits averaged (added until the Monte Carlo error is small)'],
  ['p_value', 'p-value', 'of the ranking statistic against the layer’s null (uncorrected)'],
  ['p_value_empirical', 'p-value (empirical)', '(1 + draws ≥ score) / (B + 1)'],
  ['q_value', 'q-value (layer)', 'Benjamini–Hochberg within the layer'],
  ['q_value_network', 'q-value (network)', 'Benjamini–Hochberg over every channel of the analysis'],
  ['beats_noise', 'Beats noise', 'q-value below α under the layer’s rule'],
  ['effect', 'Effect', '(score − null mean) / null sd'],
  ['effect_ci', 'Effect, 95 % interval', ''],
  ['rank_ci', 'Rank, 95 % confidence set', 'marginal (Mogstad et al. 2024), from the refit bootstrap'],
  ['rank_ci_simultaneous', 'Rank, simultaneous 95 % set', 'covers every channel’s rank at once'],
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
  ['mean_ablation_drop', 'Mean-ablation: score drop', 'target score lost (mean over images) when the channel is replaced by its mean map'],
  ['mean_ablation_rms', 'Mean-ablation: score change (RMS)', 'per-image change of the target score when the channel is replaced by its mean map'],
  ['mean_ablation_accuracy_drop', 'Mean-ablation: accuracy drop', ''],
  ['ablation_drop', 'Zero-ablation: score drop', 'target score lost when the channel is zeroed'],
  ['ablation_accuracy_drop', 'Zero-ablation: accuracy drop', ''],
  ['mean_abs_activation', 'Mean |activation|', 'over all images and positions'],
  ['filter_l1', 'Filter L1 norm', 'Σ|w| of the channel’s kernel'],
  ['taylor', 'Taylor', '|mean of Σ gradient × activation|: first-order estimate of the zero-ablation drop'],
  ['conductance', 'Conductance', 'integrated gradients on the layer from its mean maps: mean |attribution| over images'],
  ['baseline_corrected', 'Baseline-corrected score', 'ranking statistic minus the mean of the layer’s random filters (same shape and filter norm, same input and target)'],
  ['baseline_z', 'Baseline z', 'the same in the random filters’ standard deviations'],
  ['baseline_p', 'p-value vs random filters', 'chance that a random filter scores at least this much (uncorrected)'],
  ['baseline_q', 'q-value vs random filters', 'Benjamini–Hochberg within the layer'],
];

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(4);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.length ? v.join(', ') : '—';
  return JSON.stringify(v);
}

const num = (v: number | undefined, d: number) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const qFmt = (q: number | undefined) => (q === undefined || !Number.isFinite(q) ? '—' : q < 0.001 ? q.toExponential(2) : q.toFixed(3));

/** The channel's verdict in words; "not calibrated" when its layer has no rule (no null, or stored before verdicts existed). */
function VerdictLine({ channel, rule }: { channel: ChannelResult; rule?: VerdictRuleView }) {
  if (!rule || typeof channel.beats_noise !== 'boolean') {
    return (
      <p className="small ch-verdict" data-verdict="none">
        <strong>Verdict: not calibrated.</strong> This layer has no null of its ranking statistic, so the portal makes no claim that this channel beats noise.
      </p>
    );
  }
  const ci = channel.effect_ci;
  return (
    <p className="small ch-verdict" data-verdict={channel.beats_noise ? 'beats' : 'noise'}>
      <strong>{channel.beats_noise ? 'Beats noise' : 'Does not beat noise'}</strong>: q = {qFmt(channel.q_value)} (network-wide {qFmt(channel.q_value_network)}),
      effect {num(channel.effect, 2)}
      {ci ? ` [${num(ci[0], 2)}, ${num(ci[1], 2)}]` : ''} null standard deviations. Rule: {rule.text}.
    </p>
  );
}

/** The channel against its layer's random filters, when the analysis ran the sanity checks. */
function BaselineLine({ channel, sanity }: { channel: ChannelResult; sanity?: StoredLayerView['sanity'] }) {
  const rf = sanity?.random_filters;
  if (!rf || channel.baseline_p === undefined) return null;
  const above = !channel.flags.includes('not_above_random_filters');
  return (
    <p className="small ch-baseline" data-baseline={above ? 'above' : 'not-above'}>
      <strong>{above ? 'Above random filters' : 'No better than random filters'}</strong>: baseline-corrected score {num(channel.baseline_corrected, 3)} (the layer’s{' '}
      {rf.count} random filters of the same shape and norm score {num(rf.mean ?? undefined, 3)} on average), p = {qFmt(channel.baseline_p)}, q = {qFmt(channel.baseline_q)}.
      {rf.verdict ? ` Layer: ${rf.verdict} (AUC ${num(rf.auc ?? undefined, 2)}${rf.auc_ci ? ` [${num(rf.auc_ci[0], 2)}, ${num(rf.auc_ci[1], 2)}]` : ''}).` : ''}
    </p>
  );
}

export function ChannelScores({
  channel,
  channels,
  filename,
  rule,
  sanity,
}: {
  channel: ChannelResult;
  channels: number;
  filename: string;
  rule?: VerdictRuleView;
  sanity?: StoredLayerView['sanity'];
}) {
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
      <VerdictLine channel={channel} rule={rule} />
      <BaselineLine channel={channel} sanity={sanity} />
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
