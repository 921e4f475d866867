/**
 * Activation maximisation for one channel (Yosinski et al. 2015, "Understanding
 * neural networks through deep visualization" — the PCACE paper's Fig. 7):
 * gradient ascent on the channel's mean activation from a seeded start, with
 * the paper's regularisers: L2 decay every step, a Gaussian blur every few
 * steps, and random jitter (the image is rolled by a few pixels before each
 * gradient step and rolled back, so no single pixel grid is over-fitted).
 * The forward pass stops at the layer (later layers are not computed).
 */
import * as tf from '@tensorflow/tfjs';
import type { DifferentiableModel } from '../tfjs-model';
import { gaussianBlur, roll, seededUniform, toUint8Image } from './image';

export interface ActMaxOptions {
  layer: string;
  channel: number;
  /** Gradient steps; default 200. */
  steps?: number;
  /** Step size relative to the image range per unit of normalised gradient; default 0.05. */
  stepSize?: number;
  /** θ_decay: x ← (1 − θ) x each step; default 1e-3. */
  l2Decay?: number;
  /** Blur every this many steps (0 = never); default 4. */
  blurEvery?: number;
  /** Blur σ in pixels; default 0.5. */
  blurSigma?: number;
  /** Maximum jitter in pixels per axis; default 1 (0 = none). */
  jitter?: number;
  /** 'gray': the range midpoint plus faint noise; 'random': uniform noise over the range. Default 'gray'. */
  start?: 'gray' | 'random';
  seed?: number;
  /** Input value range, images are clipped to it each step; default [0, 1]. */
  range?: [number, number];
}

export interface ActMaxResult {
  /** The optimised image, NCHW [1, C, H, W]. */
  image: Float32Array;
  dims: number[];
  /** Interleaved uint8 gray/RGB pixels (range mapped to 0..255) for a PNG encoder. */
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
  /** Mean activation of the channel on the start image and on the result. */
  startActivation: number;
  finalActivation: number;
  /** Mean activation every 10 steps, for convergence plots. */
  trace: number[];
}

export async function activationMaximisation(model: DifferentiableModel, options: ActMaxOptions): Promise<ActMaxResult> {
  const layer = model.listConvLayers().find((l) => l.name === options.layer);
  if (!layer) throw new Error(`unknown layer '${options.layer}'; conv layers: ${model.listConvLayers().map((l) => l.name).join(', ')}`);
  if (!Number.isInteger(options.channel) || options.channel < 0 || options.channel >= layer.channels) {
    throw new Error(`channel must be in 0..${layer.channels - 1}, got ${options.channel}`);
  }
  const steps = options.steps ?? 200;
  const stepSize = options.stepSize ?? 0.05;
  const decay = options.l2Decay ?? 1e-3;
  const blurEvery = options.blurEvery ?? 4;
  const sigma = options.blurSigma ?? 0.5;
  const jitter = Math.max(0, Math.floor(options.jitter ?? 1));
  const [lo, hi] = options.range ?? [0, 1];
  const mid = (lo + hi) / 2;
  const span = hi - lo;
  const rand = seededUniform(options.seed ?? 0);
  const dims = [1, ...model.input.shape];
  const size = dims.reduce((a, b) => a * b, 1);
  const init = Float32Array.from({ length: size }, () =>
    options.start === 'random' ? lo + rand() * span : mid + (rand() - 0.5) * 0.02 * span,
  );
  const c = options.channel;

  const objective = (img: tf.Tensor): tf.Scalar => {
    const a = model.forward(img as tf.Tensor4D, { taps: [layer.name], stopAtTaps: true }).taps.get(layer.name)!;
    return tf.mean(tf.slice(a, [0, c, 0, 0], [-1, 1, -1, -1])) as tf.Scalar;
  };
  const gradFn = tf.grad(objective);
  const measure = (img: tf.Tensor4D) => tf.tidy(() => objective(img).dataSync()[0]);

  let x = tf.tensor4d(init, dims as [number, number, number, number]);
  const startActivation = measure(x);
  const trace: number[] = [startActivation];
  for (let step = 1; step <= steps; step++) {
    const dy = jitter ? Math.floor(rand() * (2 * jitter + 1)) - jitter : 0;
    const dx = jitter ? Math.floor(rand() * (2 * jitter + 1)) - jitter : 0;
    const next = tf.tidy(() => {
      const shifted = roll(x, dy, dx);
      const g = roll(gradFn(shifted) as tf.Tensor4D, -dy, -dx);
      // Normalise the step by the gradient's RMS: raw gradient scales differ by
      // orders of magnitude between layers and models.
      const rms = tf.add(tf.sqrt(tf.mean(tf.square(g))), 1e-12);
      let y = tf.add(x, tf.mul(tf.div(g, rms), stepSize * span));
      // L2 decay pulls towards the range midpoint (zero for a centred range).
      y = tf.add(tf.mul(tf.sub(y, mid), 1 - decay), mid);
      if (blurEvery > 0 && step % blurEvery === 0) y = gaussianBlur(y as tf.Tensor4D, sigma);
      return tf.clipByValue(y, lo, hi) as tf.Tensor4D;
    });
    x.dispose();
    x = next;
    if (step % 10 === 0) trace.push(measure(x));
  }
  const finalActivation = measure(x);
  const image = (await x.data()) as Float32Array;
  x.dispose();
  const png = toUint8Image(image, dims, [lo, hi]);
  return { image, dims, ...png, startActivation, finalActivation, trace };
}
