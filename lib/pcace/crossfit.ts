/**
 * Paired, reproducible, adaptive cross-fitting.
 *
 * Why paired: a ranking compares channels, so every channel of an analysis is
 * cross-fitted on the SAME splits. The split of repeat r depends only on the
 * analysis seed, n and r (never on the channel), so split noise is shared and
 * cancels in differences between channels; with per-channel splits, re-seeding
 * alone moved a real conv1 ranking to Spearman 0.84.
 *
 * Why adaptive: one repeat (a random half/half split, both directions) is a
 * noisy estimate of the split-averaged score. Repeats are added until the Monte
 * Carlo standard error sd(per-repeat values)/√R falls below a target (0.005)
 * or a cap is reached, and the per-repeat values are kept so callers can see
 * how precise the score is. The rule is a deterministic function of
 * (maps, response, seed), so applying it to a permuted response gives exactly
 * the statistic's permutation null (lib/pcace/pooled-null.ts relies on that).
 */
import { ace, type AceFlavour } from './ace/index';
import { createKnotScratch, interpolateFold, piecewiseLinear, sortedOrder, type KnotScratch } from './interpolate';
import { Rng } from './random';
import { isConstant, mean, pearson, sampleSd } from './stats';

export interface CrossFitRule {
  /** Repeats always run (≥ 1). */
  minRepeats: number;
  /** Most repeats; ≤ minRepeats means exactly minRepeats. */
  cap: number;
  /** Stop once sd(values)/√R < this (only checked from MIN_FOR_SD repeats on). */
  targetMcse: number;
}

/** An sd from fewer values is too noisy to stop on (2 values stop early ~20 % of the time at 4× the target). */
export const MIN_FOR_SD = 5;

export const DEFAULT_CROSSFIT_RULE: CrossFitRule = { minRepeats: 5, cap: 20, targetMcse: 0.005 };

export interface CrossFit {
  /** Mean of the per-repeat values. */
  score: number;
  /** sd(values)/√R: the Monte Carlo error of `score` from the choice of splits (0 when R = 1). */
  mcse: number;
  repeats: number;
  /** One value per repeat: the mean of its two folds' test correlations. */
  values: Float64Array;
}

/**
 * The two folds of repeat r: a function of (seed, n, r) only, so every channel
 * of an analysis and every permutation draw sees the same splits. With
 * `groups` (a bootstrap sample's original image ids), copies of one image land
 * in the same fold and the split is a function of (seed, groups, r).
 */
export function crossFitSplit(n: number, seed: number, repeat: number, groups?: Int32Array): [Int32Array, Int32Array] {
  const rng = new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(repeat + 1, 0x85ebca6b) ^ Math.imul(n, 0xc2b2ae35)) >>> 0);
  const [a, b] = randomHalves(n, rng, groups);
  return [a.slice().sort(), b.slice().sort()];
}

/**
 * Two folds of (nearly) equal size drawn from `rng`. With `groups` (a bootstrap
 * sample's original image ids) copies of one image always land in the same
 * fold, so no image is both fitted and evaluated.
 */
