/**
 * A model as a synchronous function of TF.js ops, which is what tf.grad needs:
 * Grad-CAM, CAM, activation maximisation and ablation all run a forward pass
 * with "taps" (intermediate tensors read out) and "edits" (an intermediate
 * tensor replaced before the rest of the network sees it). Both the ONNX
 * translation (onnx-to-tfjs.ts) and TF.js layers models (tfjs-engine.ts)
 * implement it.
 */
import * as tf from '@tensorflow/tfjs';
import { checkBatch, resolveLayers, type ConvLayerInfo, type InputInfo, type OutputInfo, type RunResult, type TensorData } from './engine';

export interface ForwardOptions {
  /** Tap names (conv layer names, or `poolFeature`) whose values to return, NCHW. */
  taps?: readonly string[];
  /**
   * Replace a tap's value (NCHW in, NCHW out) before the rest of the network
   * uses it: multiply by a channel mask to ablate, add a zero tensor to take
   * gradients with respect to the activation. Applied before the value is tapped.
   */
  edit?: ReadonlyMap<string, (t: tf.Tensor4D) => tf.Tensor4D>;
  /**
   * Stop as soon as every tap is computed (activation maximisation needs no
   * output); `output` is then null.
   */
  stopAtTaps?: boolean;
}

export interface ForwardResult {
  /** NCHW values of the requested taps (after any edit). */
  taps: Map<string, tf.Tensor4D>;
  /** The model output, pre-softmax where the model ends in a softmax; null after stopAtTaps. */
  output: tf.Tensor | null;
}

export interface DifferentiableModel {
  readonly backend: string;
  readonly input: InputInfo;
  readonly output: OutputInfo;
  listConvLayers(): ConvLayerInfo[];
  /**
   * Tap name of the feature map entering the model's final global average
   * pool (what CAM weights), or null when there is none.
   */
  readonly poolFeature: string | null;
  /**
   * Forward pass on an NCHW batch. Synchronous TF.js ops only and no tidy
   * inside, so it can be differentiated; the caller owns (and should tidy)
   * everything it returns or allocates.
   */
  forward(x: tf.Tensor4D, options?: ForwardOptions): ForwardResult;
}

async function toData(t: tf.Tensor): Promise<TensorData> {
  return { data: (await t.data()) as Float32Array, dims: [...t.shape] };
}

/** ModelEngine.run() on top of forward(): the same checks and result shape as the ORT engine. */
export async function runForward(
  model: DifferentiableModel,
  batch: Float32Array,
  batchSize: number,
  layers: readonly string[],
): Promise<RunResult> {
  checkBatch(model.input, batch, batchSize);
  const wanted = resolveLayers(model.listConvLayers(), layers);
  const res = tf.tidy(() => {
    const x = tf.tensor4d(batch, [batchSize, ...model.input.shape] as [number, number, number, number]);
    const r = forward32(model, x, { taps: wanted.map((l) => l.name) });
    return { taps: [...r.taps.entries()], output: r.output };
  });
  try {
    const activations = new Map<string, TensorData>();
    for (const [name, t] of res.taps) activations.set(name, await toData(t));
    return { activations, output: await toData(res.output) };
  } finally {
    tf.dispose([res.output, ...res.taps.map(([, t]) => t)]);
  }
}

/** forward() with a float32 output that must exist. */
function forward32(model: DifferentiableModel, x: tf.Tensor4D, options: ForwardOptions): { taps: Map<string, tf.Tensor4D>; output: tf.Tensor } {
  const r = model.forward(x, options);
  if (!r.output) throw new Error('forward returned no output');
  const output = r.output.dtype === 'float32' ? r.output : r.output.toFloat();
  return { taps: r.taps, output };
}

/** Per-sample size of a shape [C, H, W] etc. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
