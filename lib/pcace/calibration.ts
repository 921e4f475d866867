/**
 * Calibrations of a channel's score. A raw maximal correlation is never 0:
 * ACE bends k transforms towards any response, so noise alone scores ~0.5 with
 * k = 5 on 300 images. These say how far a channel is above that floor.
 */
import { ace, type AceFlavour } from './ace/index';
import { bothFolds, randomHalves } from './crossfit';
import { Rng } from './random';
import { aceCorrelations } from './correlations';
import { mean, quantile, sampleSd, sortedCopy } from './stats';

export interface PermutationNull {
  permutations: number;
  /** (1 + #null ≥ observed) / (B + 1): never 0, valid at any B. */
  p_pc1: number;
  p_multiple: number;
  /** (observed − null mean) / null sd. */
  z_pc1: number;
  z_multiple: number;
  null_mean_pc1: number;
  null_q95_pc1: number;
  null_mean_multiple: number;
  null_q95_multiple: number;
}

/**
 * Permutation null of both statistics: the class score shuffled across images,
 * the channel's PCA reused (it never saw the response), ACE refit each time.
 */
export function permutationNull(
  pcs: Float64Array[],
  y: Float64Array,
  flavour: AceFlavour,
  permutations: number,
  seed: number,
  observed: { pc1: number; multiple: number },
): PermutationNull {
  const rng = new Rng(seed ^ 0x9e3779b9);
  const nullPc1 = new Float64Array(permutations);
  const nullMultiple = new Float64Array(permutations);
  const shuffled = Float64Array.from(y);
  for (let b = 0; b < permutations; b++) {
    shuffled.set(y);
    rng.shuffle(shuffled);
    const fit = ace(flavour, pcs, shuffled);
    const c = aceCorrelations(fit.tx, fit.ty);
    nullPc1[b] = c.pc1;
    nullMultiple[b] = c.multiple;
  }
  return {
    permutations,
    p_pc1: upperTailP(nullPc1, observed.pc1),
    p_multiple: upperTailP(nullMultiple, observed.multiple),
    z_pc1: zScore(nullPc1, observed.pc1),
    z_multiple: zScore(nullMultiple, observed.multiple),
    null_mean_pc1: mean(nullPc1),
    null_q95_pc1: quantile(sortedCopy(nullPc1), 0.95),
    null_mean_multiple: mean(nullMultiple),
    null_q95_multiple: quantile(sortedCopy(nullMultiple), 0.95),
  };
}

function upperTailP(nulls: Float64Array, observed: number): number {
  let hits = 0;
  for (const v of nulls) if (v >= observed - 1e-12) hits++;
  return (1 + hits) / (nulls.length + 1);
}

function zScore(nulls: Float64Array, observed: number): number {
  const sd = sampleSd(nulls);
  const m = mean(nulls);
  if (!(sd > 0)) return observed > m ? Infinity : observed < m ? -Infinity : 0;
  return (observed - m) / sd;
}

/**
 * Two-fold cross-fitted correlation, averaged over `repeats` random splits:
 * fit ACE on one half, carry φ_i and θ to the other half by interpolation,
 * correlate there. Overfitting cannot raise it, so noise channels sit near 0.
 */
export function crossFittedScore(
  pcs: Float64Array[],
  y: Float64Array,
  flavour: AceFlavour,
  repeats: number,
  seed: number,
  groups?: Int32Array,
): number {
  const rng = new Rng(seed ^ 0x85ebca6b);
  let total = 0;
  let count = 0;
  for (let r = 0; r < repeats; r++) {
    const folds = bothFolds(pcs, y, flavour, randomHalves(y.length, rng, groups));
    total += folds.total;
    count += folds.count;
  }
  return count ? total / count : 0;
}