export function randomHalves(n: number, rng: Rng, groups?: Int32Array): [Int32Array, Int32Array] {
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

/**
 * One repeat: fit ACE on each half, carry φ_i and θ to the other half by
 * interpolation, correlate there (signed); the mean of the valid folds (0 if none).
 */
export function crossFitRepeat(pcs: Float64Array[], y: Float64Array, flavour: AceFlavour, folds: [Int32Array, Int32Array]): number {
  return meanOfFolds(sumFolds((f) => foldCorrelation(pcs, y, flavour, folds[f], folds[1 - f])));
}

/** Each fold fitted and the other scored: the sum of the valid folds' correlations and how many there were. */
export function bothFolds(pcs: Float64Array[], y: Float64Array, flavour: AceFlavour, folds: [Int32Array, Int32Array]): { total: number; count: number } {
  return sumFolds((f) => foldCorrelation(pcs, y, flavour, folds[f], folds[1 - f]));
}

/** The correlations of fold 0 then fold 1 as training fold (null: that fold is skipped), summed and counted. */
function sumFolds(correlation: (trainFold: number) => number | null): { total: number; count: number } {
  let total = 0;
  let count = 0;
  for (let f = 0; f < 2; f++) {
    const r = correlation(f);
    if (r === null) continue;
    total += r;
    count++;
  }
  return { total, count };
}

const meanOfFolds = ({ total, count }: { total: number; count: number }): number => (count ? total / count : 0);

/**
 * Fit ACE on `train`, carry φ_i and θ to `test` by interpolation and correlate
 * there (signed); null when a fold is too small or its response is constant.
 */
export function foldCorrelation(pcs: Float64Array[], y: Float64Array, flavour: AceFlavour, train: Int32Array, test: Int32Array): number | null {
  if (train.length < 4 || test.length < 3) return null;
  const xTrain = pcs.map((col) => pick(col, train));
  const yTrain = pick(y, train);
  if (isConstant(yTrain)) return null;
  const fit = ace(flavour, xTrain, yTrain);
  const sumTest = new Float64Array(test.length);
  for (let c = 0; c < pcs.length; c++) {
    const phi = piecewiseLinear(xTrain[c], fit.tx[c]);
    for (let i = 0; i < test.length; i++) sumTest[i] += phi(pcs[c][test[i]]);
  }
  const theta = piecewiseLinear(yTrain, fit.ty);
  const thetaTest = new Float64Array(test.length);
  for (let i = 0; i < test.length; i++) thetaTest[i] = theta(y[test[i]]);
  return pearson(sumTest, thetaTest);
}

/** Cross-fitted multiple correlation under the adaptive repeat rule. */
export function adaptiveCrossFit(
  pcs: Float64Array[],
  y: Float64Array,
  flavour: AceFlavour,
  rule: CrossFitRule,
  seed: number,
  groups?: Int32Array,
): CrossFit {
  const min = Math.max(1, Math.floor(rule.minRepeats));
  const cap = Math.max(min, Math.floor(rule.cap));
  const values: number[] = [];
  if (pcs.length === 0) return { score: 0, mcse: 0, repeats: 0, values: new Float64Array(0) };
  const sample = new SortedSample(pcs, y);
  for (let r = 0; r < cap; r++) {
    values.push(sample.repeat(flavour, crossFitSplit(y.length, seed, r, groups)));
    const R = values.length;
    if (R >= min && R >= MIN_FOR_SD && sampleSd(values) / Math.sqrt(R) < rule.targetMcse) break;
  }
  const R = values.length;
  return { score: mean(values), mcse: R > 1 ? sampleSd(values) / Math.sqrt(R) : 0, repeats: R, values: Float64Array.from(values) };
}

/**
 * `crossFitRepeat` for the many splits of one (pcs, y): each column is sorted once,
 * and every fold carries its fit to the other by `interpolateFold` (the numbers of
 * `foldCorrelation`, bit for bit) instead of sorting and bisecting per fit.
 */
class SortedSample {
  private readonly orders: Int32Array[];
  private readonly yOrder: Int32Array;
  private readonly fold: Uint8Array;
  private readonly pos: Int32Array;
  private readonly knots: KnotScratch;
  private readonly sum: Float64Array;
  private readonly theta: Float64Array;
  /** Each fold's sorting permutations, predictors then y (acepack's own, when no ties). */
  private readonly foldOrders: Int32Array[];

  constructor(
    private readonly pcs: Float64Array[],
    private readonly y: Float64Array,
  ) {
    const n = y.length;
    this.orders = pcs.map(sortedOrder);
    this.yOrder = sortedOrder(y);
    this.fold = new Uint8Array(n);
    this.pos = new Int32Array(n);
    this.knots = createKnotScratch(n);
    this.sum = new Float64Array(n);
    this.theta = new Float64Array(n);
    this.foldOrders = Array.from({ length: pcs.length + 1 }, () => new Int32Array(n));
  }

  repeat(flavour: AceFlavour, folds: [Int32Array, Int32Array]): number {
    if (!ascending(folds[0]) || !ascending(folds[1]) || folds[0].length + folds[1].length !== this.y.length) return crossFitRepeat(this.pcs, this.y, flavour, folds);
    for (let f = 0; f < 2; f++) {
      const idx = folds[f];
      for (let k = 0; k < idx.length; k++) {
        this.fold[idx[k]] = f;
        this.pos[idx[k]] = k;
      }
    }
    return meanOfFolds(sumFolds((f) => this.foldCorrelation(flavour, f, folds[f], folds[1 - f])));
  }

  private foldCorrelation(flavour: AceFlavour, trainFold: number, train: Int32Array, test: Int32Array): number | null {
    if (train.length < 4 || test.length < 3) return null;
    const { pcs, y } = this;
    const xTrain = pcs.map((col) => pick(col, train));
    const yTrain = pick(y, train);
    if (isConstant(yTrain)) return null;
    const p = pcs.length;
    const orders = Array.from({ length: p + 1 }, (_, c) => this.foldOrder(c < p ? pcs[c] : y, c < p ? this.orders[c] : this.yOrder, trainFold, c, train.length));
    const fit = ace(flavour, xTrain, yTrain, { orders });
    const sumTest = this.sum.subarray(0, test.length).fill(0);
    for (let c = 0; c < pcs.length; c++) interpolateFold(pcs[c], this.orders[c], this.fold, this.pos, trainFold, fit.tx[c], sumTest, true, this.knots);
    const thetaTest = this.theta.subarray(0, test.length);
    interpolateFold(y, this.yOrder, this.fold, this.pos, trainFold, fit.ty, thetaTest, false, this.knots);
    return pearson(sumTest, thetaTest);
  }

  /**
   * The training fold's sorting permutation (positions in the fold) filtered from the
   * whole sample's order, or null when the fold has tied values: only then can acepack's
   * unstable quicksort order them differently, so ACE sorts those itself.
   */
  private foldOrder(x: Float64Array, order: Int32Array, trainFold: number, slot: number, size: number): Int32Array | null {
    const out = this.foldOrders[slot];
    let k = 0;
    let prev = -Infinity;
    for (let r = 0; r < order.length; r++) {
      const i = order[r];
      if (this.fold[i] !== trainFold) continue;
      const v = x[i];
      if (!(v > prev)) return null;
      out[k++] = this.pos[i];
      prev = v;
    }
    return out.subarray(0, size);
  }
}

function ascending(a: Int32Array): boolean {
  for (let i = 1; i < a.length; i++) if (!(a[i] > a[i - 1])) return false;
  return true;
}

function pick(a: Float64Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = a[idx[i]];
  return out;
}

