/**
 * Grad-CAM (Selvaraju et al. 2017) and CAM (Zhou et al. 2016) on any
 * DifferentiableModel: an ONNX model through the TF.js translation, or a
 * TF.js layers model.
 *
 * The feature map A of a conv layer is its output as the engines define it
 * (before the activation), as when pytorch-grad-cam hooks a Conv2d module.
 * dScore/dA is taken by adding a zero tensor to A inside the forward pass and
 * differentiating with respect to that tensor: only the part of the network
 * after the layer is back-propagated, never down to the image.
 */
import * as tf from '@tensorflow/tfjs';
import type { DifferentiableModel } from '../tfjs-model';
import { minMaxPerMap, upsample } from './image';

export interface HeatmapOptions {
  /** Conv layer name (Grad-CAM); CAM uses the model's pool feature. */
  layer: string;
  /** Class to explain, one for all images or one per image; default: each image's predicted class. */
  classIndex?: number | readonly number[];
}

export interface Heatmap {
  /** H×W row-major at the model's input size, 0..1. */
  data: Float32Array;
  height: number;
  width: number;
  /** The map at the layer's resolution, same normalisation. */
  coarse: Float32Array;
  coarseHeight: number;
  coarseWidth: number;
  classIndex: number;
  /** The class score (logit) the map explains. */
  score: number;
}

interface Grads {
  a: tf.Tensor4D;
  grad: tf.Tensor4D;
  scores: tf.Tensor1D;
  classes: number[];
}

/** Shapes of tap values, learnt once per model and tap from a one-image probe. */
const tapShapes = new WeakMap<DifferentiableModel, Map<string, number[]>>();
function tapShape(model: DifferentiableModel, tap: string): number[] {
  let m = tapShapes.get(model);
  if (!m) tapShapes.set(model, (m = new Map()));
  let s = m.get(tap);
  if (!s) {
    s = tf.tidy(() => {
      const x = tf.zeros([1, ...model.input.shape]) as unknown as tf.Tensor4D;
      const t = model.forward(x, { taps: [tap], stopAtTaps: true }).taps.get(tap);
      if (!t) throw new Error(`tap '${tap}' produced no value`);
      return t.shape.slice(1);
    });
    m.set(tap, s);
  }
  return s;
}

/** A, dScore/dA and the scores for a batch. The caller disposes the tensors. */
function featureGradients(model: DifferentiableModel, images: Float32Array, n: number, tap: string, classIndex: HeatmapOptions['classIndex']): Grads {
  const shape = tapShape(model, tap);
  return tf.tidy(() => {
    const x = tf.tensor4d(images, [n, ...model.input.shape] as [number, number, number, number]);
    let classes: number[];
    if (classIndex === undefined) {
      const out = model.forward(x).output!;
      classes = Array.from(tf.argMax(out, 1).dataSync());
    } else classes = typeof classIndex === 'number' ? Array(n).fill(classIndex) : [...classIndex];
    if (classes.length !== n) throw new Error(`classIndex: ${classes.length} classes for ${n} images`);
    const nClasses = model.output.shape.reduce((a, b) => a * b, 1);
    if (classes.some((c) => !Number.isInteger(c) || c < 0 || c >= nClasses)) {
      throw new Error(`classIndex must be integers in 0..${nClasses - 1}, got ${classes.join(', ')}`);
    }
    const onehot = tf.oneHot(tf.tensor1d(classes, 'int32'), nClasses);
    let a: tf.Tensor4D | null = null;
    let scores: tf.Tensor | null = null;
    // Images are independent (inference-mode BN), so the gradient of the summed
    // scores holds each image's own gradient in its own slice.
    const f = (delta: tf.Tensor) => {
      const r = model.forward(x, { taps: [tap], edit: new Map([[tap, (t: tf.Tensor4D) => tf.add(t, delta) as tf.Tensor4D]]) });
      a = tf.keep(r.taps.get(tap)!);
      scores = tf.keep(tf.sum(tf.mul(tf.reshape(r.output!, [n, nClasses]), onehot), 1));
      return tf.sum(scores!) as tf.Scalar;
    };
    const grad = tf.grad(f)(tf.zeros([n, ...shape])) as tf.Tensor4D;
    return { a: a!, grad, scores: scores!, classes } as unknown as tf.TensorContainerObject;
  }) as unknown as Grads;
}

