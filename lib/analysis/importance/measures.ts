/**
 * Importance measures beside PCACE for every channel of one layer, all on
 * one LayerEditor (one ORT session, the network below the layer run once):
 *
 *  - mean-ablation drop: the channel replaced by its mean map over the images
 *    (mask 0, fill = mean map), on the class score and on accuracy, and the
 *    root-mean-square change of the class score per image. The RMS is needed:
 *    where the network above the channel acts linearly on it, mean-ablation
 *    leaves the *mean* score exactly unchanged (E f(a) = f(E a)) however much
 *    each image's score depends on the channel. It is also what PCACE's
 *    statistic speaks to: how much of the score's variation over the images
 *    the channel carries;
 *  - zero-ablation drop: the channel set to 0 (the historical ablation; not
 *    neutral once a BatchNorm is folded into the conv, where 0 is a large
 *    shift), on the class score and on accuracy;
 *  - mean |activation| over images and positions (from the unedited pass);
 *  - filter L1 norm Σ|w| (from the weights);
 *  - Taylor: |mean over images of Σ_positions ∂F/∂a · a|, the first-order
 *    estimate of zero-ablation (Molchanov et al. 2017). Σ ∂F/∂a·a is the
 *    derivative of F along the channel's own activation, d/dε F((1+ε)a), taken
 *    here by a central difference on the mask (ε = 1e-2): ORT has no backward
 *    pass, and for the piecewise-linear networks PCACE ranks the difference
 *    is exact unless a ReLU changes side within ±1 %;
 *  - conductance: integrated gradients (Sundararajan et al. 2017) on the
 *    layer's output, along the straight path from the mean maps m to the
 *    activations a, attributed per channel: mean over images of
 *    ∫₀¹ Σ_positions ∂F/∂a_c(m + α(a − m)) · (a_c − m_c) dα, by the midpoint
 *    rule with `steps` points and a forward difference (ε = 1e-2) at each.
 *    Per image the channels' conductances sum to F(a) − F(m), the change when
 *    the whole layer is mean-ablated (tests check this completeness); the
 *    measure is their mean absolute value over images (a signed mean would
 *    cancel for the reason the RMS above exists). It is
 *    conductance in the sense of Dhamdhere et al. (2018) with the path taken
 *    in the layer's space rather than the input's, so each step costs only
 *    the network above the layer.
 *
 * F is the target class's logit, averaged over the images (per-image target:
 * the analysis' class). Accuracy is against the images' labels.
 */
import type { LayerEditor } from '../../models/layer-edit';

export const DERIVATIVE_STEP = 1e-2;

export interface Targets {
  /** Class whose logit is F, per image. */
  target: Int32Array;
  /** True class per image, or null (no accuracy columns). */
  labels: Int32Array | null;
}

export interface Summary {
  /** Mean target logit over the images. */
  score: number;
  accuracy: number | null;
}

export interface LayerMeasures {
  baseline: Summary;
  meanAblationDrop: Float64Array;
  meanAblationRms: Float64Array;
  meanAblationAccuracyDrop: Float64Array | null;
  zeroAblationDrop: Float64Array;
  zeroAblationAccuracyDrop: Float64Array | null;
  meanAbsActivation: Float64Array;
  filterL1: Float64Array | null;
  taylor: Float64Array;
  /** Mean over images of |per-image conductance|; null when steps = 0. */
  conductance: Float64Array | null;
  /** Per image: Σ over channels of the conductance minus the whole-layer mean-ablation change (≈ 0: completeness); null when steps = 0. */
  completenessGap: Float64Array | null;
  /** Drop of the mean score when every channel is mean-ablated. */
  wholeLayerMeanDrop: number;
}

/** Mean target logit and accuracy of a logits block [n, classes]. */
export function summarise(logits: Float32Array, classes: number, t: Targets): Summary {
  const n = t.target.length;
  let score = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    score += logits[i * classes + t.target[i]];
    if (t.labels) {
      let best = 0;
      for (let j = 1; j < classes; j++) if (logits[i * classes + j] > logits[i * classes + best]) best = j;
      if (best === t.labels[i]) correct++;
    }
  }
  return { score: score / n, accuracy: t.labels ? correct / n : null };
}

/** Mean over images of the per-image target-logit differences a − b, in float64. */
function meanDiff(a: Float32Array, b: Float32Array, classes: number, target: Int32Array): number {
  let s = 0;
  for (let i = 0; i < target.length; i++) s += a[i * classes + target[i]] - b[i * classes + target[i]];
  return s / target.length;
}

/** Root mean square over images of the per-image target-logit differences a − b. */
export function rmsDiff(a: Float32Array, b: Float32Array, classes: number, target: Int32Array): number {
  let s = 0;
  for (let i = 0; i < target.length; i++) s += (a[i * classes + target[i]] - b[i * classes + target[i]]) ** 2;
  return Math.sqrt(s / target.length);
}

export interface MeasureOptions {
  /** Conductance path points; 0 skips conductance. */
  steps: number;
  /** Called after each edited run with (done, total). */
  onRun?: (done: number, total: number) => void;
  shouldStop?: () => boolean;
}

