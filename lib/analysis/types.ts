/** One analysis = model × dataset × target × layers × options → results. */
import type { AceFlavour, ComponentsSpec, RankingScore } from '../pcace/index';
import type { DatasetSpec, Preprocessing } from '../datasets/types';
import type { NullSummary } from '../pcace/pooled-null';
import type { VerdictRule } from '../pcace/verdicts';
import type { LayerImportance } from './importance/types';
import type { GlobalRanking } from './global-ranking';
import type { NetworkCurves } from './importance/network-curves';

export interface ModelRef {
  path: string;
  format: 'onnx' | 'tfjs';
  /** Input preprocessing; defaults are derived from the input shape when absent. */
  preprocessing?: Preprocessing;
}

export type TargetSpec =
  /** Pre-softmax score of one class (output index). */
  | { kind: 'class'; index: number }
  /** A regression output (index into the output vector, default 0) or a dataset target. */
  | { kind: 'regression'; index?: number; source?: 'output' | 'dataset' };

export interface AnalysisSpec {
  model: ModelRef;
  dataset: DatasetSpec;
  target: TargetSpec;
  /** Conv layer names, or 'all'. */
  layers: 'all' | string[];
  images: number;
  components: ComponentsSpec;
  flavour: AceFlavour;
  rankBy: RankingScore;
  permutations: number;
  crossFitRepeats: number;
  bootstrap: number;
  stabilityComponents: ComponentsSpec[];
  seed: number;
  /** Most cross-fit repeats (adaptive: added until the Monte Carlo SE < 0.005); absent = exactly crossFitRepeats. */
  crossFitCap?: number;
  /** Permutation draws of the ranking statistic's null per layer (pooled over its channels); 'auto' = max(20, ⌈m/4⌉); 0 = no verdicts. */
  nullPermutations?: number | 'auto';
  /** B draws for every channel instead of one pooled null per layer (B× the cost). */
  perChannelNull?: boolean;
  /** False-discovery level of the beats-noise verdict (q < alpha). */
  alpha?: number;
  /** Sharpen BH with Storey's π₀ estimate. */
  pi0?: boolean;
  /** Importance measures beside PCACE (mean/zero ablation, activation, L1, Taylor, conductance), deletion curves and agreement (importance/). */
  ablation?: boolean;
  /** Path points of the conductance (0 = no conductance). */
  conductanceSteps?: number;
  /** Random removal orders behind the deletion curves' band. */
  curveRandomOrders?: number;
  /** Per layer: the random-filter baseline and model randomisation (lib/analysis/sanity.ts). */
  sanityChecks?: boolean;
  /** Also rank every layer on a second, disjoint sample of `images` images and store the rankings' agreement (reliability). */
  retest?: boolean;
}

export interface ChannelResult {
  index: number;
  rank: number;
  score_pc1: number;
  score_multiple: number;
  rsq: number;
  score_crossfit?: number;
  /** Monte Carlo SE of score_crossfit over the split repeats, and how many ran. */
  mcse?: number;
  crossfit_repeats?: number;
  /** With a null: the ranking statistic's p-value (fitted tail of the layer's null) — otherwise the per-channel permutation p. */
  p_value?: number;
  /** (1 + #{null ≥ observed}) / (B + 1) against the same null. */
  p_value_empirical?: number;
  /** BH q-value within the layer. */
  q_value?: number;
  /** BH q-value over every channel of the analysis (set once all layers are known). */
  q_value_network?: number;
  /** q_value < alpha: the channel beats noise under the layer's verdict_rule. */
  beats_noise?: boolean;
  /** (observed − null mean) / null sd, with a 95 % interval. */
  effect?: number;
  effect_ci?: [number, number];
  /** 95 % confidence set for the rank (marginal; Mogstad et al. 2024) and the simultaneous one. */
  rank_ci?: [number, number];
  rank_ci_simultaneous?: [number, number];
  z_score?: number;
  p_value_pc1?: number;
  p_value_multiple?: number;
  z_pc1?: number;
  z_multiple?: number;
  null_mean?: number;
  null_q95?: number;
  rank_p05?: number;
  rank_p95?: number;
  rank_range_k?: number;
  components: number;
  explained_variance: number;
  mean_activation: number;
  max_activation: number;
  weight_mean?: number;
  /** Negative weight mean: the paper's "reverse channel". */
  reverse?: boolean;
  /** Zero-ablation: class score (and accuracy) lost when the channel is set to 0. */
  ablation_drop?: number;
  ablation_accuracy_drop?: number;
  /** Mean-ablation: the channel replaced by its mean map over the images. */
  mean_ablation_drop?: number;
  mean_ablation_accuracy_drop?: number;
  /** Root-mean-square change of the class score per image under mean-ablation. */
  mean_ablation_rms?: number;
  mean_abs_activation?: number;
  filter_l1?: number;
  taylor?: number;
  conductance?: number;
  /** Sanity checks: the ranking statistic minus the mean of the layer's random filters, in their sd, and its p and BH q against them. */
  baseline_corrected?: number;
  baseline_z?: number;
  baseline_p?: number;
  baseline_q?: number;
  /** The ranking statistic on the retest sample (a second, disjoint sample of as many images). */
  score_retest?: number;
  flags: string[];
}

