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
  // Verdicts (bench/README.md "Null calibration"): paired cross-fit splits with
  // repeats added until the Monte Carlo SE < 0.005 or crossFitCap; a pooled
  // permutation null of the ranking statistic per layer; BH at alpha per layer.
  crossFitCap: 20,
  nullPermutations: 'auto',
  perChannelNull: false,
  alpha: 0.05,
  pi0: false,
};

/**
 * Bounds of the options, checked by the API (lib/server/schemas.ts) and the
 * form alike. They stop nonsense; what a lab may afford is the CPU-hours limit
 * on the whole analysis's estimate (lib/server/limits.ts).
 */
export const OPTION_BOUNDS = {
  images: { min: 10, max: 100_000 },
  components: { min: 1, max: 1000 },
  permutations: { min: 0, max: 10_000 },
  crossFitRepeats: { min: 0, max: 100 },
  bootstrap: { min: 0, max: 10_000 },
  stabilityComponents: { max: 10 },
} as const;
