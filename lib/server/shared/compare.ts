/**
 * Payloads of /api/v1/labs/:lab/compare/... — shared by the route handlers
 * and the compare pages (type-only imports on the client).
 *
 * Per-channel data is columnar (parallel arrays) and carries only what a view
 * draws: a full-network comparison is ~9,000 channels, and one JSON object per
 * channel would triple the payload and the parse time.
 */

import type { LayerResult } from './analysis-types';
import type { ArchitecturePart, ScoreField, Series } from '../../analysis/architecture-part';

/** The ChannelResult field a choice resolves to (lib/analysis/types.ts names). */
export type { ScoreField, Series, LayerBoxes } from '../../analysis/architecture-part';
import type { StoredNetworkCurves } from '../../analysis/importance/network-curves';

/** Which per-channel statistic ranks the channels; `auto` is each analysis' own rankBy. */
export type ScoreChoice = 'auto' | 'crossfit' | 'multiple' | 'pc1' | 'z';
export const SCORE_CHOICES: readonly ScoreChoice[] = ['auto', 'crossfit', 'multiple', 'pc1', 'z'];

export const SCORE_LABELS: Record<ScoreField, string> = {
  score_crossfit: 'cross-fitted score',
  score_multiple: 'multiple correlation',
  score_pc1: 'PC1 correlation',
  z_score: 'permutation z-score',
};

/** An analysis as the compare views describe it. */
export interface AnalysisInfo {
  id: string;
  title: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  model: { id: string; name: string; versionId: string; version: number; format: string; layerCount: number };
  dataset: { id: string; name: string };
  target: unknown;
  /** "class 3 (cat)", "regression output 0". */
  targetLabel: string;
  options: {
    rankBy: string;
    images: number | null;
    components: unknown;
    flavour: string | null;
    seed: number | null;
    permutations: number;
    crossFitRepeats: number;
    ablation: boolean;
  };
  /** The field the requested score resolves to for this analysis. */
  scoreField: ScoreField;
  /** Layers with stored results, in model order. */
  layers: string[];
  channels: number;
  createdAt: string;
  finishedAt: string | null;
}

/** One network of the architectures comparison: the analysis and its part (lib/analysis/architecture-part.ts). */
export type ArchitectureSide = { analysis: AnalysisInfo } & ArchitecturePart;

export interface ArchitecturesPayload {
  score: ScoreChoice;
  sides: [ArchitectureSide, ArchitectureSide];
}

export interface ClassesPayload {
  score: ScoreChoice;
  /** The one statistic every compared ranking is by (analyses ranked by different statistics are refused). */
  statistic: string;
  layer: string;
  /** Layers every picked analysis has, in model order. */
  layers: string[];
  k: number;
  /** Channels compared per pair. */
  n: number;
  analyses: AnalysisInfo[];
  labels: string[];
  /** Spearman ρ and its two-sided p per cell (diagonal p is null). */
  rho: (number | null)[][];
  p: (number | null)[][];
  method: 'exact' | 't' | null;
  overlap: { shared: number[][]; fraction: number[][]; expected: number; p: (number | null)[][] };
  /** Off-diagonal pairs, and how many have p < 0.05 without / with Bonferroni correction. */
  pairs: number;
  significant: number;
  bonferroni: number;
  medianAbsRho: number | null;
  /**
   * Each ranking's test–retest reliability in this layer (Spearman between its
   * rankings on two disjoint image samples, 95 % interval); null when the
   * analysis ran without a retest or its retest is of another statistic.
   */
  reliability: ({ spearman: number | null; low: number | null; high: number | null; images: number; statistic: string } | null)[];
  /**
   * ρ corrected for both rankings' unreliability: the rankings correlated
   * across the two samples over √(r_a r_b), with a 95 % bootstrap interval
   * over channels; null where either ranking has no retest (or ρ is undefined,
   * a reliability ≤ 0). Can exceed 1 by sampling error.
   */
  disattenuated: { rho: (number | null)[][]; low: (number | null)[][]; high: (number | null)[][] };
  /** Why some pairs have no disattenuated ρ; null when all have one. */
  disattenuationNote: string | null;
}

export interface Agreement {
  rho: number | null;
  p: number | null;
}

export interface RunsLayer {
  name: string;
  n: number;
  channel: number[];
  /** Ordinal ranks (1 = best, ties by channel) by the chosen score. */
  rankA: number[];
  rankB: number[];
  scoreA: (number | null)[];
  scoreB: (number | null)[];
  spearman: Agreement | null;
  kendall: { tau: number | null; p: number | null } | null;
  topK: { k: number; shared: number; expected: number; p: number } | null;
  /** Each run's stored verdicts per channel (same order as `channel`); null: that run's layer is not calibrated. */
  verdictA: RunsVerdicts | null;
  verdictB: RunsVerdicts | null;
}

export type RunsVerdicts = Record<'q' | 'effect' | 'effectLow' | 'effectHigh', Series> & {
  /** The layer's verdict rule in words. */
  rule: string;
};

export interface RunsPayload {
  score: ScoreChoice;
  /** The one statistic both rankings are by (runs ranked by different statistics are refused). */
  statistic: string;
  k: number;
  a: AnalysisInfo;
  b: AnalysisInfo;
  /** Settings that differ between the runs. */
  differences: { field: string; a: string; b: string }[];
  layers: RunsLayer[];
  /** Layers only one run has, or with a different channel count. */
  skipped: { name: string; reason: string }[];
  medianRho: number | null;
}

export interface MethodsPayload {
  score: ScoreChoice;
  layer: string;
  analysis: AnalysisInfo;
  n: number;
  channel: number[];
  /** The ranking score first, then ablation (when measured), then activation. */
  measures: { key: string; label: string; values: (number | null)[] }[];
  spearman: { rho: (number | null)[][]; p: (number | null)[][]; n: number[][] };
  ablation: { available: boolean; reason?: string; howTo?: string };
  /** The layer's importance block when measured: deletion curves, PCACE's agreement with each measure (bootstrap intervals), settings. */
  importance: LayerResult['importance'] | null;
  /**
   * The analysis' network-wide deletion curves (every analysed layer's channels removed together,
   * in each measure's global order), or why they failed; null when there are none (yet).
   */
  network: StoredNetworkCurves | null;
  /** The layer's stored verdicts per channel (same order as `channel`) and their rule; null: the layer is not calibrated. */
  verdicts: (RunsVerdicts & { beats: (boolean | null)[]; /** The rule in a legend's few words. */ ruleShort: string }) | null;
  /** Set when the verdicts are of another statistic than the score shown: says which is which. */
  verdictNote: string | null;
}
