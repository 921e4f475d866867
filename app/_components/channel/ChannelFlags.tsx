/**
 * What is unusual about a channel, each in words: the flags its statistics
 * raised (constant maps, fewer components than asked, no better than the
 * layer's random filters) and an inactive channel — one that is never
 * positive, so a ReLU after it passes nothing on and its high rank says
 * nothing about what the network uses — or one whose removal changes nothing.
 */
import type { ChannelResult } from '@/lib/server/shared/analysis-types';

const FLAG_TEXT: Record<string, string> = {
  constant: 'Constant: its activation maps are the same on every image, so there is nothing to correlate with the target; its scores are 0 by construction.',
  rank_deficient:
    'Rank deficient: its activation maps span fewer dimensions than the images and positions allow, so PCA found fewer components than asked; the scores use those it found.',
  components_capped:
    'Components capped: fewer principal components were used than asked, because the activation maps have fewer usable positions or the sample fewer images; the scores use the components there were.',
  not_above_random_filters:
    'Not above random filters: random filters of the same shape and norm on the same input score as high (q ≥ 0.05 against the layer’s random-filter baseline), so this score may say more about what the layer’s input predicts than about this channel.',
};

export interface ChannelNotice {
  key: string;
  text: string;
}

/** The notices for this channel, most serious first. */
export function channelNotices(c: Pick<ChannelResult, 'flags' | 'max_activation' | 'mean_activation' | 'ablation_drop' | 'mean_ablation_rms'>): ChannelNotice[] {
  const out: ChannelNotice[] = [];
  // Mean-ablation leaves every image's score where it was: the neutral removal, measured with the importance measures.
  const meanNoEffect = c.mean_ablation_rms === 0;
  const noEffect = c.ablation_drop === 0 ? ' — zeroing it changes nothing (ablation drop 0)' : meanNoEffect ? ' — replacing it by its mean map changes no image’s score' : '';
  if (Number.isFinite(c.max_activation) && c.max_activation <= 0) {
    out.push({
      key: 'inactive',
      text: `Inactive: its activation is never positive on any image of the sample (maximum ${c.max_activation.toPrecision(3)}). After a ReLU it passes nothing on, so however it ranks, the network does not use it on these images${noEffect}.`,
    });
  } else if (c.ablation_drop === 0) {
    out.push({ key: 'no-effect', text: 'No effect when removed: zeroing this channel leaves the target score unchanged (ablation drop 0).' });
  } else if (meanNoEffect) {
    out.push({ key: 'no-effect', text: 'No effect when removed: replacing this channel by its mean map over the images leaves every image’s target score unchanged (mean-ablation change 0).' });
  }
  for (const f of c.flags) out.push({ key: f, text: FLAG_TEXT[f] ?? `Flag ${f}.` });
  return out;
}

export function ChannelFlags({ channel }: { channel: ChannelResult }) {
  const notices = channelNotices(channel);
  if (notices.length === 0) return null;
  return (
    <ul className="ch-flags" aria-label="Flags">
      {notices.map((n) => (
        <li key={n.key} data-flag={n.key} className="alert warn small">
          {n.text}
        </li>
      ))}
    </ul>
  );
}
