/**
 * Calibrations of a channel's score. A raw maximal correlation is never 0:
 * ACE bends k transforms towards any response, so noise alone scores ~0.5 with
 * k = 5 on 300 images. These say how far a channel is above that floor.
 */
import { ace, type AceFlavour } from './ace/index';
import { piecewiseLinear } from './interpolate';
import { Rng } from './random';
import { aceCorrelations } from './correlations';
import { mean, pearson, quantile, sampleSd, sortedCopy } from './stats';

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
    const folds = splitHalves(y.length, rng, groups);
    for (let f = 0; f < 2; f++) {
      const train = folds[f];
      const test = folds[1 - f];
      if (train.length < 4 || test.length < 3) continue;
      const xTrain = pcs.map((col) => pick(col, train));
      const yTrain = pick(y, train);
      if (isConstant(yTrain)) continue;
      const fit = ace(flavour, xTrain, yTrain);
      const sumTest = new Float64Array(test.length);
      for (let c = 0; c < pcs.length; c++) {
        const phi = piecewiseLinear(xTrain[c], fit.tx[c]);
        for (let i = 0; i < test.length; i++) sumTest[i] += phi(pcs[c][test[i]]);
      }
      const theta = piecewiseLinear(yTrain, fit.ty);
      const thetaTest = new Float64Array(test.length);
      for (let i = 0; i < test.length; i++) thetaTest[i] = theta(y[test[i]]);
      total += pearson(sumTest, thetaTest);
      count++;
    }
  }
  return count ? total / count : 0;
}

/**
 * Two folds of (nearly) equal size. With `groups` (a bootstrap sample's original
 * image ids) copies of one image always land in the same fold, so no image is
 * both fitted and evaluated.
 */
function splitHalves(n: number, rng: Rng, groups?: Int32Array): [Int32Array, Int32Array] {
  if (!groups) {
    const perm = rng.permutation(n);
    const half = n >> 1;
    return [perm.subarray(0, half), perm.subarray(half)];
  }
  let maxGroup = 0;
  for (const g of groups) if (g > maxGroup) maxGroup = g;
  const order = rng.permutation(maxGroup + 1);
  const fold = new Int8Array(maxGroup + 1);
  for (let i = 0; i < order.length; i++) fold[order[i]] = i % 2;
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) (fold[groups[i]] === 0 ? a : b).push(i);
  return [Int32Array.from(a), Int32Array.from(b)];
}

function pick(a: Float64Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = a[idx[i]];
  return out;
}

function isConstant(a: Float64Array): boolean {
  for (let i = 1; i < a.length; i++) if (a[i] !== a[0]) return false;
  return true;
}