async function finish(model: DifferentiableModel, maps: tf.Tensor3D, g: Grads, relu: boolean): Promise<Heatmap[]> {
  const [height, width] = model.input.shape.slice(1);
  const [coarseT, fineT] = tf.tidy(() => {
    const m = relu ? tf.relu(maps) : maps;
    // Grad-CAM: ReLU then divide by the max (a map with no positive evidence is
    // all zeros). CAM: min-max, as in Zhou et al.'s code.
    const norm = relu ? tf.div(m, tf.maximum(tf.max(m, [1, 2], true), 1e-12)) : minMaxPerMap(m as tf.Tensor3D);
    // Upsampling smooths the peak below 1: rescale so both maps span 0..1.
    const up = upsample(norm as tf.Tensor3D, height, width);
    const fine = relu ? tf.div(up, tf.maximum(tf.max(up, [1, 2], true), 1e-12)) : minMaxPerMap(up);
    return [norm, tf.clipByValue(fine, 0, 1)];
  });
  const [coarse, fine, scores] = await Promise.all([coarseT.data(), fineT.data(), g.scores.data()]);
  tf.dispose([coarseT, fineT, maps, g.a, g.grad, g.scores]);
  const [n, h, w] = maps.shape;
  return Array.from({ length: n }, (_, i) => ({
    data: (fine as Float32Array).slice(i * height * width, (i + 1) * height * width),
    height,
    width,
    coarse: (coarse as Float32Array).slice(i * h * w, (i + 1) * h * w),
    coarseHeight: h,
    coarseWidth: w,
    classIndex: g.classes[i],
    score: scores[i],
  }));
}

/**
 * Grad-CAM for a batch of NCHW images: weights α_k = mean over positions of
 * dScore/dA_k, map = ReLU(Σ_k α_k A_k), upsampled bilinearly to the input
 * size and divided by its maximum.
 */
export async function gradCam(model: DifferentiableModel, images: Float32Array, batchSize: number, options: HeatmapOptions): Promise<Heatmap[]> {
  if (!model.listConvLayers().some((l) => l.name === options.layer)) {
    throw new Error(`unknown layer '${options.layer}'; conv layers: ${model.listConvLayers().map((l) => l.name).join(', ')}`);
  }
  const g = featureGradients(model, images, batchSize, options.layer, options.classIndex);
  const maps = tf.tidy(() => tf.sum(tf.mul(g.a, tf.mean(g.grad, [2, 3], true)), 1) as tf.Tensor3D);
  return finish(model, maps, g, true);
}

/**
 * CAM: the feature maps F entering the final global average pool, weighted by
 * the class's weights in the linear layer after it: map = Σ_k w_ck F_k. The
 * weights are read off the gradient (dScore/dF_k = w_ck / HW at every
 * position), which also checks the premise: a head that is not linear after
 * the pool gives spatially varying gradients and is refused.
 */
export async function cam(model: DifferentiableModel, images: Float32Array, batchSize: number, options: Omit<HeatmapOptions, 'layer'> = {}): Promise<Heatmap[]> {
  const tap = model.poolFeature;
  if (!tap) throw new Error('CAM needs a global average pool followed by a linear classifier; this model has no global average pool (use gradCam)');
  const g = featureGradients(model, images, batchSize, tap, options.classIndex);
  const spread = tf.tidy(() => {
    const mean = tf.mean(g.grad, [2, 3], true);
    return [tf.max(tf.abs(tf.sub(g.grad, mean))).dataSync()[0], tf.max(tf.abs(mean)).dataSync()[0]];
  });
  if (spread[0] > 1e-4 * Math.max(spread[1], 1e-12)) {
    tf.dispose([g.a, g.grad, g.scores]);
    throw new Error('CAM needs a linear classifier after the global average pool; this head is not linear (use gradCam)');
  }
  const [, , h, w] = g.a.shape;
  const maps = tf.tidy(() => tf.sum(tf.mul(g.a, tf.mul(tf.mean(g.grad, [2, 3], true), h * w)), 1) as tf.Tensor3D);
  return finish(model, maps, g, false);
}
