/**
 * What the importance step stores: the measure keys (ChannelResult fields),
 * their words, and the layer block (curves, agreement, settings). Client-safe:
 * the methods view and the channel page read these types and labels.
 */
import type { RankAgreement } from '../../pcace/agreement';
import type { RankingScore } from '../../pcace/score';
import type { LayerCurves } from './curves';
import type { Summary } from './measures';
import type { LayerGroup } from './groups';

/** Importance measures beside PCACE, in the order views list them. */
export const IMPORTANCE_MEASURES = ['mean_ablation_drop', 'mean_ablation_rms', 'ablation_drop', 'mean_abs_activation', 'filter_l1', 'taylor', 'conductance'] as const;
export type MeasureKey = (typeof IMPORTANCE_MEASURES)[number];

export const MEASURE_LABELS: Record<MeasureKey | 'mean_ablation_accuracy_drop' | 'ablation_accuracy_drop', { label: string; help: string }> = {
  mean_ablation_drop: { label: 'mean-ablation drop', help: 'class score lost when the channel is replaced by its mean map over the images' },
  mean_ablation_rms: { label: 'mean-ablation change (RMS)', help: 'root-mean-square change of the class score per image when the channel is replaced by its mean map' },
  ablation_drop: { label: 'zero-ablation drop', help: 'class score lost when the channel is set to 0 (not neutral after a folded BatchNorm)' },
  mean_abs_activation: { label: 'mean |activation|', help: 'mean absolute conv output over images and positions' },
  filter_l1: { label: 'filter L1 norm', help: "Σ|w| of the channel's kernel" },
  taylor: { label: 'Taylor', help: '|mean over images of Σ gradient × activation|: first-order estimate of the zero-ablation drop' },
  conductance: { label: 'conductance', help: 'integrated gradients on the layer from its mean maps, per channel: mean over images of |attribution| (per image the channels sum to the whole-layer mean-ablation change)' },
  mean_ablation_accuracy_drop: { label: 'mean-ablation drop (accuracy)', help: 'accuracy lost when the channel is replaced by its mean map' },
  ablation_accuracy_drop: { label: 'zero-ablation drop (accuracy)', help: 'accuracy lost when the channel is set to 0' },
};

/** The ChannelResult field holding the PCACE statistic the layer was ranked by. */
export function pcaceField(rankBy: RankingScore): 'score_crossfit' | 'score_multiple' | 'score_pc1' | 'z_pc1' | 'z_multiple' {
  switch (rankBy) {
    case 'crossfit':
      return 'score_crossfit';
    case 'multiple':
      return 'score_multiple';
    case 'pc1':
      return 'score_pc1';
    default:
      return rankBy;
  }
}

export interface LayerImportance {
  settings: {
    images: number;
    target_index: number;
    conductance_steps: number;
    random_orders: number;
    /** ε of the finite differences behind Taylor and conductance. */
    derivative_step: number;
    removal: 'mean';
    /** The PCACE field the agreement and the 'pcace' curves use. */
    pcace: string;
    engine: string;
  };
  baseline: Summary;
  /** Class score lost (mean over images) when every channel is mean-ablated. */
  whole_layer_mean_drop: number;
  /** Root mean square over images of (Σ_c conductance − whole-layer change): how far the conductance's path integral is from complete (finite steps, finite differences). */
  completeness_gap?: number;
  curves: LayerCurves;
  /** PCACE against each measure. */
  agreement: ({ measure: MeasureKey } & RankAgreement)[];
  /** Group PCACE of the top-k by PCACE and by the mean-ablation RMS change (absent when the layer was scored in slices). */
  groups?: LayerGroup[];
}