/** Edited runs measureLayer makes for C channels. */
export function measureRuns(channels: number, steps: number): number {
  return 1 + 4 * channels + (steps > 0 ? steps * (channels + 1) + 1 : 0);
}

export async function measureLayer(editor: LayerEditor, t: Targets, options: MeasureOptions): Promise<LayerMeasures> {
  const C = editor.channels;
  const P = editor.positions;
  const K = editor.classes;
  const total = measureRuns(C, options.steps);
  let done = 0;
  const run = async (mask: Float32Array, fill: Float32Array) => {
    if (options.shouldStop?.()) throw new MeasureStopped();
    const out = await editor.run(mask, fill);
    options.onRun?.(++done, total);
    return out;
  };
  const ones = new Float32Array(C).fill(1);
  // Zero fill broadcast over positions ([C]): cheaper than a full map, and adding 0 is exact either way.
  const zeroFill = new Float32Array(C);
  // The baseline through the same path as every edit, so an untouched channel differs by exactly 0.
  const base = await run(ones, zeroFill);
  const b = summarise(base, K, t);
  const meanAblationDrop = new Float64Array(C);
  const meanAblationRms = new Float64Array(C);
  const zeroAblationDrop = new Float64Array(C);
  const meanAcc = t.labels ? new Float64Array(C) : null;
  const zeroAcc = t.labels ? new Float64Array(C) : null;
  const taylor = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const mask = ones.slice();
    mask[c] = 0;
    const zero = await run(mask, zeroFill);
    zeroAblationDrop[c] = meanDiff(base, zero, K, t.target);
    if (zeroAcc) zeroAcc[c] = b.accuracy! - summarise(zero, K, t).accuracy!;
    const fill = new Float32Array(C * P);
    fill.set(editor.meanMaps.subarray(c * P, (c + 1) * P), c * P);
    const mean = await run(mask, fill);
    meanAblationDrop[c] = meanDiff(base, mean, K, t.target);
    meanAblationRms[c] = rmsDiff(base, mean, K, t.target);
    if (meanAcc) meanAcc[c] = b.accuracy! - summarise(mean, K, t).accuracy!;
    mask[c] = 1 + DERIVATIVE_STEP;
    const up = await run(mask, zeroFill);
    mask[c] = 1 - DERIVATIVE_STEP;
    const down = await run(mask, zeroFill);
    taylor[c] = Math.abs(meanDiff(up, down, K, t.target) / (2 * DERIVATIVE_STEP));
  }
  const allMean = await run(new Float32Array(C), editor.meanMaps);
  const cond = options.steps > 0 ? await conductance(editor, t, options.steps, run) : null;
  let conductanceMeasure: Float64Array | null = null;
  let completenessGap: Float64Array | null = null;
  if (cond) {
    const n = t.target.length;
    conductanceMeasure = new Float64Array(C);
    completenessGap = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let c = 0; c < C; c++) {
        conductanceMeasure[c] += Math.abs(cond[c * n + i]) / n;
        sum += cond[c * n + i];
      }
      completenessGap[i] = sum - (base[i * K + t.target[i]] - allMean[i * K + t.target[i]]);
    }
  }
  return {
    baseline: b,
    meanAblationDrop,
    meanAblationRms,
    meanAblationAccuracyDrop: meanAcc,
    zeroAblationDrop,
    zeroAblationAccuracyDrop: zeroAcc,
    meanAbsActivation: editor.meanAbs,
    filterL1: editor.conv.weightL1,
    taylor,
    conductance: conductanceMeasure,
    completenessGap,
    wholeLayerMeanDrop: meanDiff(base, allMean, K, t.target),
  };
}

async function conductance(
  editor: LayerEditor,
  t: Targets,
  steps: number,
  run: (mask: Float32Array, fill: Float32Array) => Promise<Float32Array>,
): Promise<Float64Array> {
  const C = editor.channels;
  const P = editor.positions;
  const K = editor.classes;
  const m = editor.meanMaps;
  const n = t.target.length;
  // Per channel and image: [c·n + i].
  const out = new Float64Array(C * n);
  for (let k = 0; k < steps; k++) {
    const alpha = (k + 0.5) / steps;
    const mask = new Float32Array(C).fill(alpha);
    const fill = Float32Array.from(m, (v) => (1 - alpha) * v);
    const at = await run(mask, fill);
    for (let c = 0; c < C; c++) {
      // One step further along channel c only: m + (α + ε)(a − m) = (α + ε)·a + (1 − α − ε)·m.
      mask[c] = alpha + DERIVATIVE_STEP;
      for (let j = 0; j < P; j++) fill[c * P + j] = (1 - alpha - DERIVATIVE_STEP) * m[c * P + j];
      const moved = await run(mask, fill);
      for (let i = 0; i < n; i++) out[c * n + i] += (moved[i * K + t.target[i]] - at[i * K + t.target[i]]) / (DERIVATIVE_STEP * steps);
      mask[c] = alpha;
      for (let j = 0; j < P; j++) fill[c * P + j] = (1 - alpha) * m[c * P + j];
    }
  }
  return out;
}

export class MeasureStopped extends Error {
  constructor() {
    super('importance measures stopped');
    this.name = 'MeasureStopped';
  }
}
