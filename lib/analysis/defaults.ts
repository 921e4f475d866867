/**
 * Defaults of an analysis, chosen by measurement (bench/choose-defaults.ts,
 * results in bench/README.md "Choosing the defaults"):
 * - k = 5 components: best separation of signal from pure-noise channels for the
 *   multiple and cross-fitted scores on the synthetic layer (AUC 0.986 / 0.995),
 *   and rankings at 5 and 10 agree (ρ ≥ 0.98 there).
 * - rank by the cross-fitted multiple correlation: calibrated without a null
 *   (noise channels sit at ≈ 0, not at ≈ 0.5 like the in-sample score), the
 *   best AUC of all statistics, at the cost of 4 half-size ACE fits per channel
 *   instead of B permutation refits.
 */
import type { AnalysisSpec } from './types';

export const DEFAULT_ANALYSIS: Omit<AnalysisSpec, 'model' | 'dataset' | 'target'> = {
  layers: 'all',
  images: 300,
  components: 5,
  flavour: 'acepack',
  rankBy: 'crossfit',
  permutations: 0,
  crossFitRepeats: 2,
  bootstrap: 0,
  stabilityComponents: [],
  seed: 1,
};