/** Spearman(trained ranking, ranking under a randomised model) over the sanity subset. */
export interface RandomisationCheck {
  /** The layers whose weights were re-drawn. */
  randomised: string[];
  /** The subset's ranking statistic under the randomised model (same order as LayerSanity.channels). */
  scores: number[];
  rho: number | null;
  rho_ci: [number, number] | null;
  /** Why there is no ρ, when there is none. */
  note?: string;
}

/** A layer's sanity checks (lib/analysis/sanity.ts). */
export interface LayerSanity {
  /** The raw ranking statistic compared ('crossfit', 'multiple' or 'pc1'). */
  statistic: 'crossfit' | 'multiple' | 'pc1';
  /** Channels scored under randomisation; their random twins form the baseline. */
  channels: number[];
  random_filters: {
    count: number;
    scores: number[];
    mean: number | null;
    sd: number | null;
    /** P(trained channel > random filter), over the layer's non-constant channels, with a 95 % interval. */
    auc: number | null;
    auc_ci: [number, number] | null;
    trained: number;
    verdict: 'above random filters' | 'not distinguishable from random filters' | 'below random filters' | null;
  };
  cascading: RandomisationCheck;
  independent: RandomisationCheck;
  seconds: number;
}

export interface LayerResult {
  name: string;
  /** [n, channels, height, width] */
  shape: [number, number, number, number];
  kernel?: [number, number];
  seconds: number;
  channels: ChannelResult[];
  /** Spearman between rankings at successive k of stabilityComponents. */
  rank_stability?: { ks: ComponentsSpec[]; spearman: number[][] };
  /** The null the verdicts were tested against. */
  null?: NullSummary;
  verdict_rule?: VerdictRule;
  /** Importance measures' layer block: deletion curves, PCACE's agreement with each measure, settings. */
  importance?: LayerImportance;
  sanity?: LayerSanity;
  /** Test–retest: Spearman between the rankings on the analysis' sample and on a disjoint one of as many images. */
  reliability?: LayerReliability;
  warnings: string[];
}

export interface LayerReliability {
  spearman: number;
  /** 95 % interval (Fisher z, Bonett–Wright variance). */
  ci: [number, number];
  /** Channels compared, and images in each of the two samples. */
  channels: number;
  images: number;
  /** The statistic both rankings are by. */
  statistic: 'pc1' | 'multiple' | 'crossfit';
}

export interface AnalysisResult {
  spec: AnalysisSpec;
  model: { backend: string; input: number[]; layers: number };
  dataset: { images: number; classes: string[]; skipped: number };
  layers: LayerResult[];
  /** Channels of all layers ranked by the null-standardised effect (global-ranking.ts); absent without a null. */
  global_ranking?: GlobalRanking;
  /** With importance measures on two or more layers: deletion curves removing channels of every analysed layer in each measure's global order. */
  network_curves?: NetworkCurves;
  /** forward_passes: passes over the images (the memory plan's, plan.ts; a retest doubles them). */
  timings: { total_seconds: number; forward_seconds: number; forward_passes: number; statistics_seconds: number };
  versions: Record<string, string>;
}

/** What every layer of a run shares: the rows of a finished layer are stored with it (lib/queue/persist.ts). */
export type RunSummary = Pick<AnalysisResult, 'model' | 'dataset' | 'versions'>;

export interface AnalysisProgress {
  /** 0..1 over the whole analysis. */
  fraction: number;
  layer?: string;
  layerIndex?: number;
  layerCount?: number;
  channelsDone?: number;
  channels?: number;
  /** 0..1 of `layer`'s channels scored (a retest counts each channel twice). */
  layerFraction?: number;
  phase: 'loading' | 'forward' | 'statistics' | 'ablation' | 'sanity' | 'done';
  etaSeconds?: number;
}
